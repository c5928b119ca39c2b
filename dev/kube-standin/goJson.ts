/**
 * How Go's encoding/json and the apiserver's decoder word what they refuse, for the stand-in's
 * 400 answers: the same text a real kube-apiserver sends (checked against one by test/realkube).
 */

/** The kind encoding/json names in "cannot unmarshal X into …". */
export function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'object' && value !== null) return 'object';
  return typeof value;
}

/** encoding/json's syntax errors, for the cases that are certain: an empty or cut-off document, a bad first character. */
export function goJsonSyntaxError(bytes: Buffer, error: unknown): string {
  let i = 0;
  while (i < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i] ?? 0)) i++;
  const first = bytes[i];
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message)?.[1];
  const cutOff = /end of (JSON )?input/i.test(message) || (position !== undefined && Number(position) >= bytes.toString('utf8').length);
  if (first === undefined || cutOff) return 'unexpected end of JSON input';
  if (!/[{["\-0-9tfn]/.test(String.fromCharCode(first))) return `invalid character ${goQuoteChar(first)} looking for beginning of value`;
  return 'invalid JSON';
}

/** encoding/json quoteChar: a byte as Go quotes it, as a rune (so 0x9e is '\u009e', 0xe9 is 'é'). */
export function goQuoteChar(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return `'"'`;
  const escapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  const escaped = escapes[byte];
  if (escaped !== undefined) return `'${escaped}'`;
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`;
  if ((byte >= 0x80 && byte < 0xa0) || byte === 0xad) return `'\\u${byte.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(byte)}'`;
}

/** handlers summarizeData(body, 30): the start of a JSON object as text, anything else in hex, "<empty>" for nothing. */
export function summarizeData(bytes: Buffer, maxLength = 30): string {
  if (bytes.length === 0) return '<empty>';
  const head = bytes.subarray(0, maxLength);
  const more = bytes.length > maxLength ? ' ...' : '';
  return bytes[0] === 0x7b ? `${head.toString('utf8')}${more}` : `${head.toString('hex')}${more}`;
}

/** The decoder's probe for apiVersion and kind, which a body that is not a JSON object fails to fill. */
export const VERSION_KIND_PROBE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** A request body that is not JSON at all: the handler words it once it knows what it wanted (transformDecodeError). */
export class BodySyntaxError extends Error {
  constructor(
    readonly goMessage: string,
    readonly summary: string,
  ) {
    super(goMessage);
    this.name = 'BodySyntaxError';
  }
}
