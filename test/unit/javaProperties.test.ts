import { describe, expect, it } from 'vitest';
import { escapePropertyKey, escapePropertyValue, parseJavaProperties, toJavaProperties } from '../../src/domain/render/javaProperties.js';

// Golden lines produced by java.util.Properties.store(OutputStream, null) on OpenJDK 17: Spark
// reads spark.properties with Properties.load, so we must write what Java writes.
const JAVA_GOLDEN: readonly [key: string, value: string, line: string][] = [
  ['k', 'plain', 'k=plain'],
  ['a b:c=d', 'v', 'a\\ b\\:c\\=d=v'],
  ['k', ' lead and inner spaces ', 'k=\\ lead and inner spaces '],
  ['k', 'a=b:c', 'k=a\\=b\\:c'],
  ['k', '#hash !bang', 'k=\\#hash \\!bang'],
  ['k', 'back\\slash', 'k=back\\\\slash'],
  ['k', 'tab\there\nnl\rcr\fff', 'k=tab\\there\\nnl\\rcr\\fff'],
  ['k', 'é ü', 'k=\\u00E9 \\u00FC'],
  ['k', '😀', 'k=\\uD83D\\uDE00'],
  ['k', 'k8s://https://kubernetes.default.svc:443', 'k=k8s\\://https\\://kubernetes.default.svc\\:443'],
  [
    'spark.kubernetes.executor.label.azure.workload.identity/use',
    'true',
    'spark.kubernetes.executor.label.azure.workload.identity/use=true',
  ],
  ['k', '', 'k='],
  ['kéy', 'x', 'k\\u00E9y=x'],
  ['#k', 'x', '\\#k=x'],
  ['k', '\u0001\u007f', 'k=\\u0001\\u007F'],
];

describe('Java properties escaping', () => {
  it.each(JAVA_GOLDEN)('%j = %j is written as Java writes it', (key, value, line) => {
    expect(`${escapePropertyKey(key)}=${escapePropertyValue(value)}`).toBe(line);
  });

  it.each(JAVA_GOLDEN)('%j = %j reads back unchanged', (key, value) => {
    expect(parseJavaProperties(toJavaProperties({ [key]: value }))).toEqual({ [key]: value });
  });

  it('writes sorted keys and a comment header, so the same job gives byte-identical conf', () => {
    const text = toJavaProperties({ 'spark.b': '2', 'spark.a': '1' }, 'line one\nline two');
    expect(text).toBe('# line one\n# line two\nspark.a=1\nspark.b=2\n');
  });

  it('reads what Java accepts: colon and space separators, continuations, comments', () => {
    const parsed = parseJavaProperties('# c\n! c\n  a : 1\nb 2\nc=x\\\n   y\nd\\=e=f\n');
    expect(parsed).toEqual({ a: '1', b: '2', c: 'xy', 'd=e': 'f' });
  });
});
