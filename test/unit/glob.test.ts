import { describe, expect, it } from 'vitest';
import { globToRegExp, matchesGlob } from '../../src/domain/intake/glob.js';

// [glob, path, matches]
const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  // literal, anchored
  ['raw/sales.csv', 'raw/sales.csv', true],
  ['raw/sales.csv', 'raw/sales.csv.bak', false],
  ['raw/sales.csv', 'x/raw/sales.csv', false],
  ['raw/sales.csv', 'raw/salesXcsv', false], // `.` is literal
  ['a+b/(x)|y$^{1}', 'a+b/(x)|y$^{1}', true], // regex characters are literal
  ['a\\b', 'a\\b', true],
  // `*`: within one segment
  ['raw/*.csv', 'raw/sales.csv', true],
  ['raw/*.csv', 'raw/.csv', true],
  ['raw/*.csv', 'raw/2024/sales.csv', false],
  ['raw/*', 'raw/', true],
  ['*', 'a/b', false],
  ['*/*', 'a/b', true],
  ['date=*/part-*', 'date=2024-05-01/part-00000', true],
  // `**`: across segments; `**/` may match nothing
  ['**', 'a/b/c', true],
  ['**', '', true],
  ['**/_SUCCESS', '_SUCCESS', true],
  ['**/_SUCCESS', 'out/sales/_SUCCESS', true],
  ['**/_SUCCESS', 'out/sales/x_SUCCESS', false],
  ['**/_SUCCESS', 'out/sales/_SUCCESS.crc', false],
  ['raw/**/*.json', 'raw/a.json', true],
  ['raw/**/*.json', 'raw/2024/05/01/a.json', true],
  ['raw/**/*.json', 'rawx/a.json', false],
  ['raw/**', 'raw/a/b', true],
  ['raw/**', 'raw', false],
  ['raw/**.csv', 'raw/a/b.csv', true],
  ['a/***/b', 'a/x/y/b', true],
  ['a/***/b', 'a/b', true],
  // `?`: one character, never `/`
  ['part-?????', 'part-00001', true],
  ['part-?????', 'part-0001', false],
  ['a?b', 'a/b', false],
  ['?', 'é', true],
  ['?', '😀', true],
  // classes
  ['file[abc].txt', 'fileb.txt', true],
  ['file[abc].txt', 'filed.txt', false],
  ['v[0-9]', 'v7', true],
  ['v[0-9]', 'vx', false],
  ['v[!0-9]', 'vx', true],
  ['v[!0-9]', 'v7', false],
  ['v[^0-9]', 'v7', false],
  ['a[!x]b', 'a/b', false],
  ['a[+-9]b', 'a/b', false], // the range holds `/`, still not a path separator
  ['a[+-9]b', 'a5b', true],
  ['x[]]y', 'x]y', true],
  ['x[-a]y', 'x-y', true],
  ['x[.*]y', 'x.y', true],
  ['x[.*]y', 'xzy', false],
  ['x[[]y', 'x[y', true],
];

describe('matchesGlob', () => {
  it.each(CASES)('%j against %j → %s', (glob, path, want) => {
    expect(matchesGlob(glob, path)).toBe(want);
    expect(globToRegExp(glob).test(path)).toBe(want);
  });

  it.each(['raw/[abc', 'a[', 'x[]', 'x[!]'])('throws on the unterminated [ in %j', (glob) => {
    expect(() => globToRegExp(glob)).toThrow(/no closing \]/);
    expect(() => matchesGlob(glob, 'anything')).toThrow(/no closing \]/);
  });

  it('throws a readable error on a reversed range', () => {
    expect(() => globToRegExp('[z-a]')).toThrow(/invalid glob "\[z-a\]"/);
  });

  it('compiles to an anchored expression', () => {
    expect(globToRegExp('a*').source.startsWith('^')).toBe(true);
    expect(globToRegExp('a*').source.endsWith('$')).toBe(true);
  });
});
