import { describe, expect, it } from 'vitest';
import { canonicalJson, jobNames, sanitizeName } from '../../src/domain/render/naming.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('sanitizeName (Spark getResourceNamePrefix rules, plus a leading letter)', () => {
  it.each([
    ['wordcount', 'wordcount'],
    ['WordCount', 'wordcount'],
    ['daily_sales.v2', 'daily-sales-v2'],
    ['my  job -- etl', 'my-job-etl'],
    ['2024-report', 'x2024-report'],
    ['café crème', 'cafe-creme'],
    ['日本語', 'spark'],
    ['---', 'spark'],
    ['-leading-and-trailing-', 'leading-and-trailing'],
    ['a'.repeat(80), 'a'.repeat(30)],
    [`${'a'.repeat(29)}-b`, 'a'.repeat(29)],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeName(input, 30)).toBe(expected);
  });
});

describe('jobNames', () => {
  it('is deterministic: the same key gives the same names', () => {
    expect(jobNames('wordcount', 'key-1')).toEqual(jobNames('wordcount', 'key-1'));
  });

  it('differs for different keys, even with the same name', () => {
    const a = jobNames('wordcount', 'key-1');
    const b = jobNames('wordcount', 'key-2');
    expect(a.driverPod).not.toBe(b.driverPod);
    expect(a.appId).not.toBe(b.appId);
    expect(a.configMap).not.toBe(b.configMap);
  });

  it('follows Spark name patterns', () => {
    const n = jobNames('wordcount', 'key-1');
    expect(n.appId).toMatch(/^spark-[0-9a-f]{32}$/);
    expect(n.keyHash).toMatch(/^[0-9a-f]{16}$/);
    expect(n.prefix).toBe(`wordcount-${n.keyHash}`);
    expect(n.driverPod).toBe(`${n.prefix}-driver`);
    expect(n.service).toBe(`${n.prefix}-driver-svc`);
    expect(n.configMap).toBe(`spark-drv-${n.keyHash}-conf-map`);
    expect(n.executorPrefix).toBe(n.prefix);
  });

  it.each([
    ['very long name', 'x'.repeat(300)],
    ['leading digits', '123 etl'],
    ['upper case', 'NIGHTLY_ETL'],
    ['unicode', 'Übersicht — 売上'],
    ['dots', 'com.contoso.etl.v2'],
    ['only symbols', '!!!'],
    ['emoji', '🚀 launch'],
  ])('%s: Service is a DNS-1035 label ≤ 63, pod a DNS-1123 subdomain, executor prefix ≤ 47', (_, name) => {
    const n = jobNames(name, 'k');
    expect(n.service.length).toBeLessThanOrEqual(63);
    expect(n.service).toMatch(DNS1035);
    expect(n.driverPod.length).toBeLessThanOrEqual(253);
    expect(n.driverPod).toMatch(DNS1123_SUBDOMAIN);
    expect(n.configMap).toMatch(DNS1123_SUBDOMAIN);
    // Spark 3.3+ refuses spark.kubernetes.executor.podNamePrefix longer than 47 characters.
    expect(n.executorPrefix.length).toBeLessThanOrEqual(47);
    expect(n.executorPrefix).toMatch(DNS1035);
    expect(n.appNameLabel.length).toBeLessThanOrEqual(63);
    expect(n.appNameLabel).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('canonicalJson', () => {
  it('ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, z: 'q' }] })).toBe(canonicalJson({ a: [{ z: 'q', y: 2 }], b: 1 }));
  });
  it('keeps list order', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
