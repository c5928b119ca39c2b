import { describe, expect, it } from 'vitest';
import { deepCopy, deepFreeze } from '../../dev/kube-standin/jsonValues.js';

describe('deepCopy (plain JSON, the stand-in never shares references)', () => {
  it('copies every level: changing the copy leaves the original as it was', () => {
    const original = JSON.parse('{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"args":["x"],"n":1,"ok":true,"none":null}]}}') as {
      metadata: { labels: Record<string, string> };
      spec: { containers: { args: string[] }[] };
    };
    const copy = deepCopy(original);
    expect(copy).toEqual(original);
    copy.metadata.labels.a = 'changed';
    copy.spec.containers[0]!.args.push('y');
    expect(original.metadata.labels.a).toBe('b');
    expect(original.spec.containers[0]!.args).toEqual(['x']);
    expect(copy.spec.containers).not.toBe(original.spec.containers);
  });

  it('a frozen stored object copies into one that can be changed', () => {
    const stored = deepFreeze({ metadata: { name: 'p', labels: { a: 'b' } } });
    const copy = deepCopy(stored);
    copy.metadata.labels.a = 'c';
    expect(copy.metadata.labels.a).toBe('c');
    expect(Object.isFrozen(copy.metadata)).toBe(false);
  });

  it('keeps a "__proto__" key from JSON as data, never as the prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    const copy = deepCopy(parsed);
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });
});
