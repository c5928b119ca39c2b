/**
 * Pod memory as Spark computes it (BasicDriverFeatureStep, Spark 3.5 and 4.0):
 *   overhead = spark.driver.memoryOverhead if set,
 *              else max(floor(factor × memory), minimum overhead)
 *   request = limit = memory + overhead
 * The factor is spark.driver.memoryOverheadFactor, else spark.kubernetes.memoryOverheadFactor,
 * else 0.4 for Python (0.1 is for JVM apps); the minimum is spark.driver.minMemoryOverhead (4.0), else 384 MiB.
 */
import { memoryToMiB } from '../spec/quantity.js';

export const PYTHON_OVERHEAD_FACTOR = 0.4;
export const MIN_OVERHEAD_MIB = 384;

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

export function podMemory(inputs: OverheadInputs): PodMemory {
  const factor = inputs.factor ?? PYTHON_OVERHEAD_FACTOR;
  const minimum = inputs.minOverheadMiB ?? MIN_OVERHEAD_MIB;
  // Scala's `.toInt` on a Double truncates, like Math.trunc on a positive number.
  const overheadMiB = inputs.explicitOverheadMiB ?? Math.max(Math.trunc(factor * inputs.memoryMiB), minimum);
  return { memoryMiB: inputs.memoryMiB, overheadMiB, totalMiB: inputs.memoryMiB + overheadMiB };
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
