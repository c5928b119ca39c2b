/**
 * Turns zod issues into {@link Problem}s that say what was expected and what was found, with
 * the found value read back from the input (zod 4 does not keep it) and a "did you mean" for
 * misspelled field names.
 */
import type { z } from 'zod';
import { secretKind } from './secrets.js';
import { dedupeProblems, describeValue, formatPath, type Problem } from './problem.js';

type Issue = z.core.$ZodIssue;

export function problemsFromZod(
  issues: readonly Issue[],
  input: unknown,
  schema?: z.ZodType,
  pathPrefix: readonly (string | number)[] = [],
): Problem[] {
  const problems: Problem[] = [];
  // zod 4 still runs length checks after a type mismatch (a string is "too long" for a list limit);
  // once a field has the wrong type, that is the only thing worth saying about it.
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.map(String).join('\u0000')));
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' && wrongType.has(issue.path.map(String).join('\u0000'))) continue;
    const at = [...pathPrefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const known = schema ? keysAt(schema, issue.path) : [];
        const suggestion = closest(key, known);
        problems.push({
          path: formatPath([...at, key]),
          expected: known.length > 0 ? `one of the fields ${known.join(', ')}` : 'no other fields here',
          found: `unknown field ${JSON.stringify(key)}`,
          ...(suggestion ? { hint: `did you mean "${suggestion}"?` } : {}),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // zod reports a bad record key with the key's own issues nested; the key is what was found.
      const key = issue.path[issue.path.length - 1];
      problems.push({
        path: formatPath(at),
        expected: issue.issues.map((inner) => inner.message).join('; ') || 'a valid key',
        found: `the key ${describeValue(typeof key === 'symbol' ? String(key) : key)}`,
      });
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      problems.push(...problemsFromZod(best, input, schema, pathPrefix));
      continue;
    }
    const found = valueAt(input, issue.path);
    // Custom issues may say what to show as found (a map key rather than its value) and give a hint.
    const params = issue.code === 'custom' ? (issue.params as { hint?: unknown; found?: unknown } | undefined) : undefined;
    const hint = typeof params?.hint === 'string' ? params.hint : typeHint(issue, found);
    problems.push({
      path: formatPath(at),
      expected: expectedOf(issue, found),
      found: typeof params?.found === 'string' ? params.found : safeFound(found),
      ...(hint ? { hint } : {}),
    });
  }
  return dedupeProblems(problems);
}

/** Never echo a credential back, not even in an error about something else. */
function safeFound(value: unknown): string {
  const kind = typeof value === 'string' ? secretKind(value) : undefined;
  return kind ? `[redacted: it looks like ${kind}]` : describeValue(value);
}

function expectedOf(issue: Issue, found: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (found === undefined) return `${article(issue.expected)} (required)`;
      return article(issue.expected);
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      // Our schemas phrase every custom message as what was expected ("at most 63 characters").
      return issue.message;
  }
}

function typeHint(issue: Issue, found: unknown): string | undefined {
  if (issue.code === 'invalid_type' && issue.expected === 'string' && (typeof found === 'number' || typeof found === 'boolean')) {
    return 'put it in quotes: YAML reads 4.0 as a number and yes as true';
  }
  return undefined;
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object (a map of fields)',
  array: 'a list',
  record: 'a map of names to values',
};
const article = (type: string): string => ARTICLES[type] ?? type;

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}
const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The field names a strict object schema allows at `path`, found by walking the schema. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType | undefined): z.ZodType | undefined => {
    let inner = s;
    for (let guard = 0; inner && guard < 10; guard++) {
      const def = defOf(inner);
      if (def.innerType) inner = def.innerType;
      else if (def.type === 'pipe' && def.in) inner = def.in;
      else break;
    }
    return inner;
  };
  for (const part of path) {
    current = unwrap(current);
    if (!current) return [];
    const def = defOf(current);
    if (def.type === 'object') current = def.shape?.[String(part)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
  }
  current = unwrap(current);
  return current && defOf(current).type === 'object' ? Object.keys(defOf(current).shape ?? {}) : [];
}

/** The candidate nearest to `word` by edit distance, if near enough to be a likely typo ("did you mean"). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = temp;
    }
  }
  return row[b.length]!;
}
