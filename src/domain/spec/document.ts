/**
 * Job specs and settings arrive as JSON or YAML text. YAML is read with the 1.2 core schema
 * (so `no` stays a string), duplicate keys are errors, and alias expansion is bounded so a
 * "billion laughs" document cannot exhaust memory. Size and nesting are checked before the
 * parser and again on what it made (see bounds.ts for the limits and why).
 */
import {
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parse as parseYaml,
  Parser,
  type Document as YamlDocument,
  parseDocument as parseYamlDocument,
  visit,
  YAMLParseError,
  type Node,
  type Pair,
} from 'yaml';
import { boundsProblem, MAX_ALIAS_COUNT, MAX_DOCUMENT_BYTES, MAX_NESTING, nestingExpected, sizeExpected } from './bounds.js';
import { describeValue, fail, formatPath, ok, type Problem, type Result } from './problem.js';

export { MAX_DOCUMENT_BYTES, MAX_NESTING } from './bounds.js';

const YAML_OPTIONS = { schema: 'core', uniqueKeys: true, prettyErrors: false } as const;

export function parseDocument(text: string, origin: string): Result<unknown> {
  // A string has at least as many UTF-8 bytes as UTF-16 units: a huge one is refused without measuring it.
  const bytes = text.length > MAX_DOCUMENT_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) {
    return fail([
      {
        path: '(root)',
        expected: sizeExpected('a document'),
        found: text.length > MAX_DOCUMENT_BYTES ? `at least ${Math.floor(text.length / 1024)} KiB` : `${Math.ceil(bytes / 1024)} KiB`,
      },
    ]);
  }
  if (nestingDepth(text) > MAX_NESTING) {
    return fail([{ path: '(root)', expected: nestingExpected('a document'), found: `more than ${MAX_NESTING} levels` }]);
  }
  const isJsonFile = origin.toLowerCase().endsWith('.json');
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both and refuses duplicate keys in both
    // (JSON.parse would silently keep the last one). A .json file gets JSON's own syntax check
    // first, for the clearer message.
    if (isJsonFile) JSON.parse(text);
    const value: unknown = parseYaml(text, { ...YAML_OPTIONS, maxAliasCount: MAX_ALIAS_COUNT });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return fail([
        {
          path: '(root)',
          expected: 'a mapping of fields (a JSON object or YAML map)',
          found: value === null ? 'an empty document' : describeKind(value),
        },
      ]);
    }
    // Aliases nest a document deeper than its text does (an alias of a 100-deep list inside
    // another one is 200 deep), and share subtrees that every later walk visits again.
    const bounds = boundsProblem(value, 'a document');
    if (bounds) return fail([{ ...bounds, found: `${bounds.found} once its YAML aliases are expanded` }]);
    return ok(value);
  } catch (error) {
    if (error instanceof ReferenceError && error.message.startsWith('Excessive alias count')) {
      return fail([
        {
          path: '(root)',
          expected: `a document whose YAML aliases (*name) expand at most ${MAX_ALIAS_COUNT} times`,
          found: 'more expansions: the aliases multiply each other (an alias bomb)',
        },
      ]);
    }
    const syntaxError = (e: unknown): Problem => ({
      path: '(root)',
      expected: isJsonFile ? 'valid JSON' : 'valid YAML or JSON',
      found: `a syntax error: ${e instanceof Error ? e.message.split('\n')[0]! : String(e)}`,
    });
    if (!(error instanceof YAMLParseError)) return fail([syntaxError(error)]);
    // A duplicate key is not a syntax error (JSON allows it, YAML forbids it): each is named with its
    // lines, next to the first real syntax error if there is one too.
    const { duplicates, otherError } = yamlErrors(text);
    return fail([...duplicates, ...(otherError || duplicates.length === 0 ? [syntaxError(otherError ?? error)] : [])]);
  }
}

const INDICATORS = new Set([...'[{-?:'].map((c) => c.charCodeAt(0)));

/**
 * How deeply collections nest (an upper bound up to MAX_NESTING; past it, enough to tell),
 * measured on yaml's concrete syntax tree, which its parser builds without recursion. The composer that turns that tree into values recurses once per level, and
 * a stack overflow there is not always a catchable RangeError: when it strikes while V8 compiles a
 * regular expression, the whole process dies ("RegExpCompiler Allocation failed"). A 10 KiB
 * message of nested brackets must not take the intake down, so depth is checked first.
 */
function nestingDepth(text: string): number {
  // Every level needs one of these indicators ([, {, -, ?, :), so most documents are cleared by a
  // count, without a second parse.
  let indicators = 0;
  for (let i = 0; i < text.length && indicators <= MAX_NESTING; i++) if (INDICATORS.has(text.charCodeAt(i))) indicators++;
  if (indicators <= MAX_NESTING) return indicators;
  let max = 0;
  const pending: { token: unknown; depth: number }[] = [...new Parser().parse(text)].map((token) => ({ token, depth: 0 }));
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (token === null || typeof token !== 'object') continue;
    const t = token as { value?: unknown; items?: readonly { key?: unknown; value?: unknown }[] };
    if (Array.isArray(t.items)) {
      if (depth + 1 > max) max = depth + 1;
      if (max > MAX_NESTING) return max;
      for (const item of t.items) pending.push({ token: item.key, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
    } else if (t.value !== undefined) pending.push({ token: t.value, depth });
  }
  return max;
}

const MAX_DUPLICATES_SHOWN = 20;
const DUPLICATE_EXPECTED = 'each key at most once in a map (Map keys must be unique)';

/** The document's errors: every repeated key as a problem, and the first other error. */
function yamlErrors(text: string): { duplicates: Problem[]; otherError: YAMLParseError | undefined } {
  const lines = new LineCounter();
  const doc = parseYamlDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  return { duplicates: duplicateKeys(doc, lines), otherError: doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') };
}

/**
 * One problem per repeated key, e.g. `line 4: the key "memory" appears twice in driver (first on line 3)`.
 * The parser's errors say where each repeat starts; the document tree gives its name and map. One
 * pass per map, so a document of thousands of repeats costs no more than reading it.
 */
function duplicateKeys(doc: YamlDocument, lines: LineCounter): Problem[] {
  const line = (offset: number) => lines.linePos(offset).line;
  const at = new Set(doc.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.pos[0]));
  const found: { offset: number; text: string }[] = [];
  visit(doc, {
    Map(_, map, ancestors) {
      const seen = new Map<string, { firstOffset: number | undefined; count: number }>();
      let where: string | undefined;
      for (const pair of map.items) {
        const name = keyName(pair.key);
        const offset = keyOffset(pair);
        const earlier = seen.get(name);
        if (earlier) earlier.count++;
        else seen.set(name, { firstOffset: offset, count: 1 });
        if (!earlier || offset === undefined || !at.has(offset)) continue;
        at.delete(offset);
        where ??= mapPath([...ancestors, map]);
        const first = earlier.firstOffset === undefined ? '' : ` (first on line ${line(earlier.firstOffset)})`;
        found.push({
          offset,
          text: `line ${line(offset)}: the key ${describeValue(name)} appears ${earlier.count > 2 ? 'again' : 'twice'}${where ? ` in ${where}` : ''}${first}`,
        });
      }
    },
  });
  // A repeated key the walk could not place (inside a complex key, say) is still reported by line.
  for (const offset of at) found.push({ offset, text: `line ${line(offset)}: a key appears twice` });
  found.sort((a, b) => a.offset - b.offset);
  const shown = found.length > MAX_DUPLICATES_SHOWN ? found.slice(0, MAX_DUPLICATES_SHOWN - 1) : found;
  const problems: Problem[] = shown.map((f) => ({ path: '(root)', expected: DUPLICATE_EXPECTED, found: f.text }));
  if (shown.length < found.length)
    problems.push({
      path: '(root)',
      expected: DUPLICATE_EXPECTED,
      found: `${found.length - shown.length} more repeated keys, from line ${line(found[shown.length]!.offset)} on`,
    });
  return problems;
}

function keyOffset(pair: Pair): number | undefined {
  const key = pair.key as Node | null;
  return key && typeof key === 'object' && 'range' in key ? key.range?.[0] : undefined;
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The dotted path of a map from its ancestors in the YAML tree (`driver`, `args[2]`); empty at the top. */
function mapPath(ancestors: readonly unknown[]): string {
  const parts: (string | number)[] = [];
  ancestors.forEach((node, i) => {
    if (isPair(node)) parts.push(keyName(node.key));
    else if (isSeq(node)) parts.push(node.items.indexOf(ancestors[i + 1] as never));
  });
  return parts.length === 0 ? '' : formatPath(parts);
}

function describeKind(value: unknown): string {
  return Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
