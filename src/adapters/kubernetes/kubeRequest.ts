/**
 * One request to the Kubernetes API through client-node's own configuration (server, TLS,
 * authentication from the kubeconfig, our middleware: keep-alive agent and timeout), with the
 * body sent and received as JSON text.
 *
 * Why not the generated CoreV1Api: it converts every object it sends and receives into its model
 * classes (V1Pod, V1Container, Date fields…) field by field, and the domain works with plain JSON,
 * so each call serialized, walked, parsed, walked again and round-tripped once more to plain JSON.
 * That was a sixth of a launch's CPU and half of a sweep's list time.
 */
import type { Configuration, HttpMethod, RequestContext, ResponseContext } from '@kubernetes/client-node';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface KubeRequest {
  readonly method: Method;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** What the caller reads: JSON (the default), plain text (pods/log), or an object's metadata alone (see METADATA_ONLY). */
  readonly accept?: 'application/json' | 'text/plain' | typeof METADATA_ONLY;
}

/**
 * Asks for the object's metadata alone, as a PartialObjectMetadata (what client-go's metadata
 * client asks for), with plain JSON as the fallback a server without it answers with. kube-apiserver
 * transforms every object it answers, creates included (handlers/create.go: transformResponseObject).
 */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** A non-2xx answer: the same shape as client-node's ApiException (code, body, headers), which kubeErrors maps. */
export class KubeHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}`);
    this.name = 'KubeHttpError';
  }
}

/** Sends the request; resolves to the answer's text when the status is 2xx, throws KubeHttpError otherwise. */
export async function kubeRequest(configuration: Configuration, request: KubeRequest): Promise<string> {
  // HttpMethod is a runtime enum of the lazily imported client; its members are the method names.
  let context: RequestContext = configuration.baseServer.makeRequestContext(request.path, request.method as HttpMethod);
  context.setHeaderParam('Accept', request.accept ?? 'application/json');
  for (const [name, value] of Object.entries(request.query ?? {}))
    if (value !== undefined && value !== '') context.setQueryParam(name, String(value));
  if (request.body !== undefined) {
    context.setHeaderParam('Content-Type', 'application/json');
    context.setBody(JSON.stringify(request.body));
  }
  await configuration.authMethods.default?.applySecurityAuthentication(context);
  for (const middleware of configuration.middleware) context = await middleware.pre(context).toPromise();
  let response: ResponseContext = await configuration.httpApi.send(context).toPromise();
  for (const middleware of [...configuration.middleware].reverse()) response = await middleware.post(response).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299)
    throw new KubeHttpError(response.httpStatusCode, text, response.headers);
  return text;
}

/** The answer parsed as a JSON object; anything else (a proxy's HTML page, a cut-off body) is an error worth retrying. */
export function parseObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`the answer is not a Kubernetes object: ${text.slice(0, 200)}`);
  return parsed as Record<string, unknown>;
}
