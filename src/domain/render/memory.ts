/**
 * Pod memory as the image's Spark computes it, for a PySpark job:
 *
 * Driver (resource-managers/kubernetes/…/features/BasicDriverFeatureStep.scala, 3.5 and 4.0):
 *   factor   = spark.driver.memoryOverheadFactor if set,
 *              else spark.kubernetes.memoryOverheadFactor if set, else 0.4 (NON_JVM_MEMORY_OVERHEAD_FACTOR;
 *              0.1 is for JVM apps)
 *   overhead = spark.driver.memoryOverhead if set, else max((factor × memory).toInt, minimum)
 *   request = limit = memory + overhead
 *
 * Executors (BasicExecutorFeatureStep and ResourceProfile.getResourcesForClusterManager):
 *   factor   = spark.executor.memoryOverheadFactor if set, else spark.kubernetes.memoryOverheadFactor
 *              (Spark's default is 0.1, but spark.properties always carries 0.4 unless the job chose one)
 *   overhead = spark.executor.memoryOverhead if set, else max((factor × memory).toLong, minimum)
 *   request = limit = memory + overhead + spark.executor.pyspark.memory (Python apps)
 *                     + spark.memory.offHeap.size (when spark.memory.offHeap.enabled)
 *
 * The minimum is where the versions differ: Spark 3.5 has a fixed 384 MiB
 * (ResourceProfile.MEMORY_OVERHEAD_MIN_MIB); Spark 4.0 reads spark.driver.minMemoryOverhead and
 * spark.executor.minMemoryOverhead (core config package.scala, `.version("4.0.0")`, default 384m).
 * A 3.5 driver ignores those keys, so only a 4.0+ image reads them here (and the conf policy
 * refuses them for older images).
 */
import { compareVersions } from './abfsAuth.js';
import { memoryToMiB } from '../spec/quantity.js';

export const PYTHON_OVERHEAD_FACTOR = 0.4;
export const MIN_OVERHEAD_MIB = 384;
/** The first Spark with spark.{driver,executor}.minMemoryOverhead. */
export const MIN_OVERHEAD_KEYS_SINCE = '4.0.0';

export interface PodMemory {
  readonly memoryMiB: number;
  readonly overheadMiB: number;
  readonly totalMiB: number;
}

export interface OverheadInputs {
  readonly memoryMiB: number;
  readonly explicitOverheadMiB?: number | undefined;
  readonly factor?: number | undefined;
  readonly minOverheadMiB?: number | undefined;
}

/** memory + overhead, the overhead as above; the factor defaults to Python's 0.4, the minimum to 384 MiB. */
export function podMemory(inputs: OverheadInputs): PodMemory {
  const factor = inputs.factor ?? PYTHON_OVERHEAD_FACTOR;
  const minimum = inputs.minOverheadMiB ?? MIN_OVERHEAD_MIB;
  // Scala's `.toInt` on a Double truncates, like Math.trunc on a positive number.
  const overheadMiB = inputs.explicitOverheadMiB ?? Math.max(Math.trunc(factor * inputs.memoryMiB), minimum);
  return { memoryMiB: inputs.memoryMiB, overheadMiB, totalMiB: inputs.memoryMiB + overheadMiB };
}

/** What a pod's memory depends on besides its version: the heap, the spec's explicit overhead, and the job's Spark conf. */
export interface PodMemoryInputs {
  readonly memoryMiB: number;
  readonly explicitOverheadMiB?: number | undefined;
  /** The conf the driver reads (the user's after policy): factors, minimums, PySpark and off-heap memory. */
  readonly conf: Readonly<Record<string, string>>;
}

/** Whether this Spark version reads spark.{driver,executor}.minMemoryOverhead. */
export const hasMinOverheadKeys = (sparkVersion: string): boolean => compareVersions(sparkVersion, MIN_OVERHEAD_KEYS_SINCE) >= 0;

function minimumOverhead(sparkVersion: string, key: string, conf: Readonly<Record<string, string>>): number {
  return hasMinOverheadKeys(sparkVersion) ? (confMiB(conf[key]) ?? MIN_OVERHEAD_MIB) : MIN_OVERHEAD_MIB;
}

/** The driver pod of a PySpark job on this Spark version (BasicDriverFeatureStep). */
export function driverPodMemory(sparkVersion: string, inputs: PodMemoryInputs): PodMemory {
  const { conf } = inputs;
  return podMemory({
    memoryMiB: inputs.memoryMiB,
    explicitOverheadMiB: inputs.explicitOverheadMiB,
    factor:
      confFactor(conf['spark.driver.memoryOverheadFactor'] ?? conf['spark.kubernetes.memoryOverheadFactor']) ?? PYTHON_OVERHEAD_FACTOR,
    minOverheadMiB: minimumOverhead(sparkVersion, 'spark.driver.minMemoryOverhead', conf),
  });
}

/**
 * An executor pod of a PySpark job on this Spark version (BasicExecutorFeatureStep). Without a factor
 * in the job's conf, the executors read the 0.4 that spark.properties writes (sparkProperties.ts).
 * `totalMiB` adds PySpark and off-heap memory to memory + overhead.
 */
export function executorPodMemory(sparkVersion: string, inputs: PodMemoryInputs): PodMemory {
  const { conf } = inputs;
  const base = podMemory({
    memoryMiB: inputs.memoryMiB,
    explicitOverheadMiB: inputs.explicitOverheadMiB,
    factor:
      confFactor(conf['spark.executor.memoryOverheadFactor'] ?? conf['spark.kubernetes.memoryOverheadFactor']) ?? PYTHON_OVERHEAD_FACTOR,
    minOverheadMiB: minimumOverhead(sparkVersion, 'spark.executor.minMemoryOverhead', conf),
  });
  const pysparkMiB = confMiB(conf['spark.executor.pyspark.memory']) ?? 0;
  // spark.memory.offHeap.size is read in bytes: only a size with a unit is taken here.
  const offHeapMiB = conf['spark.memory.offHeap.enabled'] === 'true' ? (memoryToMiB(conf['spark.memory.offHeap.size'] ?? '') ?? 0) : 0;
  return { ...base, totalMiB: base.totalMiB + pysparkMiB + offHeapMiB };
}

/** Spark reads these conf values as MiB when they have no unit. */
export function confMiB(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^[0-9]{1,9}$/.test(value)) return Number(value);
  return memoryToMiB(value);
}

export function confFactor(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)$/.test(value)) return Number.NaN;
  const n = Number(value);
  return n > 0 && n <= 1 ? n : Number.NaN;
}
