/**
 * Integer query parameters (limit, timeoutSeconds, gracePeriodSeconds, tailLines, limitBytes), read
 * as the apiserver's parameter codec reads them (runtime.Convert_Slice_string_To_int64 →
 * strconv.ParseInt): a 400 naming the text sent, never a silent NaN.
 */
import { badRequest } from './statusObjects.js';

const INT64_TEXT = /^[+-]?\d+$/;

/** The parameter's value; undefined when absent or empty. `min`: the lowest value accepted. */
export function queryInteger(query: URLSearchParams, name: string, options: { min?: number } = {}): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!INT64_TEXT.test(text)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  const { min } = options;
  if (min !== undefined && n < min) {
    // field.Invalid with an int64 prints it bare; ValidatePodLogOptions words min 1 as "greater than 0"
    throw badRequest(`${name}: Invalid value: ${n}: ${min === 1 ? 'must be greater than 0' : `must be greater than or equal to ${min}`}`);
  }
  return n;
}
