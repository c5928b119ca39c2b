import { describe, expect, it } from 'vitest';
import { boundedJson, boundsProblem, MAX_NESTING } from '../../src/domain/spec/bounds.js';

const nested = (levels: number, leaf: unknown = 'x', wrap: (inner: unknown) => unknown = (inner) => ({ a: inner })): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
};

describe('boundsProblem', () => {
  it(`takes ${MAX_NESTING} levels and refuses ${MAX_NESTING + 1}, naming where`, () => {
    expect(boundsProblem(nested(MAX_NESTING), 'a message')).toBeUndefined();
    expect(boundsProblem(nested(MAX_NESTING + 1), 'a message')).toEqual({
      path: 'a.a.a.a… (128 levels down)',
      expected: 'a message nested at most 128 levels deep',
      found: 'more than 128 levels',
    });
    expect(boundsProblem({ name: 'x', conf: nested(MAX_NESTING, 'x', (inner) => [inner]) }, 'a message')?.path).toBe(
      'conf[0][0][0]… (128 levels down)',
    );
    expect(boundsProblem(nested(3), 'a message', { maxDepth: 2, maxBytes: 1000 })).toMatchObject({
      path: 'a.a',
      found: 'more than 2 levels',
    });
  });

  it('refuses 100,000 levels, and a cycle, without recursing', () => {
    expect(boundsProblem(nested(100_000), 'a message')?.expected).toBe('a message nested at most 128 levels deep');
    const cycle: Record<string, unknown> = { name: 'x' };
    cycle.self = cycle;
    expect(boundsProblem(cycle, 'a message')?.found).toBe('more than 128 levels');
  });

  it('counts the size as JSON, in UTF-8 bytes', () => {
    const value = { name: 'wordcount', args: ['a', 'é'.repeat(300), 42, true, null], conf: { 'spark.x': '1' } };
    const json = Buffer.byteLength(JSON.stringify(value));
    expect(boundsProblem(value, 'a message', { maxDepth: 10, maxBytes: json + 10 })).toBeUndefined();
    expect(boundsProblem(value, 'a message', { maxDepth: 10, maxBytes: json - 10 })?.expected).toBe(
      `a message of at most ${json - 10} bytes`,
    );
    // 300 × é is 600 bytes: the limit of 300 is passed on that argument.
    expect(boundsProblem(value, 'a message', { maxDepth: 10, maxBytes: 300 })).toEqual({
      path: '(root)',
      expected: 'a message of at most 300 bytes',
      found: 'more than 300 bytes as JSON (the limit is passed at args[1])',
    });
    expect(boundsProblem({ s: 'x'.repeat(300 * 1024) }, 'a message')?.expected).toBe('a message of at most 256 KiB');
  });

  it('stops as soon as the size is passed: a huge array is not read item by item', () => {
    let reads = 0;
    const items = new Proxy(
      Array.from({ length: 1_000_000 }, () => 1),
      {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    expect(boundsProblem({ items }, 'a message')?.found).toBe('more than 256 KiB as JSON (the limit is passed at items)');
    expect(reads).toBe(0);
  });

  it('counts a shared subtree at each place it appears (aliases, or one object reused)', () => {
    // 40 levels of [v, v]: a few objects in memory, 2^40 leaves as JSON.
    const shared = nested(40, 'x', (inner) => [inner, inner]);
    expect(boundsProblem(shared, 'a document')?.expected).toBe('a document of at most 256 KiB');
  });

  it('takes values JSON cannot write as they are: BigInt, binary, dates', () => {
    expect(boundsProblem({ n: 10n, b: Buffer.from('abc'), d: new Date(0), u: undefined }, 'a message')).toBeUndefined();
  });
});

describe('boundedJson', () => {
  it('writes what JSON.stringify writes', () => {
    const values: unknown[] = [
      { name: 'x', args: ['a', 1, true, null, undefined, () => 1], nested: { deeper: [{}, []] }, skipped: undefined, fn: () => 1 },
      ['é', '\u202e', '"quoted"\n', Number.NaN, Infinity, -0, 1.5e300],
      'plain',
      42,
      null,
      { date: new Date('2026-11-23T10:00:00Z') },
    ];
    for (const value of values) expect(boundedJson(value, 10_000)).toBe(JSON.stringify(value));
  });

  it('cuts at the given length', () => {
    const value = { args: Array.from({ length: 10_000 }, (_, i) => `argument-${i}`) };
    const text = boundedJson(value, 1000);
    expect(text).toHaveLength(1000);
    expect(JSON.stringify(value).startsWith(text)).toBe(true);
    expect(boundedJson({ s: 'y'.repeat(1_000_000) }, 50)).toBe(`{"s":"${'y'.repeat(44)}`);
  });

  it('never throws: 100,000 levels, a cycle, a BigInt, binary data', () => {
    expect(boundedJson(nested(100_000), 30)).toBe('{"a":{"a":{"a":{"a":{"a":{"a":');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(boundedJson(cycle, 24)).toBe('{"self":{"self":{"self":');
    expect(boundedJson({ n: 10n, b: Buffer.from('abc') }, 100)).toBe('{"n":10,"b":"(3 bytes)"}');
  });
});
