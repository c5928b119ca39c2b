/**
 * A problem with a job request or with settings: where (a dotted field path), what was expected
 * and what was found. Every validator in spark-dispatch reports *all* its problems at once, so
 * that a user fixes a spec in one round trip instead of one error per attempt.
 */
export interface Problem {
  /** Dotted path of the offending field, e.g. `driver.memory` or `conf["spark.master"]`; `(root)` for the whole document. */
  readonly path: string;
  /** What the field must be, phrased for a person: "a size such as 512m or 2g". */
  readonly expected: string;
  /** A short rendering of what was there, or `undefined` when the field was missing. */
  readonly found?: string;
  /** Extra advice: what to use instead. */
  readonly hint?: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(problems: readonly Problem[]): Result<T> => ({ ok: false, problems });

type PathPart = string | number | symbol;

/** `['conf', 'spark.master']` → `conf["spark.master"]`; `['pyFiles', 2]` → `pyFiles[2]`. */
export function formatPath(parts: readonly PathPart[]): string {
  if (parts.length === 0) return '(root)';
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

const MAX_FOUND = 80;

/** A short, safe rendering of a found value: strings quoted and escaped, long values cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === null) text = 'null';
  else if (Array.isArray(value)) text = `an array of ${value.length}`;
  else if (typeof value === 'object') text = 'an object';
  else text = `${String(value)} (${typeof value})`;
  // JSON.stringify leaves some invisible characters alone; show them so a user can see the trick.
  text = text.replace(
    /[\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  // The length told is the value's own (a string's characters, not its quoted, escaped form).
  const length = typeof value === 'string' ? [...value].length : text.length;
  return text.length > MAX_FOUND ? `${text.slice(0, MAX_FOUND - 1)}… (${length} characters)` : text;
}

/** The same problem (path and expectation) once, in first-seen order. */
export function dedupeProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function problemToString(p: Problem): string {
  const found = p.found === undefined ? '' : `, found ${p.found}`;
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${p.path}: expected ${p.expected}${found}${hint}`;
}
