/**
 * Path globs for data-landing rules, matched against a path inside a filesystem (no leading `/`):
 * - `*`  any run of characters except `/` (possibly empty);
 * - `**` any run of characters including `/`; `**` followed by `/` may also match nothing, so
 *   `raw/**` + `/_SUCCESS` matches `raw/_SUCCESS` as well as `raw/a/b/_SUCCESS`;
 * - `?`  one character except `/`;
 * - `[abc]`, `[a-z]`, `[!abc]` (or `[^abc]`): one character of (or not of) the class, never `/`;
 *   a `]` right after the `[` (or the `!`) is a literal member.
 * Everything else is literal, and the whole path must match.
 */

// Characters with a meaning in a JavaScript regular expression (outside a class).
const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
// Characters that must be escaped inside a class; `-` is kept when it denotes a range.
const CLASS_SPECIAL = /[\\^\]\[/]/g;

/** Compiles a glob to an anchored regular expression. Throws on an unterminated `[` or a bad range. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i += 2;
        // Extra stars after `**` add nothing.
        while (glob[i] === '*') i += 1;
        if (glob[i] === '/') {
          source += '(?:.*/)?';
          i += 1;
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
        i += 1;
      }
    } else if (c === '?') {
      source += '[^/]';
      i += 1;
    } else if (c === '[') {
      const { cls, next } = readClass(glob, i);
      source += cls;
      i = next;
    } else {
      source += c.replace(REGEX_SPECIAL, '\\$&');
      i += 1;
    }
  }
  try {
    return new RegExp(`^${source}$`, 'u');
  } catch (err) {
    throw new Error(`invalid glob ${JSON.stringify(glob)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function readClass(glob: string, start: number): { cls: string; next: number } {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i += 1;
  }
  let members = '';
  let first = true;
  for (; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === ']' && !first) {
      // A class never matches `/`: a path segment boundary is not "one character".
      return { cls: negate ? `[^/${members}]` : `(?:(?!/)[${members}])`, next: i + 1 };
    }
    first = false;
    members += c === '-' ? '-' : c.replace(CLASS_SPECIAL, '\\$&');
  }
  throw new Error(`invalid glob ${JSON.stringify(glob)}: the [ at position ${start + 1} has no closing ]`);
}

const CACHE_LIMIT = 256;
const cache = new Map<string, RegExp>();

/** Whether `path` (inside a filesystem, no leading `/`) matches `glob`. Throws like `globToRegExp`. */
export function matchesGlob(glob: string, path: string): boolean {
  let re = cache.get(glob);
  if (re === undefined) {
    re = globToRegExp(glob);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(glob, re);
  }
  return re.test(path);
}
