import { describe, expect, it } from 'vitest';
import { compileGlob, matchesGlob } from '../../src/domain/intake/glob.js';

/**
 * The regular expression the globs were compiled to before the automaton: the reference for what
 * a glob means. It backtracks (hence its replacement), so it only ever sees short paths here.
 */
function referenceRegExp(glob: string): RegExp {
  let source = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i += 2;
        while (glob[i] === '*') i += 1;
        if (glob[i] === '/') {
          source += '(?:.*/)?';
          i += 1;
        } else source += '.*';
      } else {
        source += '[^/]*';
        i += 1;
      }
    } else if (c === '?') {
      source += '[^/]';
      i += 1;
    } else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (glob[j] === '!' || glob[j] === '^') {
        negate = true;
        j += 1;
      }
      let members = '';
      let first = true;
      for (; j < glob.length; j += 1) {
        const m = glob[j]!;
        if (m === ']' && !first) break;
        first = false;
        members += m === '-' ? '-' : m.replace(/[\\^\]\[/]/g, '\\$&');
      }
      if (j >= glob.length) throw new Error('no closing ]');
      source += negate ? `[^/${members}]` : `(?:(?!/)[${members}])`;
      i = j + 1;
    } else {
      source += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

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
    expect(compileGlob(glob).match(path).matched).toBe(want);
    expect(referenceRegExp(glob).test(path)).toBe(want);
  });

  it.each(['raw/[abc', 'a[', 'x[]', 'x[!]'])('throws on the unterminated [ in %j', (glob) => {
    expect(() => compileGlob(glob)).toThrow(/no closing \]/);
    expect(() => matchesGlob(glob, 'anything')).toThrow(/no closing \]/);
  });

  it('throws a readable error on a reversed range', () => {
    expect(() => compileGlob('[z-a]')).toThrow('invalid glob "[z-a]": the range z-a at position 2 is reversed');
    expect(() => compileGlob('v[a--]')).toThrow(/the range a-- at position 3 is reversed/);
  });

  it('means what the regular expression it replaces meant, on 30,000 random globs and paths', () => {
    let state = 11;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const globParts = [
      '*',
      '**',
      '***',
      '**/',
      '?',
      '/',
      'a',
      'b',
      '.',
      '-',
      '_',
      'é',
      '😀',
      '[ab]',
      '[!a]',
      '[^/]',
      '[a-c]',
      '[-a]',
      '[a-]',
      '[]a]',
      '[+-9]',
      '[--0]',
      '[a-c-e]',
      '[😀]',
      '[',
      ']',
      '\\',
      '$',
      '(',
      '|',
    ];
    const pathChars = ['a', 'b', 'c', '/', '.', '-', '_', 'é', '😀', ']', '[', '\\', '$', '5', '+'];
    let compared = 0;
    for (let n = 0; n < 30_000; n++) {
      const glob = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(globParts)).join('');
      let reference: RegExp | undefined;
      try {
        reference = referenceRegExp(glob);
      } catch {
        // Invalid for the regular expression: invalid for the automaton too.
        expect(() => compileGlob(glob), glob).toThrow(/invalid glob/);
        continue;
      }
      const compiled = compileGlob(glob);
      for (let k = 0; k < 4; k++) {
        const path = Array.from({ length: Math.floor(random() * 8) }, () => pick(pathChars)).join('');
        expect(compiled.match(path).matched, `${glob} against ${path}`).toBe(reference.test(path));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100_000);
  });
});

describe('glob matching takes linear time', () => {
  // Globs with many stars against long names that almost match: what makes a backtracking matcher
  // try every way of splitting the name (polynomial in the name of the degree of the star count).
  const HOSTILE: readonly (readonly [string, string])[] = [
    ['landing/*_*_*_*_*.csv', `landing/${'_'.repeat(1000)}.csv!`],
    ['landing/*_*_*_*_*.csv', `landing/${'a_'.repeat(500)}.cs`],
    ['**/**/**/**/**/x', `${'a/'.repeat(500)}y`],
    ['**a**a**a**a**a**b', 'a'.repeat(1000)],
    ['*?*?*?*?*?*?*?*?*?*!', 'x'.repeat(1000)],
    [`${'*'.repeat(1)}${'[a-z]*'.repeat(100)}!`, 'q'.repeat(1000)],
    ['[!/]*[!/]*[!/]*[!/]*.parquet', `${'part-'.repeat(200)}.parque`],
  ];

  it.each(HOSTILE)('%s against a hostile name: within 2 × tokens × (characters + 1) steps', (glob, path) => {
    const compiled = compileGlob(glob);
    const characters = [...path].length;
    const { matched, steps } = compiled.match(path);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(2 * compiled.tokens * (characters + 1));
  });

  it('steps grow linearly with the name: twice the name, at most twice the steps', () => {
    const compiled = compileGlob('landing/*_*_*_*_*.csv');
    const steps = (n: number) => compiled.match(`landing/${'_'.repeat(n)}.csv!`).steps;
    for (const n of [100, 1000, 10_000]) expect(steps(2 * n)).toBeLessThanOrEqual(2 * steps(n));
  });

  it('the longest glob settings take (1,024 characters) on the longest path (1,024) stays within its bound', () => {
    const glob = '*a'.repeat(512);
    const compiled = compileGlob(glob);
    const { steps } = compiled.match('a'.repeat(1023));
    expect(compiled.tokens).toBe(1024);
    expect(steps).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});
