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
