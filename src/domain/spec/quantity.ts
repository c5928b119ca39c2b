/**
 * Spark's memory strings (`512m`, `2g`, `1t`) as Spark reads them with
 * `JavaUtils.byteStringAs`: binary units, case-insensitive, optional trailing `b`.
 * A bare number is refused on purpose: Spark reads it as MiB for some keys and bytes for others.
 */
const SIZE = /^([1-9][0-9]{0,9})(k|m|g|t)b?$/i;
const MIB_PER_UNIT: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

export const MEMORY_EXPECTED = 'a size such as 512m or 2g (k, m, g or t)';

export function isMemorySize(value: string): boolean {
  return SIZE.test(value);
}

/** Size in MiB, rounded down as Spark does (`byteStringAsMb`). `undefined` when not a size. */
export function memoryToMiB(value: string): number | undefined {
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const [, digits, unit] = match;
  return Math.floor(Number(digits) * (MIB_PER_UNIT[unit!.toLowerCase()] ?? Number.NaN));
}

/** Kubernetes quantity for a number of MiB, as Spark writes it: `2867Mi`. */
export const mebibytes = (mib: number): string => `${mib}Mi`;
