/**
 * `{name}` placeholders in job templates. Every string inside a value (deeply: through objects and
 * arrays; object keys are left alone) has each `{name}` replaced by `values[name]`. `{{` and `}}`
 * stand for literal braces. A `{name}` whose name is not in `values` is left as written and
 * reported, so that the caller can refuse the template with every unknown name at once. A `{`
 * that does not open a `{name}` (JSON text, `{}`, `{ a }`) is literal.
 */

export interface FilledValue {
  readonly value: unknown;
  /** Names used in `{name}` but missing from `values`, once each, in order of first use. */
  readonly unknown: string[];
}

// `{{`, `}}`, or `{name}`; names are identifiers (letters, digits, `_`, not starting with a digit).
const TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function fillPlaceholders(value: unknown, values: Readonly<Record<string, string>>): FilledValue {
  const unknown = new Set<string>();
  const fillString = (text: string): string =>
    text.replace(TOKEN, (token: string, name: string | undefined) => {
      if (name === undefined) return token[0]!;
      if (Object.hasOwn(values, name)) return values[name]!;
      unknown.add(name);
      return token;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fillString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  const filled = walk(value);
  return { value: filled, unknown: [...unknown] };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
