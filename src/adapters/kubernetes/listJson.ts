/**
 * A list call through client-node's own configuration (server, TLS, authentication, our
 * middleware: keep-alive agent and timeout), answered as the server's JSON and nothing more.
 *
 * Why not `CoreV1Api.listNamespacedPod`: the generated client turns every listed pod into model
 * classes (V1Pod, V1Container, Date fields…) field by field, and the domain wants plain JSON, so
 * each page was parsed, converted to models, serialized and parsed again. A sweep lists every
 * driver and executor in a namespace (tens of thousands of pods, tens of MB); that round trip was
 * half of its time.
 */
import type { Configuration, HttpMethod, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { StoredObject } from '../../usecases/clusterPort.js';

export interface ListParams {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continueToken?: string | undefined;
}

export interface ListJson {
  readonly items: StoredObject[];
  readonly metadata?: { readonly continue?: string; readonly resourceVersion?: string };
}

/** What a failed call throws: the same shape as client-node's ApiException, which kubeErrors maps. */
export class ListHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}`);
    this.name = 'ListHttpError';
  }
}

/** GET `path` (a collection) with list parameters; resolves to the parsed list. */
export async function listJson(configuration: Configuration, path: string, params: ListParams): Promise<ListJson> {
  // HttpMethod is a runtime enum of the lazily imported client; its GET member is the string 'GET'.
  let request: RequestContext = configuration.baseServer.makeRequestContext(path, 'GET' as HttpMethod);
  request.setHeaderParam('Accept', 'application/json');
  if (params.labelSelector) request.setQueryParam('labelSelector', params.labelSelector);
  if (params.fieldSelector) request.setQueryParam('fieldSelector', params.fieldSelector);
  if (params.limit !== undefined) request.setQueryParam('limit', String(params.limit));
  if (params.continueToken) request.setQueryParam('continue', params.continueToken);
  await configuration.authMethods.default?.applySecurityAuthentication(request);
  for (const middleware of configuration.middleware) request = await middleware.pre(request).toPromise();
  let response: ResponseContext = await configuration.httpApi.send(request).toPromise();
  for (const middleware of [...configuration.middleware].reverse()) response = await middleware.post(response).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw new ListHttpError(response.httpStatusCode, text, response.headers);
  let parsed: Partial<ListJson> | null;
  try {
    parsed = JSON.parse(text) as Partial<ListJson> | null;
  } catch {
    parsed = null;
  }
  // A proxy's HTML page or a truncated body: worth another try, like any answer the client cannot read.
  if (!parsed || !Array.isArray(parsed.items)) throw new Error(`the answer is not a Kubernetes list: ${text.slice(0, 200)}`);
  return { items: parsed.items, ...(parsed.metadata ? { metadata: parsed.metadata } : {}) };
}
