/** Shared builders for unit tests: the demo settings, a valid base spec, and a resolver that fails loudly. */
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import type { ResolvedJob, JobSource } from '../../src/domain/spec/resolveJob.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { deepMerge, parseSettings } from '../../src/settings/loadSettings.js';
import type { Settings } from '../../src/settings/settingsSchema.js';

export const BASE_SPEC = {
  name: 'wordcount',
  namespace: 'spark-jobs',
  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py',
  sparkVersion: '4.0',
} as const;

export const CLI_SOURCE: JobSource = { kind: 'cli', ref: 'test' };
/** The tenant of the single-team settings form (the demo settings). */
export const TENANT = 'default';

export function settingsWith(overrides: unknown = {}): Settings {
  const parsed = parseSettings(deepMerge(structuredClone(DEMO_SETTINGS), overrides));
  if (!parsed.ok) throw new Error(`test settings invalid:\n${parsed.problems.map(problemToString).join('\n')}`);
  return parsed.value;
}

export function resolved(spec: Record<string, unknown> = {}, settingsOverrides: unknown = {}): ResolvedJob {
  const result = prepareJob({ ...BASE_SPEC, ...spec }, settingsWith(settingsOverrides), { tenant: TENANT, source: CLI_SOURCE });
  if (!result.ok) throw new Error(`test spec invalid:\n${result.problems.map(problemToString).join('\n')}`);
  return result.value;
}
