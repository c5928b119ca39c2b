/**
 * Rules for untrusted text. Everything a user sends ends up in Kubernetes objects, Spark conf and
 * logs, so characters that hide or reorder text are refused everywhere, not just in names.
 */

// C0 and C1 control characters (tab, newline and the rest), DEL.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Characters that make text look different from what it is: zero-width characters, bidi
// embeddings and overrides (the "Trojan Source" trick, CVE-2021-42574), isolates, BOM, and the
// line and paragraph separators that some parsers treat as newlines.
const INVISIBLE = /[\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

export type TextFault = 'control' | 'invisible' | 'unpaired-surrogate';

export function textFault(value: string): TextFault | undefined {
  if (CONTROL.test(value)) return 'control';
  if (INVISIBLE.test(value)) return 'invisible';
  if (!value.isWellFormed()) return 'unpaired-surrogate';
  return undefined;
}

export const TEXT_FAULT_MESSAGE: Record<TextFault, string> = {
  control: 'text without control characters (newlines, tabs, NUL, escape codes)',
  invisible: 'text without invisible or direction-changing characters (zero-width, bidi overrides)',
  'unpaired-surrogate': 'well-formed Unicode text',
};

export type Utf8Text =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly offset: number; readonly utf16: boolean };

/**
 * Bytes as UTF-8 text, or the offset of the first sequence that is not UTF-8 (Buffer#toString would
 * quietly put U+FFFD there). A leading byte-order mark is dropped, as editors on Windows write one.
 */
export function decodeUtf8(bytes: Uint8Array): Utf8Text {
  const offset = firstInvalidUtf8(bytes);
  if (offset >= 0)
    return {
      ok: false,
      offset,
      utf16: bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)),
    };
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return { ok: true, text: Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('utf8') };
}

/** What to say about bytes that are not UTF-8 text: where, and what to do. */
export function notUtf8(result: Extract<Utf8Text, { ok: false }>, bytes: Uint8Array): { found: string; hint: string } {
  return {
    found: `bytes that are not UTF-8 (from byte ${result.offset}, 0x${(bytes[result.offset] ?? 0).toString(16).padStart(2, '0')})`,
    hint: result.utf16 ? 'it looks like UTF-16 text: save it as UTF-8' : 'save it as UTF-8 text',
  };
}

/** Where the first ill-formed sequence starts; -1 when all is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      // Where the broken sequence starts: the byte a person would look at.
      if (c === undefined || (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}
