/**
 * client-node's HttpLibrary over node:http and node:https directly, in place of its default
 * node-fetch library (IsomorphicFetchHttpLibrary).
 *
 * Why: node-fetch builds Request, Headers and Body objects, validates every header and pipes every
 * answer through a stream of its own, on each of a job's three requests. We send small JSON text
 * and read the whole answer anyway (kubeRequest), so one request() call and one Buffer per answer
 * do the same work: against a bare server in another process, a create took 126 µs of client CPU
 * through node-fetch and 87 µs through this.
 *
 * What stays as it was with node-fetch, because the rest of the adapter relies on it:
 * - the agent client-node chose (TLS options, a proxy agent) or our shared keep-alive agent, as is;
 * - failures look like node-fetch's: a signal that fires rejects with an AbortError (name and
 *   `type: 'aborted'`), a connection or body failure with an error carrying the system `code`,
 *   `errno` and `type: 'system'` and the message "request to <url> failed, reason: …", so
 *   kubeErrors classifies timeouts and network failures exactly as before;
 * - gzip: we ask for it (as node-fetch and client-go do) and decode it, so a real API server's
 *   large list pages stay compressed on the wire;
 * - the answer's headers: lower-case names, repeats joined with ", " (fetch's Headers.forEach).
 *
 * What differs on purpose: redirects are not followed (see sendRequest), and the User-Agent, when
 * the caller sets none, names us rather than node-fetch: the API server records it in audit logs
 * and as the field manager of the objects we create.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type * as ClientNode from '@kubernetes/client-node';
import type { HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';

/** What this library needs from client-node, which is imported lazily (see loadKubeConfig): its answer class and Observable wrapper. */
export type ClientNodeHttp = Pick<typeof ClientNode, 'ResponseContext' | 'wrapHttpLibrary'>;

/** A connection, TLS or body failure, in the shape of node-fetch's FetchError (kubeErrors maps `type: 'system'` and the code). */
export class KubeNetworkError extends Error {
  override readonly name = 'KubeNetworkError';
  readonly type = 'system';
  readonly code: string | undefined;
  readonly errno: string | undefined;

  constructor(message: string, cause: Error) {
    super(message, { cause });
    const code = (cause as NodeJS.ErrnoException).code;
    this.code = typeof code === 'string' ? code : undefined;
    this.errno = this.code;
  }
}

/** The request's signal fired (our timeout): node-fetch's AbortError name and type, which kubeErrors maps as a timeout. */
export class KubeAbortError extends Error {
  override readonly name = 'AbortError';
  readonly type = 'aborted';

  constructor(reason: unknown) {
    super(`the request was aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}

/** The answer as read off the wire: status, headers (lower-case names) and the decoded body. */
export interface NodeAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** The HttpLibrary for createConfiguration's `httpApi`, built with the loaded client-node module. */
export function nodeHttpLibrary(k8s: ClientNodeHttp): HttpLibrary {
  return k8s.wrapHttpLibrary({
    send: async (request: RequestContext): Promise<ResponseContext> => {
      const answer = await sendRequest(request);
      // Read once: text() and binary() hand out the same bytes, however often they are called.
      const body = answer.body;
      return new k8s.ResponseContext(answer.status, answer.headers, {
        text: () => Promise.resolve(body.toString('utf8')),
        binary: () => Promise.resolve(body),
      });
    },
  });
}

const USER_AGENT = 'spark-dispatch';

// Node sends these methods' bodies chunked unless a length is given; without a body, a zero length
// says so plainly (as node-fetch did).
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Sends one request and reads its whole answer. The signal covers the body too: a server that
 * sends headers and then stalls is a timeout, not a hang.
 *
 * A 3xx is returned as it is, not followed: the API server never redirects, so a redirect means
 * something else answered (a sign-in proxy, a wrong server URL), and following it would send the
 * bearer token to wherever it points. kubeRequest then reports the status like any other non-2xx.
 */
export function sendRequest(request: RequestContext): Promise<NodeAnswer> {
  const url = request.getUrl();
  const method = request.getHttpMethod().toString();
  const signal = request.getSignal();
  if (signal?.aborted) return Promise.reject(new KubeAbortError(signal.reason));

  const headers: Record<string, string | number> = { ...request.getHeaders() };
  let askedEncoding = false;
  let named = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'accept-encoding') askedEncoding = true;
    else if (lower === 'user-agent') named = true;
  }
  if (!askedEncoding) headers['Accept-Encoding'] = 'gzip';
  if (!named) headers['User-Agent'] = USER_AGENT;
  const body = request.getBody();
  // kubeRequest sends JSON text; FormData and URLSearchParams bodies are not used by this project.
  if (body !== undefined && typeof body !== 'string') return Promise.reject(new TypeError('only a string request body is supported'));
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  else if (BODY_METHODS.has(method)) headers['Content-Length'] = 0;

  return new Promise<NodeAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, answer?: NodeAnswer): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else if (answer) resolve(answer);
    };
    const onAbort = (): void => {
      settle(new KubeAbortError(signal?.reason));
      // Settled first, so the socket errors the destroy causes are ignored rather than reported.
      outgoing.destroy();
    };
    const failed = (error: Error): void => settle(new KubeNetworkError(`request to ${url} failed, reason: ${error.message}`, error));
    const badBody = (error: Error): void =>
      settle(new KubeNetworkError(`Invalid response body while trying to fetch ${url}: ${error.message}`, error));

    let outgoing: http.ClientRequest;
    try {
      const options: http.RequestOptions = { method, headers, agent: request.getAgent() };
      outgoing = url.startsWith('https:') ? https.request(url, options) : http.request(url, options);
    } catch (error) {
      // A malformed URL or header value: nothing was sent.
      settle(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    outgoing.on('error', failed);
    outgoing.on('response', (incoming: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', badBody);
      // Node reports a connection closed mid-answer as an error; a close without one is cut short too.
      incoming.on('close', () => {
        if (!incoming.complete) badBody(new Error('Premature close'));
      });
      incoming.on('end', () => {
        if (settled) return;
        const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const status = incoming.statusCode ?? 0;
        const answerHeaders = headersOf(incoming.rawHeaders);
        const done = (decodeError: Error | null, decoded: Buffer): void => {
          if (decodeError) badBody(decodeError);
          else settle(undefined, { status, headers: answerHeaders, body: decoded });
        };
        decode(raw, method === 'HEAD' ? undefined : answerHeaders['content-encoding'], done);
      });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.end(body);
  });
}

// As curl and node-fetch do: a gzip stream cut short gives what arrived rather than an error;
// the JSON parse that follows reports the truncation.
const LENIENT: zlib.ZlibOptions = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };

/** Decodes a gzip or deflate body off the event loop (zlib's thread pool); anything else is given back as is. */
function decode(raw: Buffer, encoding: string | undefined, done: (error: Error | null, decoded: Buffer) => void): void {
  const coding = encoding?.trim().toLowerCase();
  if (raw.length === 0 || coding === undefined) return done(null, raw);
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.gunzip(raw, LENIENT, done);
  // "deflate" is meant to be zlib-wrapped, but some servers send it raw; the first byte tells.
  if (coding === 'deflate') return (raw[0]! & 0x0f) === 0x08 ? zlib.inflate(raw, LENIENT, done) : zlib.inflateRaw(raw, LENIENT, done);
  return done(null, raw);
}

/** Lower-case names, repeated headers joined with ", ": what fetch's Headers.forEach gave client-node. */
function headersOf(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}, ${value}`;
  }
  return headers;
}
