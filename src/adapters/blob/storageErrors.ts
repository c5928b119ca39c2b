/**
 * Maps what @azure/storage-blob throws (a RestError with the service's status, error code and
 * message, a RestError without a status for a failed connection, an AbortError, or an
 * @azure/identity error when no token could be obtained) onto DispatchError kinds, keeping the
 * service's own message.
 */
import { DispatchError, type ErrorKind } from '../../shared/errors.js';
import { isCredentialError } from '../credentials.js';

/** The parts of a RestError we read; duck-typed, since several copies of core-rest-pipeline may be installed. */
interface RestErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly details?: unknown;
  readonly response?: { readonly headers?: unknown };
}

/** The storage error code: from the XML body, or from the x-ms-error-code header (HEAD requests have no body). */
export function storageErrorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as RestErrorLike;
  const details = e.details !== null && typeof e.details === 'object' ? (e.details as { errorCode?: unknown; code?: unknown }) : {};
  for (const candidate of [
    details.errorCode,
    header(e.response?.headers, 'x-ms-error-code'),
    typeof e.statusCode === 'number' ? e.code : undefined,
  ]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate;
  }
  return undefined;
}

/** The HTTP status of a storage RestError, or undefined (network failure, abort, anything else). */
export function storageStatus(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const status = (error as RestErrorLike).statusCode;
  return typeof status === 'number' ? status : undefined;
}

export const isStorageNotFound = (error: unknown): boolean => storageStatus(error) === 404;

/** core-rest-pipeline's HttpHeaders has get(); a plain record is accepted too (tests, older pipelines). */
function header(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const h = headers as { get?: unknown } & Record<string, unknown>;
  if (typeof h.get === 'function') {
    const value: unknown = (h.get as (n: string) => unknown).call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  const value = h[name] ?? h[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

function retryAfterMs(error: RestErrorLike): number | undefined {
  const raw = header(error.response?.headers, 'retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function kindOfStatus(status: number, code: string | undefined): ErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return code !== undefined && /AlreadyExists$/.test(code) ? 'already-exists' : 'conflict';
  // 412 ConditionNotMet: the ETag we read is stale. 304 answers a failed If-None-Match on a read.
  if (status === 412 || status === 304) return 'conflict';
  if (status === 429) return 'throttled';
  // Storage throttles with 503 ServerBusy (and sometimes 500 OperationTimedOut under load).
  if (status === 503 && code === 'ServerBusy') return 'throttled';
  if (status === 408 || code === 'OperationTimedOut') return 'timeout';
  if (status >= 500) return 'unavailable';
  if (status === 401) return 'unauthorized';
  if (status === 403) return code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' ? 'unauthorized' : 'forbidden';
  return 'invalid';
}

/** The service's message without the RequestId/Time lines the storage service appends. */
function serviceMessage(message: string): string {
  return message.split(/\r?\nRequestId:/)[0]!.trim();
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
]);

export function toStorageError(error: unknown, doing: string): DispatchError {
  if (error instanceof DispatchError) return error;
  const e = (error !== null && typeof error === 'object' ? error : {}) as RestErrorLike;
  const name = typeof e.name === 'string' ? e.name : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const status = storageStatus(error);

  if (status !== undefined) {
    const code = storageErrorCode(error);
    const kind = kindOfStatus(status, code);
    // A failed HEAD (getProperties) has no body: the message is empty and only the code remains.
    const text = serviceMessage(message);
    const serverMessage = text !== '' ? text : code !== undefined ? `${code} (HTTP ${status})` : `HTTP ${status}`;
    const requestId = header(e.response?.headers, 'x-ms-request-id');
    return new DispatchError(kind, `${doing}: ${serverMessage}${requestId ? ` (request id ${requestId})` : ''}`, {
      status,
      serverMessage,
      retryAfterMs: retryAfterMs(e),
      cause: error,
    });
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new DispatchError('timeout', `${doing}: no answer from the storage service in time`, { cause: error });
  }
  if (isCredentialError(error)) {
    return new DispatchError('unauthorized', `${doing}: no storage token could be obtained: ${message}`, { cause: error });
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  if ((code !== undefined && NETWORK_CODES.has(code)) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/.test(message)) {
    return new DispatchError('network', `${doing}: ${message}`, { cause: error });
  }
  return new DispatchError('unavailable', `${doing}: ${message}`, { cause: error });
}
