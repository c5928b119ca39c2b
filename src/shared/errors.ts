/**
 * The one error type for infrastructure failures. Expected outcomes (a rejected job, a deferred
 * one, a job already launched) are values, never errors; a DispatchError means something around
 * us failed, and `retryable` says whether trying again can help: the trigger layer turns a
 * retryable error into a redelivery and a permanent one into a dead-letter.
 */
export type ErrorKind =
  /** 429 Too Many Requests (Retry-After honoured). */
  | 'throttled'
  /** 5xx from a server. */
  | 'unavailable'
  /** Connection refused or reset, DNS failure. */
  | 'network'
  /** No answer in time. */
  | 'timeout'
  /** 409 AlreadyExists: an object with this name exists. */
  | 'already-exists'
  /** 409 Conflict: a stale resourceVersion or a failed precondition. */
  | 'conflict'
  /** 403 with "exceeded quota": not a failure of the request, the cluster is full. */
  | 'quota-exceeded'
  /** 403 Forbidden (RBAC, admission). */
  | 'forbidden'
  /** 401, or no credential could be obtained. */
  | 'unauthorized'
  /** 400 or 422: the server refused the object. */
  | 'invalid'
  /** 404. */
  | 'not-found'
  /** Settings, kubeconfig or another local configuration is unusable. */
  | 'configuration';

// A conflict is not retryable as is: the same request with the same stale version fails again.
// The caller re-reads and decides (see the ledger and the launcher).
const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['throttled', 'unavailable', 'network', 'timeout']);

export interface DispatchErrorOptions {
  readonly retryAfterMs?: number | undefined;
  readonly status?: number | undefined;
  /** The server's own words (a Kubernetes Status message), shown to users as is. */
  readonly serverMessage?: string | undefined;
  readonly cause?: unknown;
}

export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly serverMessage: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: DispatchErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = RETRYABLE.has(kind);
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.serverMessage = options.serverMessage;
  }
}

export const isDispatchError = (error: unknown, kind?: ErrorKind): error is DispatchError =>
  error instanceof DispatchError && (kind === undefined || error.kind === kind);
