/**
 * Reads settings once from, in rising precedence:
 *  1. a config file (`--config FILE` or SPARK_DISPATCH_CONFIG), else the embedded demo default;
 *  2. SPARK_DISPATCH_SETTINGS: a whole JSON/YAML settings document in one variable;
 *  3. SPARK_DISPATCH__<path>: one setting per variable, `__` separating levels, the Azure
 *     Functions convention for nested app settings (SPARK_DISPATCH__clusterProfile=openshift).
 * Maps merge field by field; lists and scalars replace.
 */
import { parseDocument } from '../domain/spec/document.js';
import { fail, ok, type Problem, type Result } from '../domain/spec/problem.js';
import { problemsFromZod } from '../domain/spec/zodProblems.js';
import { DEMO_SETTINGS } from './defaultSettings.js';
import { SettingsSchema, type Settings } from './settingsSchema.js';

export interface SettingsSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--config FILE`; wins over SPARK_DISPATCH_CONFIG. */
  readonly configFile?: string | undefined;
  readonly readFile: (path: string) => string;
  /** Merged over every other source (the CLI's --storage-account, --servicebus), named in the origin. */
  readonly overrides?: { readonly document: Record<string, unknown>; readonly origin: string } | undefined;
}

export interface LoadedSettings {
  readonly settings: Settings;
  /** Where the settings came from, for `spark-dispatch versions` and start-up logs. */
  readonly origin: string;
}

const ENV_PREFIX = 'SPARK_DISPATCH__';

export function loadSettings(sources: SettingsSources): Result<LoadedSettings> {
  const merged = settingsDocument(sources);
  if (!merged.ok) return merged;
  const parsed = SettingsSchema.safeParse(merged.value.document);
  if (!parsed.success) return fail(problemsFromZod(parsed.error.issues, merged.value.document, SettingsSchema, ['settings']));
  return ok({ settings: parsed.data, origin: merged.value.origin });
}

/**
 * The settings document the sources make together, before it is parsed (no defaults filled in):
 * what loadSettings parses, and what `spark-dispatch settings pull` writes.
 */
export function settingsDocument(sources: SettingsSources): Result<{ readonly document: unknown; readonly origin: string }> {
  const problems: Problem[] = [];
  const origins: string[] = [];
  const file = sources.configFile ?? nonEmpty(sources.env.SPARK_DISPATCH_CONFIG);
  let merged: unknown;

  if (file !== undefined) {
    origins.push(file);
    let text: string | undefined;
    try {
      text = sources.readFile(file);
    } catch (error) {
      problems.push({ path: '(config file)', expected: `a readable settings file at ${file}`, found: errorCode(error) });
    }
    if (text !== undefined) {
      const doc = parseDocument(text, file);
      if (doc.ok) merged = doc.value;
      else problems.push(...doc.problems.map((p) => ({ ...p, path: `${file}: ${p.path}` })));
    }
  }

  const inline = nonEmpty(sources.env.SPARK_DISPATCH_SETTINGS);
  if (inline !== undefined) {
    origins.push('SPARK_DISPATCH_SETTINGS');
    const doc = parseDocument(inline, 'SPARK_DISPATCH_SETTINGS');
    if (doc.ok) merged = deepMerge(merged, doc.value);
    else problems.push(...doc.problems.map((p) => ({ ...p, path: `SPARK_DISPATCH_SETTINGS: ${p.path}` })));
  }
  if (merged === undefined) {
    merged = structuredClone(DEMO_SETTINGS);
    origins.unshift('embedded demo default');
  }

  const overrides = Object.entries(sources.env)
    .filter((entry): entry is [string, string] => entry[0].startsWith(ENV_PREFIX) && entry[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [name, raw] of overrides) {
    const path = name.slice(ENV_PREFIX.length).split('__');
    if (path.some((part) => part === '')) {
      problems.push({ path: name, expected: 'SPARK_DISPATCH__<field>__<field> with no empty part', found: name });
      continue;
    }
    merged = deepMerge(merged, nest(path, envValue(raw)));
    origins.push(name);
  }
  if (sources.overrides) {
    merged = deepMerge(merged, sources.overrides.document);
    origins.push(sources.overrides.origin);
  }
  if (problems.length > 0) return fail(problems);
  return ok({ document: merged, origin: origins.join(' + ') });
}

/** Parses settings that are already an object (tests, embedded use). */
export function parseSettings(input: unknown): Result<Settings> {
  const parsed = SettingsSchema.safeParse(input);
  return parsed.success ? ok(parsed.data) : fail(problemsFromZod(parsed.error.issues, input, SettingsSchema, ['settings']));
}

// Values that are JSON (numbers, booleans, lists, maps) are taken as such; anything else is a string.
function envValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
