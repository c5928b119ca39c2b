/**
 * Path globs for data-landing rules, matched against a path inside a filesystem (no leading `/`):
 * - `*`  any run of characters except `/` (possibly empty);
 * - `**` any run of characters including `/`; `**` followed by `/` may also match nothing, so
 *   `raw/**` + `/_SUCCESS` matches `raw/_SUCCESS` as well as `raw/a/b/_SUCCESS`;
 * - `?`  one character except `/`;
 * - `[abc]`, `[a-z]`, `[!abc]` (or `[^abc]`): one character of (or not of) the class, never `/`;
 *   a `]` right after the `[` (or the `!`) is a literal member.
 * Everything else is literal, and the whole path must match. Characters are Unicode code points.
 *
 * Matching runs the glob as a nondeterministic automaton over the path, keeping the set of glob
 * positions reachable so far, character by character: at most 2 × tokens × (characters + 1)
 * steps, whatever the glob and the path (a 1,024-character glob on a 1,024-character path: about
 * 2 million steps, a few milliseconds). A backtracking matcher (the regular expression compiled
 * from the glob before) took polynomial time of the degree of the number of stars on a long name
 * that does not match: `landing/*_*_*_*_*.csv` blocked the event loop for 40 s on one event.
 * (`**` matches line terminators too, which the regular expression's `.` did not; event paths
 * never hold them: parseStorageEvent refuses control and invisible characters.)
 */

type Token =
  | { readonly kind: 'literal'; readonly char: number }
  /** `?` */
  | { readonly kind: 'one' }
  | { readonly kind: 'class'; readonly negate: boolean; readonly ranges: readonly (readonly [number, number])[] }
  /** `*`: a run without `/`. */
  | { readonly kind: 'star' }
  /** `**` not followed by `/`: any run. */
  | { readonly kind: 'any' }
  /**
   * `**` followed by `/`: nothing, or any run that ends with `/`. Two positions: `dirs` consumes
   * nothing and leads past the pair (nothing) or into `dirs-run`, which takes any character and
   * leaves on a `/`. (One position that could always be skipped would let `**` + `/` match a run
   * that does not end with `/`.)
   */
  | { readonly kind: 'dirs' }
  | { readonly kind: 'dirs-run' };

const SLASH = 0x2f;

export interface CompiledGlob {
  readonly glob: string;
  /** Whether `path` matches, and the steps it took: at most 2 × tokens × (characters + 1). */
  match(path: string): { readonly matched: boolean; readonly steps: number };
  readonly tokens: number;
}

/** Compiles a glob. Throws on an unterminated `[` or a reversed range, naming the glob and the position. */
export function compileGlob(glob: string): CompiledGlob {
  const tokens = tokenize(glob);
  return { glob, tokens: tokens.length, match: (path) => run(tokens, path) };
}

function tokenize(glob: string): Token[] {
  const chars = Array.from(glob, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === 0x2a /* * */) {
      if (chars[i + 1] === 0x2a) {
        i += 2;
        // Extra stars after `**` add nothing.
        while (chars[i] === 0x2a) i += 1;
        if (chars[i] === SLASH) {
          tokens.push({ kind: 'dirs' }, { kind: 'dirs-run' });
          i += 1;
        } else tokens.push({ kind: 'any' });
      } else {
        tokens.push({ kind: 'star' });
        i += 1;
      }
    } else if (c === 0x3f /* ? */) {
      tokens.push({ kind: 'one' });
      i += 1;
    } else if (c === 0x5b /* [ */) {
      const { token, next } = readClass(glob, chars, i);
      tokens.push(token);
      i = next;
    } else {
      tokens.push({ kind: 'literal', char: c });
      i += 1;
    }
  }
  return tokens;
}

function readClass(glob: string, chars: readonly number[], start: number): { token: Token; next: number } {
  let i = start + 1;
  let negate = false;
  if (chars[i] === 0x21 /* ! */ || chars[i] === 0x5e /* ^ */) {
    negate = true;
    i += 1;
  }
  // A `]` first is a member; the class ends at the next one.
  const first = i;
  let end = first;
  while (end < chars.length && (end === first || chars[end] !== 0x5d) /* ] */) end += 1;
  if (end >= chars.length) throw new Error(`invalid glob ${JSON.stringify(glob)}: the [ at position ${start + 1} has no closing ]`);
  // Members as in a regular expression's class: `a-z` is a range, a `-` first or last is itself.
  const ranges: [number, number][] = [];
  for (let k = first; k < end;) {
    const low = chars[k]!;
    if (chars[k + 1] === 0x2d /* - */ && k + 2 < end) {
      const high = chars[k + 2]!;
      if (high < low) {
        throw new Error(
          `invalid glob ${JSON.stringify(glob)}: the range ${String.fromCodePoint(low)}-${String.fromCodePoint(high)} at position ${k + 1} is reversed`,
        );
      }
      ranges.push([low, high]);
      k += 3;
    } else {
      ranges.push([low, low]);
      k += 1;
    }
  }
  return { token: { kind: 'class', negate, ranges }, next: end + 1 };
}

/** Whether the token at a position may match nothing, so the next position is reachable too. */
const skippable = (t: Token): boolean => t.kind === 'star' || t.kind === 'any' || t.kind === 'dirs';

function inClass(t: Extract<Token, { kind: 'class' }>, c: number): boolean {
  // A class never matches `/`: a path segment boundary is not "one character".
  if (c === SLASH) return false;
  const member = t.ranges.some(([low, high]) => c >= low && c <= high);
  return member !== t.negate;
}

/**
 * The automaton: `current[i]` says glob position i (before token i) is reachable after the
 * characters read so far; position `tokens.length` is the end. Each character looks at each
 * position once, and the closure over tokens that match nothing is one forward sweep (they only
 * ever lead forward): 2 × tokens steps per character, and one sweep before the first.
 */
function run(tokens: readonly Token[], path: string): { matched: boolean; steps: number } {
  const n = tokens.length;
  let current = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  let steps = 0;
  /** Adds what skippable tokens reach; says whether any position is reachable at all. */
  const close = (set: Uint8Array): boolean => {
    let alive = set[n] === 1;
    for (let i = 0; i < n; i++) {
      steps++;
      if (set[i] !== 1) continue;
      alive = true;
      const t = tokens[i]!;
      if (skippable(t)) set[i + 1] = 1;
      // `**/` matching nothing: past its run too.
      if (t.kind === 'dirs') set[i + 2] = 1;
    }
    return alive;
  };
  current[0] = 1;
  close(current);
  for (const ch of path) {
    const c = ch.codePointAt(0)!;
    next.fill(0);
    for (let i = 0; i < n; i++) {
      steps++;
      if (current[i] !== 1) continue;
      const t = tokens[i]!;
      switch (t.kind) {
        case 'literal':
          if (c === t.char) next[i + 1] = 1;
          break;
        case 'one':
          if (c !== SLASH) next[i + 1] = 1;
          break;
        case 'class':
          if (inClass(t, c)) next[i + 1] = 1;
          break;
        case 'star':
          if (c !== SLASH) next[i] = 1;
          break;
        case 'any':
          next[i] = 1;
          break;
        case 'dirs':
          // Consumes nothing: the closure has led on to its run and past it.
          break;
        case 'dirs-run':
          // Inside the run; a `/` may also end it.
          next[i] = 1;
          if (c === SLASH) next[i + 1] = 1;
          break;
      }
    }
    const alive = close(next);
    [current, next] = [next, current];
    if (!alive) return { matched: false, steps };
  }
  return { matched: current[n] === 1, steps };
}

const CACHE_LIMIT = 256;
const cache = new Map<string, CompiledGlob>();

/** Whether `path` (inside a filesystem, no leading `/`) matches `glob`. Throws like `compileGlob`. */
export function matchesGlob(glob: string, path: string): boolean {
  let compiled = cache.get(glob);
  if (compiled === undefined) {
    compiled = compileGlob(glob);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(glob, compiled);
  }
  return compiled.match(path).matched;
}
