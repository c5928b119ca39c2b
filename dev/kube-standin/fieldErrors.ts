/**
 * Field errors as k8s.io/apimachinery/pkg/util/validation/field renders them: `Error()` is
 * `<field>: <body>`, the body is `Invalid value: "x": detail`, `Required value`, `Forbidden: detail`...
 */

export type FieldErrorType = 'Invalid' | 'Required' | 'Forbidden' | 'Duplicate' | 'NotSupported' | 'TooLong' | 'NotFound';

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail?: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Invalid: 'Invalid value',
  Required: 'Required value',
  Forbidden: 'Forbidden',
  Duplicate: 'Duplicate value',
  NotSupported: 'Unsupported value',
  TooLong: 'Too long',
  NotFound: 'Not found',
};

/** metav1.CauseType of each field error type (StatusCause.reason). */
export const CAUSE_REASON: Record<FieldErrorType, string> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  NotSupported: 'FieldValueNotSupported',
  TooLong: 'FieldValueTooLong',
  NotFound: 'FieldValueNotFound',
};

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'Invalid', field, value, detail });
export const required = (field: string, detail?: string): FieldError => ({ type: 'Required', field, ...(detail ? { detail } : {}) });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'Duplicate', field, value });
export const notFound = (field: string, value: unknown): FieldError => ({ type: 'NotFound', field, value });
export const tooLong = (field: string, max: number): FieldError => ({ type: 'TooLong', field, detail: `must have at most ${max} bytes` });
export const notSupported = (field: string, value: unknown, valid: readonly string[]): FieldError => ({
  type: 'NotSupported',
  field,
  value,
  detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
});

/** A bad value printed verbatim (Go prints some values with %#v, e.g. `0x0` for an unset uint64). */
export class RawValue {
  constructor(readonly text: string) {}
}

function formatValue(value: unknown): string {
  if (value instanceof RawValue) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** field.Error.ErrorBody(). */
export function errorBody(error: FieldError): string {
  const typeText = TYPE_TEXT[error.type];
  const withValue = error.type === 'Invalid' || error.type === 'Duplicate' || error.type === 'NotSupported' || error.type === 'NotFound';
  const s = withValue ? `${typeText}: ${formatValue(error.value)}` : typeText;
  return error.detail ? `${s}: ${error.detail}` : s;
}

/** field.Error.Error(). */
export function errorText(error: FieldError): string {
  return `${error.field}: ${errorBody(error)}`;
}

/** field.ErrorList.ToAggregate().Error(): one error as is, several in brackets. */
export function aggregateText(errors: readonly FieldError[]): string {
  const texts = [...new Set(errors.map(errorText))];
  return texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
}
