/**
 * From a raw document (already parsed from JSON or YAML) to a resolved job: schema first, then
 * policy. Shared by the CLI, the queue handler and the storage-event handler.
 */
import { JobSpecSchema, parseJobSpec } from './jobSpec.js';
import { dedupeProblems, fail, formatPath, type Problem, type Result } from './problem.js';
import { resolveJob, type ResolvedJob, type ResolveOptions } from './resolveJob.js';
import type { Settings } from '../../settings/settingsSchema.js';

type Path = readonly (string | number)[];

// Stand-ins for required fields that failed the schema, so the policy can still judge the rest.
const STAND_INS: Readonly<Record<string, string>> = { name: 'job', main: 'local:///stand-in.py' };
// Stand-ins for list entries that failed the schema: an entry is replaced rather than removed, so
// the entries after it keep their index and the policy's problems name the right one.
const ENTRY_STAND_INS: Readonly<Record<string, string>> = { pyFiles: 'local:///stand-in.py', args: '' };

export function prepareJob(raw: unknown, settings: Settings, options: ResolveOptions): Result<ResolvedJob> {
  const spec = parseJobSpec(raw);
  if (spec.ok) return resolveJob(spec.value, settings, options);
  return fail(dedupeProblems([...spec.problems, ...policyProblemsOfTheRest(raw, settings, options)]));
}

/**
 * A user should see every problem in one round trip, including policy problems (a forbidden conf
 * key) next to schema problems (a misspelled field). So what failed the schema is set aside, as
 * narrowly as possible (one conf entry, one list item, one driver field, not the whole field), the
 * rest is judged by the policy, and only problems about what parsed are kept: nothing is reported
 * twice, and a stand-in never causes a problem of its own.
 */
function policyProblemsOfTheRest(raw: unknown, settings: Settings, options: ResolveOptions): Problem[] {
  if (!isRecord(raw)) return [];
  const parsed = JobSpecSchema.safeParse(raw);
  if (parsed.success) return [];
  const failed: Path[] = [];
  for (const issue of parsed.error.issues) {
    const at = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (at.length === 0 && issue.code !== 'unrecognized_keys') return [];
    if (issue.code === 'unrecognized_keys') failed.push(...issue.keys.map((key) => [...at, key]));
    else failed.push(at);
  }
  // Narrow first; should a narrowed document still fail the schema, set aside whole top-level fields.
  return (
    judgeWithout(
      raw,
      failed.map((path) => narrowest(raw, path)),
      settings,
      options,
    ) ??
    judgeWithout(
      raw,
      failed.map((path) => path.slice(0, 1)),
      settings,
      options,
    ) ??
    []
  );
}

/** The policy's problems about `raw` once `failed` paths are set aside; undefined if the rest does not parse. */
function judgeWithout(
  raw: Record<string, unknown>,
  failed: readonly Path[],
  settings: Settings,
  options: ResolveOptions,
): Problem[] | undefined {
  const rest = setAside(raw, trieOf(failed)) as Record<string, unknown>;
  for (const [key, standIn] of Object.entries(STAND_INS)) if (!Object.hasOwn(rest, key)) rest[key] = standIn;
  const spec = parseJobSpec(rest);
  if (!spec.ok) return undefined;
  const resolved = resolveJob(spec.value, settings, options);
  if (resolved.ok) return [];
  const excluded = new Set(failed.map((path) => formatPath(path)));
  return resolved.problems.filter((p) => !pathAndParents(p.path).some((x) => excluded.has(x)));
}

/** `conf["spark.master"]` → itself and `conf`; a cut inside a quoted key only yields strings no path equals. */
function pathAndParents(path: string): string[] {
  const out = [path];
  for (let i = 1; i < path.length; i++) if (path[i] === '.' || path[i] === '[') out.push(path.slice(0, i));
  return out;
}

/**
 * The smallest part of `raw` to set aside for a schema issue at `path`: the entry itself inside a
 * map or an object, the item of a list that has a stand-in, otherwise the list as a whole.
 */
function narrowest(raw: unknown, path: Path): Path {
  let current: unknown = raw;
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(current))
      return i === 1 && typeof path[0] === 'string' && Object.hasOwn(ENTRY_STAND_INS, path[0]) ? path.slice(0, 2) : path.slice(0, i);
    if (!isRecord(current)) return path.slice(0, i);
    current = current[path[i]!];
  }
  return path;
}

// The paths to set aside as a tree, so that the document is copied once however many there are
// (a spec can carry thousands of unknown fields).
type Trie = Map<string | number, Trie | 'all'>;

function trieOf(paths: readonly Path[]): Trie {
  const root: Trie = new Map();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const next = node.get(key);
      if (next === 'all') break;
      if (i === path.length - 1) node.set(key, 'all');
      else if (next) node = next;
      else {
        const created: Trie = new Map();
        node.set(key, created);
        node = created;
      }
    }
  }
  return root;
}

/**
 * A copy of `value` without what `trie` names; an item of a top-level list (`field`) is replaced by
 * its stand-in. `value` is not changed.
 */
function setAside(value: unknown, trie: Trie, field?: string, top = true): unknown {
  if (isRecord(value)) {
    const copy: Record<string, unknown> = { ...value };
    for (const [key, sub] of trie) {
      if (typeof key !== 'string' || !Object.hasOwn(copy, key)) continue;
      if (sub === 'all') delete copy[key];
      else copy[key] = setAside(copy[key], sub, top ? key : undefined, false);
    }
    return copy;
  }
  const standIn = field !== undefined && Object.hasOwn(ENTRY_STAND_INS, field) ? ENTRY_STAND_INS[field] : undefined;
  if (Array.isArray(value) && standIn !== undefined) {
    const copy: unknown[] = [...value];
    for (const key of trie.keys()) if (typeof key === 'number' && key < copy.length) copy[key] = standIn;
    return copy;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
