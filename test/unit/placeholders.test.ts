import { describe, expect, it } from 'vitest';
import { fillPlaceholders } from '../../src/domain/intake/placeholders.js';

const VALUES = { url: 'abfss://raw@acct.dfs.core.windows.net/a/b.csv', file: 'b.csv', date: '2024-05-01', empty: '', brace: '{file}' };

// [title, input, want value, want unknown]
const CASES: ReadonlyArray<readonly [string, unknown, unknown, string[]]> = [
  ['plain string', 'no placeholders', 'no placeholders', []],
  ['one placeholder', '{url}', VALUES.url, []],
  ['several in one string', 'in/{date}/{file}', 'in/2024-05-01/b.csv', []],
  ['repeated', '{file}-{file}', 'b.csv-b.csv', []],
  ['empty value', 'x{empty}y', 'xy', []],
  ['values are not filled again', '{brace}', '{file}', []],
  ['{{ and }} are literal braces', '{{file}}', '{file}', []],
  ['literal braces around a placeholder', '{{{file}}}', '{b.csv}', []],
  ['lone braces stay', 'a { b } c}', 'a { b } c}', []],
  ['JSON text stays', '{"a": 1}', '{"a": 1}', []],
  ['empty braces stay', '{}', '{}', []],
  ['not a name', '{1abc} {a-b} { file }', '{1abc} {a-b} { file }', []],
  ['unknown is reported and kept', 'x/{nope}/{file}', 'x/{nope}/b.csv', ['nope']],
  ['unknown once each, in order', ['{b}', '{a}', '{b}'], ['{b}', '{a}', '{b}'], ['b', 'a']],
  ['inherited names are unknown', '{constructor}{toString}', '{constructor}{toString}', ['constructor', 'toString']],
  ['escaped unknown is not reported', '{{nope}}', '{nope}', []],
  [
    'deep: objects and arrays; keys untouched',
    { name: 'ingest-{date}', args: ['--in', '{url}', 3, true, null], conf: { '{file}': '{file}' } },
    { name: 'ingest-2024-05-01', args: ['--in', VALUES.url, 3, true, null], conf: { '{file}': 'b.csv' } },
    [],
  ],
  ['numbers, booleans, null pass through', [1, false, null, undefined], [1, false, null, undefined], []],
];

describe('fillPlaceholders', () => {
  it.each(CASES)('%s', (_title, input, want, unknown) => {
    const out = fillPlaceholders(input, VALUES);
    expect(out.value).toEqual(want);
    expect(out.unknown).toEqual(unknown);
  });

  it('does not change its input', () => {
    const input = { a: ['{file}'], b: { c: '{date}' } };
    const copy = structuredClone(input);
    fillPlaceholders(input, VALUES);
    expect(input).toEqual(copy);
  });

  it('keeps a __proto__ key as data', () => {
    const input: unknown = JSON.parse('{"__proto__": "{file}"}');
    const out = fillPlaceholders(input, VALUES).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('b.csv');
  });
});
