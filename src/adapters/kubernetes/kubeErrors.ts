/**
 * Maps what a Kubernetes request throws (KubeHttpError or client-node's ApiException with the
 * server's Status body; a network error or abort shaped as node-fetch's, which nodeHttpLibrary
 * keeps) onto DispatchError kinds, keeping the server's own message.
 */
import { DispatchError, type ErrorKind } from '../../shared/errors.js';

interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

function statusOf(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return statusOf(JSON.parse(body));
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return body !== null && typeof body === 'object' ? (body as StatusBody) : {};
}

function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function kindOfStatus(code: number, status: StatusBody): ErrorKind {
  if (code === 409) return status.reason === 'AlreadyExists' ? 'already-exists' : 'conflict';
  // The quota admission plugin answers 403 Forbidden with "exceeded quota" in the message.
  if (code === 403) return /exceeded quota/i.test(status.message ?? '') ? 'quota-exceeded' : 'forbidden';
  if (code === 401) return 'unauthorized';
  if (code === 404) return 'not-found';
  if (code === 429) return 'throttled';
  if (code === 400 || code === 422) return 'invalid';
  // 410 Gone (an expired list continue token) and 504 are worth another try; so is every 5xx.
  if (code >= 500 || code === 410 || code === 408) return 'unavailable';
  return 'invalid';
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

export function toDispatchError(error: unknown, doing: string): DispatchError {
  if (error instanceof DispatchError) return error;
  const e = error as {
    code?: unknown;
    body?: unknown;
    headers?: Record<string, string>;
    name?: string;
    type?: string;
    message?: string;
    errno?: string;
  };
  if (typeof e.code === 'number') {
    const status = statusOf(e.body);
    const kind = kindOfStatus(e.code, status);
    // An empty body (a redirect, a bare proxy error) has no words of its own: say what came back.
    // A 3xx is an answer too: the HTTP library does not follow redirects (nodeHttpLibrary says why).
    const location = e.code >= 300 && e.code < 400 ? e.headers?.['location'] : undefined;
    const serverMessage = status.message || `HTTP ${e.code}${location ? `, redirected to ${location}` : ''}`;
    return new DispatchError(kind, `${doing}: ${serverMessage}`, {
      status: e.code,
      serverMessage,
      retryAfterMs: retryAfterMs(e.headers),
      cause: error,
    });
  }
  if (e.name === 'AbortError' || e.type === 'aborted' || e.name === 'TimeoutError') {
    return new DispatchError('timeout', `${doing}: no answer from the API server in time`, { cause: error });
  }
  const code = typeof e.code === 'string' ? e.code : e.errno;
  if ((code && NETWORK_CODES.has(code)) || e.type === 'system' || /socket hang up|ECONNRESET|ECONNREFUSED/.test(e.message ?? '')) {
    return new DispatchError('network', `${doing}: ${e.message ?? code}`, { cause: error });
  }
  return new DispatchError('unavailable', `${doing}: ${e.message ?? String(error)}`, { cause: error });
}
