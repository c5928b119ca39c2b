import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from '../../src/domain/spec/text.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const valid = (bytes: Uint8Array): boolean => {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('decodeUtf8', () => {
  it.each([
    ['ASCII', [0x61, 0x62], 'ab'],
    ['two, three and four bytes', [...Buffer.from('é€😀')], 'é€😀'],
    ['a byte-order mark, dropped', [0xef, 0xbb, 0xbf, 0x61], 'a'],
  ])('decodes %s', (_title, bytes, text) => {
    expect(decodeUtf8(Uint8Array.from(bytes))).toEqual({ ok: true, text });
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['a bad continuation', [0xc3, 0x28], 0],
    ['an overlong /', [0xc0, 0xaf], 0],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 0],
    ['a UTF-16 surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a character cut short at the end', [0x61, 0xe2, 0x82], 1],
    ['Latin-1 text', [...Buffer.from('café', 'latin1')], 3],
  ])('finds %s', (_title, bytes, offset) => {
    expect(decodeUtf8(Uint8Array.from(bytes))).toEqual({ ok: false, offset, utf16: false });
  });

  it('says when text looks like UTF-16', () => {
    expect(decodeUtf8(Buffer.from('\ufeffname: x', 'utf16le'))).toMatchObject({ ok: false, utf16: true });
  });

  it('agrees with a strict TextDecoder on 20,000 random byte strings', () => {
    let state = 7;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // Biased towards bytes that start or continue multi-byte sequences, where the mistakes hide.
    const pool = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let n = 0; n < 20_000; n++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => pool[Math.floor(random() * pool.length)]!);
      expect(decodeUtf8(bytes).ok, Buffer.from(bytes).toString('hex')).toBe(valid(bytes));
    }
  });
});
