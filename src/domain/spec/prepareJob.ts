/**
 * From a raw document (already parsed from JSON or YAML) to a resolved job: schema first, then
 * policy. Shared by the CLI, the queue handler and the storage-event handler.
 */
import { parseJobSpec } from './jobSpec.js';
import { fail, type Problem, type Result } from './problem.js';
import { resolveJob, type ResolvedJob, type ResolveOptions } from './resolveJob.js';
import type { Settings } from '../../settings/settingsSchema.js';

// Stand-ins for required fields that failed the schema, so the policy can still judge the rest.
const STAND_INS: Readonly<Record<string, string>> = { name: 'job', main: 'local:///stand-in.py' };

export function prepareJob(raw: unknown, settings: Settings, options: ResolveOptions): Result<ResolvedJob> {
  const spec = parseJobSpec(raw);
  if (spec.ok) return resolveJob(spec.value, settings, options);
  return fail([...spec.problems, ...policyProblemsOfTheRest(raw, spec.problems, settings, options)]);
}

/**
 * A user should see every problem in one round trip, including policy problems (a forbidden conf
 * key) next to schema problems (a misspelled field). So the fields that failed the schema are set
 * aside, the rest is judged by the policy, and only problems about fields that parsed are kept.
 */
function policyProblemsOfTheRest(raw: unknown, schemaProblems: readonly Problem[], settings: Settings, options: ResolveOptions): Problem[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const failed = new Set(schemaProblems.map((p) => topLevelField(p.path)));
  if (failed.has('(root)')) return [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!failed.has(key)) rest[key] = value;
  for (const [key, standIn] of Object.entries(STAND_INS)) if (!(key in rest)) rest[key] = standIn;
  const spec = parseJobSpec(rest);
  if (!spec.ok) return [];
  const resolved = resolveJob(spec.value, settings, options);
  if (resolved.ok) return [];
  return resolved.problems.filter((p) => !failed.has(topLevelField(p.path)));
}

function topLevelField(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}
