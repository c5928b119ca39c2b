/**
 * Bounds on untrusted input, applied before anything recursive touches it.
 *
 * Several things that read a value recurse once per level of nesting: yaml's composer, zod,
 * structuredClone, JSON.stringify, and our own canonicalJson and fillPlaceholders. Past a few
 * hundred levels they run out of stack, and a stack overflow is not always a catchable RangeError:
 * when it strikes while V8 compiles a regular expression for the first time (in a freshly started
 * worker, every expression is compiled on first use), the whole process dies with "RegExpCompiler
 * Allocation failed" (exit 134), before anything reaches the ledger, and again on every redelivery.
 *
 * Measured on Node 20 with the default stack, each in a fresh process (`npx tsx scripts/crash-depths.ts`):
 * the yaml composer fails from 788 levels (flow collections; block ones from 880), zod's
 * recursive types from 1,208, structuredClone from 1,936, fillPlaceholders and canonicalJson from
 * about 2,000, deepMerge from 3,744, JSON.stringify from 4,128. JSON.parse, yaml's own
 * concrete-syntax parser and the job spec schema (no recursive types) take a million levels. In
 * the job-message handler of a cold worker, with this check taken out, JSON text 820 deep is
 * refused with a RangeError and 840 deep kills the process (SIGABRT, "RegExpCompiler Allocation
 * failed"): the worker's own frames leave less stack. Job specs and settings nest a handful of
 * levels, so {@link MAX_NESTING} (128) stays six times below the lowest of these.
 */
import { formatPath, type Problem } from './problem.js';

/** A job spec, settings file, job message or storage event: far more than any real one needs. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Levels of nested collections in any untrusted document or decoded value; see above for why 128. */
export const MAX_NESTING = 128;
/** YAML aliases expanded in one document: enough for shared settings blocks, not for a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;

export interface Bounds {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

export const DOCUMENT_BOUNDS: Bounds = { maxDepth: MAX_NESTING, maxBytes: MAX_DOCUMENT_BYTES };

export const nestingExpected = (what: string, maxDepth = MAX_NESTING): string => `${what} nested at most ${maxDepth} levels deep`;
export const sizeExpected = (what: string, maxBytes = MAX_DOCUMENT_BYTES): string => `${what} of at most ${formatBytes(maxBytes)}`;

export function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

interface Frame {
  readonly value: unknown;
  /** Collections around this value: 0 for the value itself. */
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

/**
 * Whether a decoded value (a message body the Service Bus SDK decoded, an Event Grid event, a
 * parsed YAML document) stays within the bounds: collections nested at most `maxDepth` deep, and
 * at most `maxBytes` as JSON (counted as JSON.stringify would write it, escapes aside). The first
 * bound passed is the problem, naming where it was passed.
 *
 * Iterative, and it stops as soon as a bound is passed, so its cost is at most proportional to
 * `maxBytes` whatever the value is: however deep, however wide, cyclic, or a small YAML document
 * whose aliases share one subtree many times over (each visit of a shared subtree counts).
 */
export function boundsProblem(value: unknown, what: string, bounds: Bounds = DOCUMENT_BOUNDS): Problem | undefined {
  const { maxDepth, maxBytes } = bounds;
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  let bytes = 0;
  const tooLarge = (at: Frame): Problem => ({
    path: '(root)',
    expected: sizeExpected(what, maxBytes),
    found: `more than ${formatBytes(maxBytes)} as JSON${at.parent === undefined ? '' : ` (the limit is passed at ${shortPath(at)})`}`,
  });
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof frame.key === 'string') bytes += frame.key.length;
    // A string longer than what is left cannot fit whatever its encoding: no need to measure it.
    if (typeof v === 'string') bytes += 2 + (v.length > maxBytes - bytes ? v.length : Buffer.byteLength(v, 'utf8'));
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') bytes += String(v).length;
    else if (v === null || v === undefined) bytes += 4;
    else if (typeof v === 'object') {
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) bytes += v.byteLength;
      else if (v instanceof Date) bytes += 26;
      else {
        const depth = frame.depth + 1;
        if (depth > maxDepth) {
          return { path: shortPath(frame), expected: nestingExpected(what, maxDepth), found: `more than ${maxDepth} levels` };
        }
        bytes += 2;
        if (Array.isArray(v)) {
          // Each item costs at least a separator: a huge array is refused before its items are pushed.
          bytes += v.length;
          if (bytes > maxBytes) return tooLarge(frame);
          for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
        } else {
          const keys = Object.keys(v);
          bytes += keys.length * 4;
          if (bytes > maxBytes) return tooLarge(frame);
          for (let i = keys.length - 1; i >= 0; i--)
            stack.push({ value: (v as Record<string, unknown>)[keys[i]!], depth, parent: frame, key: keys[i]! });
        }
      }
    }
    if (bytes > maxBytes) return tooLarge(frame);
  }
  return undefined;
}

/** The path of a frame, cut after a few levels: `nested.a.a…` rather than 128 keys. */
function shortPath(frame: Frame): string {
  const parts: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) parts.push(f.key);
  parts.reverse();
  const SHOWN = 4;
  return parts.length <= SHOWN ? formatPath(parts) : `${formatPath(parts.slice(0, SHOWN))}… (${parts.length} levels down)`;
}

type Piece = { readonly text: string } | { readonly value: unknown };

/**
 * JSON text of any value, for the ledger's copy of a refused request: at most `maxChars`
 * characters (the rest cut), never throwing and never recursing, so a value too deep or too
 * large for JSON.stringify (or holding a BigInt, which JSON.stringify refuses) is still recorded.
 * Within the bounds it writes what JSON.stringify writes, except that binary data is summarised.
 */
export function boundedJson(value: unknown, maxChars: number): string {
  let out = '';
  const pending: Piece[] = [{ value }];
  while (pending.length > 0 && out.length < maxChars) {
    const piece = pending.pop()!;
    if ('text' in piece) {
      out += piece.text;
      continue;
    }
    const v = piece.value;
    if (typeof v === 'string') out += JSON.stringify(v.length > maxChars - out.length ? v.slice(0, maxChars - out.length) : v);
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'bigint' || typeof v === 'boolean') out += String(v);
    else if (v === null || typeof v !== 'object') out += 'null';
    else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) out += JSON.stringify(`(${v.byteLength} bytes)`);
    else if (v instanceof Date) out += Number.isNaN(v.getTime()) ? 'null' : JSON.stringify(v.toISOString());
    else if (Array.isArray(v)) {
      const items: Piece[] = [{ text: '[' }];
      // Only as many items as could still be written: a huge array costs nothing more.
      const shown = Math.min(v.length, maxChars - out.length);
      for (let i = 0; i < shown; i++)
        items.push(...(i > 0 ? [{ text: ',' }] : []), {
          value: v[i] === undefined || typeof v[i] === 'function' || typeof v[i] === 'symbol' ? null : v[i],
        });
      items.push({ text: ']' });
      for (let i = items.length - 1; i >= 0; i--) pending.push(items[i]!);
    } else {
      const items: Piece[] = [{ text: '{' }];
      let first = true;
      for (const key of Object.keys(v)) {
        const inner = (v as Record<string, unknown>)[key];
        if (inner === undefined || typeof inner === 'function' || typeof inner === 'symbol') continue;
        items.push({ text: `${first ? '' : ','}${JSON.stringify(key)}:` }, { value: inner });
        first = false;
        if (items.length > maxChars - out.length) break;
      }
      items.push({ text: '}' });
      for (let i = items.length - 1; i >= 0; i--) pending.push(items[i]!);
    }
  }
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}
