import { describe, expect, it } from 'vitest';
import { confFactor, confMiB, driverPodMemory, executorPodMemory, podMemory } from '../../src/domain/render/memory.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { memoryToMiB } from '../../src/domain/spec/quantity.js';
import { BASE_SPEC, CLI_SOURCE, TENANT, resolved, settingsWith } from '../support/fixtures.js';

describe('memoryToMiB (Spark byteStringAsMb)', () => {
  it.each([
    ['512m', 512],
    ['512M', 512],
    ['512mb', 512],
    ['2g', 2048],
    ['2GB', 2048],
    ['1t', 1048576],
    ['1536k', 1],
    ['1023k', 0],
  ])('%s → %i MiB', (text, mib) => expect(memoryToMiB(text)).toBe(mib));

  it.each(['2', '2 g', '2.5g', '-1g', 'g', '0g', '2x', ''])('%j is not a size', (text) => expect(memoryToMiB(text)).toBeUndefined());
});

describe('podMemory (BasicDriverFeatureStep)', () => {
  it.each([
    // memory, explicit overhead, factor, minimum → overhead, total
    [{ memoryMiB: 2048 }, 819, 2867], // the contract's example: 2g PySpark driver → 2867Mi
    [{ memoryMiB: 1024 }, 409, 1433],
    [{ memoryMiB: 512 }, 384, 896], // 0.4 × 512 = 204 < 384: the minimum wins
    [{ memoryMiB: 960 }, 384, 1344], // 0.4 × 960 = 384 exactly
    [{ memoryMiB: 961 }, 384, 1345], // 384.4 truncates to 384
    [{ memoryMiB: 4096, factor: 0.1 }, 409, 4505], // the JVM factor when the user sets it
    [{ memoryMiB: 2048, explicitOverheadMiB: 100 }, 100, 2148], // an explicit overhead is taken as is, even under 384
    [{ memoryMiB: 2048, factor: 0.1, minOverheadMiB: 512 }, 512, 2560], // Spark 4.0 spark.driver.minMemoryOverhead
    [{ memoryMiB: 8192, factor: 0.25 }, 2048, 10240],
  ])('%j → overhead %i, pod %i MiB', (inputs, overhead, total) => {
    const m = podMemory(inputs);
    expect(m.overheadMiB).toBe(overhead);
    expect(m.totalMiB).toBe(total);
  });

  it('reads conf values as Spark does', () => {
    expect(confMiB('384')).toBe(384);
    expect(confMiB('1g')).toBe(1024);
    expect(confFactor('0.4')).toBe(0.4);
    expect(confFactor('1')).toBe(1);
    expect(confFactor('1.5')).toBeNaN();
    expect(confFactor('0')).toBeNaN();
    expect(confFactor('abc')).toBeNaN();
  });
});

describe('memory in rendered jobs', () => {
  it('a 2g driver requests and is limited to 2867Mi', () => {
    const job = resolved({ driver: { memory: '2g' } });
    expect(job.driver.pod.totalMiB).toBe(2867);
  });
  it('honours driver.memoryOverhead', () => {
    expect(resolved({ driver: { memory: '2g', memoryOverhead: '1g' } }).driver.pod.totalMiB).toBe(3072);
  });
  it('spark.driver.memoryOverheadFactor wins over spark.kubernetes.memoryOverheadFactor', () => {
    const job = resolved({
      driver: { memory: '4g' },
      conf: { 'spark.driver.memoryOverheadFactor': '0.1', 'spark.kubernetes.memoryOverheadFactor': '0.3' },
    });
    expect(job.driver.pod.overheadMiB).toBe(409);
  });
  it('spark.kubernetes.memoryOverheadFactor applies when the driver factor is unset', () => {
    expect(resolved({ driver: { memory: '4g' }, conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2' } }).driver.pod.overheadMiB).toBe(
      819,
    );
  });
  it('spark.driver.minMemoryOverhead raises the floor', () => {
    expect(resolved({ driver: { memory: '1g' }, conf: { 'spark.driver.minMemoryOverhead': '1g' } }).driver.pod.overheadMiB).toBe(1024);
  });
});

// Item "spark.driver.minMemoryOverhead is applied to 3.5 images, which have no such key: size pods per
// version exactly as that version's Spark would". Follows apache/spark
// resource-managers/kubernetes/core/src/main/scala/org/apache/spark/deploy/k8s/features/BasicDriverFeatureStep.scala
// (v3.5 line, read at 00012ecc: `math.max((memoryOverheadFactor * driverMemoryMiB).toInt,
// ResourceProfile.MEMORY_OVERHEAD_MIN_MIB)`; v4.0 line, compiled class: `max((int)(factor × memory),
// conf.get(DRIVER_MIN_MEMORY_OVERHEAD))`), the factor rule of both (spark.driver.memoryOverheadFactor,
// else spark.kubernetes.memoryOverheadFactor, else NON_JVM_MEMORY_OVERHEAD_FACTOR 0.4 for Python),
// features/BasicExecutorFeatureStep.scala (v4.0: spark.executor.memoryOverheadFactor else
// spark.kubernetes.memoryOverheadFactor, minimum EXECUTOR_MIN_MEMORY_OVERHEAD, PySpark and off-heap
// memory added by ResourceProfile.getResourcesForClusterManager) and
// core/src/main/scala/org/apache/spark/internal/config/package.scala (v4.0: spark.driver.minMemoryOverhead
// and spark.executor.minMemoryOverhead, `.version("4.0.0")`, default 384m; no such keys in 3.5).
describe('spark.driver.minMemoryOverhead is applied to 3.5 images, which have no such key: pods sized per version', () => {
  const IMAGES = {
    // Rebuilt with hadoop-azure 3.4.1, as infra/images/Dockerfile allows, so workload identity can read abfss.
    '3.5': { image: 'r.io/spark:3.5.3', spark: '3.5.3', python: '3.10', hadoop: '3.3.4', hadoopAzure: '3.4.1' },
    '4.0': { image: 'r.io/spark:4.0.1', spark: '4.0.1', python: '3.10', hadoop: '3.4.1' },
  };
  const onVersion = (sparkVersion: '3.5' | '4.0', spec: Record<string, unknown> = {}) =>
    prepareJob({ ...BASE_SPEC, sparkVersion, ...spec }, settingsWith({ images: IMAGES }), { tenant: TENANT, source: CLI_SOURCE });

  it('a 3.5 job setting spark.driver.minMemoryOverhead is refused, naming the key, the version and why', () => {
    const result = onVersion('3.5', { driver: { memory: '512m' }, conf: { 'spark.driver.minMemoryOverhead': '1g' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      {
        path: 'conf["spark.driver.minMemoryOverhead"]',
        expected: 'a conf key that Spark 3.5.3 has',
        found: '"spark.driver.minMemoryOverhead"',
        hint: "spark.driver.minMemoryOverhead exists from Spark 4.0.0; this job's image runs Spark 3.5.3, which ignores it (the driver overhead floor is a fixed 384 MiB)",
      },
    ]);
  });

  it('a 4.0 job may set it, and the pod grows by it; the same job on 3.5 gets the fixed 384 MiB floor', () => {
    const v4 = onVersion('4.0', { driver: { memory: '512m' }, conf: { 'spark.driver.minMemoryOverhead': '1g' } });
    expect(v4.ok && v4.value.driver.pod).toEqual({ memoryMiB: 512, overheadMiB: 1024, totalMiB: 1536 });
    const v35 = onVersion('3.5', { driver: { memory: '512m' } });
    expect(v35.ok && v35.value.driver.pod).toEqual({ memoryMiB: 512, overheadMiB: 384, totalMiB: 896 });
  });

  it('the math itself ignores the 4.0 keys for a 3.5 Spark, whatever reaches it', () => {
    const conf = { 'spark.driver.minMemoryOverhead': '1g', 'spark.executor.minMemoryOverhead': '2g' };
    expect(driverPodMemory('3.5.3', { memoryMiB: 512, conf }).overheadMiB).toBe(384);
    expect(driverPodMemory('4.0.0', { memoryMiB: 512, conf }).overheadMiB).toBe(1024);
    expect(executorPodMemory('3.5.3', { memoryMiB: 512, conf }).overheadMiB).toBe(384);
    expect(executorPodMemory('4.0.1', { memoryMiB: 512, conf }).overheadMiB).toBe(2048);
  });

  it.each(['3.5.3', '4.0.1'])(
    "Spark %s: the PySpark factor 0.4, the factor keys in Spark's order, an explicit overhead as is",
    (version) => {
      expect(driverPodMemory(version, { memoryMiB: 2048, conf: {} })).toEqual({ memoryMiB: 2048, overheadMiB: 819, totalMiB: 2867 });
      expect(driverPodMemory(version, { memoryMiB: 4096, conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2' } }).overheadMiB).toBe(819);
      expect(
        driverPodMemory(version, {
          memoryMiB: 4096,
          conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2', 'spark.driver.memoryOverheadFactor': '0.1' },
        }).overheadMiB,
      ).toBe(409);
      expect(
        driverPodMemory(version, { memoryMiB: 4096, explicitOverheadMiB: 100, conf: { 'spark.driver.memoryOverheadFactor': '0.5' } })
          .overheadMiB,
      ).toBe(100);
      // Executors: their own factor first, then the one spark.properties carries (0.4 without one).
      expect(executorPodMemory(version, { memoryMiB: 2048, conf: {} }).totalMiB).toBe(2867);
      expect(
        executorPodMemory(version, {
          memoryMiB: 4096,
          conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2', 'spark.executor.memoryOverheadFactor': '0.1' },
        }).overheadMiB,
      ).toBe(409);
      // PySpark and off-heap memory come on top (refused by the built-in policy, allowed by some installations).
      expect(
        executorPodMemory(version, {
          memoryMiB: 2048,
          conf: { 'spark.executor.pyspark.memory': '512m', 'spark.memory.offHeap.enabled': 'true', 'spark.memory.offHeap.size': '1g' },
        }).totalMiB,
      ).toBe(2867 + 512 + 1024);
      expect(executorPodMemory(version, { memoryMiB: 2048, conf: { 'spark.memory.offHeap.size': '1g' } }).totalMiB).toBe(2867);
    },
  );

  it('rendered jobs carry both pods: the driver request and the executors spark-submit will create', () => {
    const job = resolved({ driver: { memory: '2g' }, executor: { memory: '4g', memoryOverhead: '1g' } });
    expect(job.driver.pod.totalMiB).toBe(2867);
    expect(job.executor.pod).toEqual({ memoryMiB: 4096, overheadMiB: 1024, totalMiB: 5120 });
  });
});
