import { describe, expect, it } from 'vitest';
import { sanitizeName, sparkAppNameLabel } from '../../src/domain/render/naming.js';
import { parseJavaProperties } from '../../src/domain/render/javaProperties.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { LABEL_VALUE } from '../../src/domain/spec/jobSpec.js';
import { resolved } from '../support/fixtures.js';
import { canonicalJson, contentHash, hashKey, jobNames, sha256Hex } from '../../src/domain/tenant/jobIdentity.js';

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
    // Spark's label may be empty (a name of symbols or non-Latin letters): a valid label value.
    expect(n.appNameLabel).toMatch(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/);
  });
});

// Item "The spark-app-name label differs between the driver (our sanitiser) and executors (Spark's
// getAppNameLabel) for accented capitals, leading digits and non-Latin names". Follows apache/spark
// resource-managers/kubernetes/core/src/main/scala/org/apache/spark/deploy/k8s/KubernetesConf.scala,
// `getAppNameLabel` (added in v3.3.0 by SPARK-36566, apache/spark#34460; the strip of one `-` at each
// end by SPARK-38630, apache/spark#35943, also v3.3.0), read in a v3.4+/3.5-line source
// (getResourceNamePrefix with `.replaceAll("^[0-9]", "x")`, SPARK-40869, v3.4.0) and in a compiled
// v4.0 KubernetesConf$: the same rule in 3.5 and 4.0, so one function serves every catalog version.
// Executors get `KubernetesConf.getAppNameLabel(appName)` (KubernetesExecutorConf.labels) from the
// spark.app.name the driver reads.
describe('the spark-app-name label differs between the driver and executors: Spark getAppNameLabel', () => {
  it.each([
    ['wordcount', 'wordcount'],
    ['WordCount', 'wordcount'],
    ['Été Report', 't-report'], // accented capital: lower-cased to é, which is not [a-z0-9-]
    ['café crème', 'caf-cr-me'],
    ['2024 Sales', '2024-sales'], // a leading digit is kept (labels may start with one)
    ['売上レポート', ''], // non-Latin: all `-`, collapsed, stripped: the empty label value
    ['Übersicht — 売上', 'bersicht'],
    ['daily_sales.v2', 'daily-sales-v2'],
    ['  padded  ', 'padded'],
    ['\u212Aelvin', 'kelvin'], // KELVIN SIGN lower-cases to an ASCII k, in Java as in JavaScript
    ['\u0130stanbul', 'i-stanbul'], // İ lower-cases to i + U+0307 (Locale.ROOT, not Turkish)
    ['🚀 launch', 'launch'],
    // KubernetesConfSuite, SPARK-38630: cut to 63 first, then strip one `-` from each end.
    [`${'a'.repeat(62)}-aaa`, 'a'.repeat(62)],
    [`-${'a'.repeat(63)}`, 'a'.repeat(62)],
    ['x'.repeat(100), 'x'.repeat(63)],
  ])('%j → %j', (name, label) => {
    expect(sparkAppNameLabel(name)).toBe(label);
    expect(label).toMatch(LABEL_VALUE);
  });

  it.each(['Été Report', '2024 Sales', '売上レポート', 'WordCount', 'a.b_c d'])(
    'the driver label of %j is what executors get from the spark.app.name in spark.properties',
    (name) => {
      const job = resolved({ name });
      const { pod, configMap } = renderNative(job);
      const appName = parseJavaProperties(configMap.data['spark.properties']!)['spark.app.name']!;
      expect(appName).toBe(name);
      expect(pod.metadata.labels?.['spark-app-name']).toBe(sparkAppNameLabel(appName));
    },
  );

  it('object names keep their own DNS-safe rules: the Service name must start with a letter', () => {
    const n = jobNames('2024 Été', 'k');
    expect(n.appNameLabel).toBe('2024-t');
    expect(n.prefix).toBe(`x2024-ete-${n.keyHash}`);
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

describe('one sha256 behind names, content keys and message ids', () => {
  it('sha256Hex is sha256 of the UTF-8 text, in hex', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('names, hashKey and contentHash keep their values (pinned before they shared sha256Hex)', () => {
    expect(hashKey('sales-2024-06-01')).toBe('17eb22e5f522dbc37e2ff6f38db6e0a2');
    expect(hashKey('clé/été ü')).toBe('4f33dbcf8e881d2bc929786bd759cc97');
    expect(jobNames('x', 'sales-2024-06-01')).toMatchObject({
      appId: 'spark-17eb22e5f522dbc37e2ff6f38db6e0a2',
      keyHash: '17eb22e5f522dbc3',
    });
    expect(contentHash({ b: 1, a: [2, 'x'] })).toBe('bbb8e7667558a86d3622dafcc40ea84605d1835a87b06ee47ea8adac48be8d7a');
  });

  it("the app id is spark- and the job key's hashKey; the label hash is its first 16", () => {
    for (const key of ['k', 'a b/c', 'x'.repeat(500)]) {
      const names = jobNames('job', key);
      expect(names.appId).toBe(`spark-${hashKey(key)}`);
      expect(names.keyHash).toBe(hashKey(key).slice(0, 16));
      expect(hashKey(key)).toBe(sha256Hex(key).slice(0, 32));
    }
  });
});
