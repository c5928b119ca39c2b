/**
 * The stand-in's HTTP server (node:http, plain HTTP): API routing, body decoding, fault injection,
 * request statistics, and the /_standin control endpoints. No authentication or authorization:
 * any bearer token (or none) is accepted, as by an apiserver with AlwaysAllow and anonymous auth.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { routeApiPath, type ResourceRoute } from './apiPaths.js';
import { coreVersions, groupDocument, groupList, resourceList, SERVER_VERSION } from './discovery.js';
import { FaultInjector } from './faults.js';
import { BodySyntaxError, goJsonSyntaxError, goJsonType, summarizeData, VERSION_KIND_PROBE } from './goJson.js';
import { deepCopy, isRecord } from './jsonValues.js';
import { KubeApi, type ApiResponse, type ResourceRequest } from './kubeApi.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { negotiateOutput, transformAnswer } from './outputMedia.js';
import { recordPodEvent, setPodStatus, spawnExecutors } from './podSimulation.js';
import { decodeProtobufBody, ProtobufError } from './protobufBodies.js';
import { resourceTypeByPlural } from './resourceTypes.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import {
  ApiError,
  badRequest,
  internalError,
  methodNotAllowed,
  pathNotFound,
  serviceUnavailable,
  tooManyRequests,
  unsupportedMediaType,
} from './statusObjects.js';
import type { FaultKind, KubeStoredObject, PodStatusPatch, StandIn, StandInOptions, StandInStats } from './standInTypes.js';
import { serveWatch, type WatchHandle } from './watchStream.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? 'application/json';
}

/** The request body as JSON (or YAML), with the decoder's 400/415 answers. */
function decodeBody(raw: Buffer, contentType: string): unknown {
  if (raw.length === 0) return undefined;
  if (raw.length > MAX_BODY_BYTES)
    throw new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the request entity is too large',
      reason: 'RequestEntityTooLarge',
      code: 413,
    });
  const text = raw.toString('utf8');
  if (contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text) as unknown;
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  if (contentType === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobufBody(raw);
    } catch (error) {
      if (error instanceof ProtobufError)
        throw unsupportedMediaType(['application/json', 'application/yaml', `application/vnd.kubernetes.protobuf (${error.message})`]);
      throw error;
    }
  }
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodySyntaxError(goJsonSyntaxError(raw, error), summarizeData(raw));
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

function sendJsonText(res: ServerResponse, status: number, payload: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'audit-id': randomUUID(),
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.code, error.body, error.headers);
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Verb = 'create' | 'get' | 'list' | 'watch' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** The RBAC verb of a request (apiserver/pkg/endpoints/request/requestinfo.go). */
function verbOf(method: string, route: ResourceRoute, query: URLSearchParams): Verb | undefined {
  const watch = ['true', '1'].includes(query.get('watch') ?? '');
  if (route.name === undefined) {
    if (method === 'GET') return watch ? 'watch' : 'list';
    if (method === 'POST') return route.namespacedPath || !route.type.namespaced ? 'create' : undefined;
    if (method === 'DELETE')
      return route.type.verbs.includes('deletecollection') && (route.namespacedPath || !route.type.namespaced)
        ? 'deletecollection'
        : undefined;
    return undefined;
  }
  if (route.subresource === 'log') return method === 'GET' ? 'get' : undefined;
  switch (method) {
    case 'GET':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.subresource ? undefined : 'delete';
    default:
      return undefined;
  }
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const host = options.host ?? '127.0.0.1';
  const api = new KubeApi({
    gcDelayMs: options.gcDelayMs ?? 0,
    ...(options.compactionIntervalMs === undefined ? {} : { compactionIntervalMs: options.compactionIntervalMs }),
  });
  const faults = new FaultInjector(options.seed);
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  const watches = new Set<WatchHandle>();
  let requests: Record<string, number> = {};
  let faultsInjected = 0;
  let closed = false;

  const bootstrap = (plural: string, body: Record<string, unknown>, namespace?: string) => {
    const type = resourceTypeByPlural(plural);
    if (!type) throw new Error(`stand-in bug: no ${plural}`);
    const metadata = body.metadata as { name: string };
    if (api.store.peek(plural, type.namespaced ? namespace : undefined, metadata.name)) return;
    api.create({ type, ...(namespace ? { namespace } : {}), query: new URLSearchParams() }, body);
  };
  // A namespace as a team's bundle prepares it: with the ServiceAccounts its pods run as (the
  // `default` one comes from the stand-in's ServiceAccount controller, as in a real cluster).
  const createNamespace = (name: string) => {
    bootstrap('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const account of options.serviceAccounts ?? [])
      bootstrap('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account } }, name);
  };

  // what a fresh cluster has: the system namespaces, the built-in PriorityClasses, the kubernetes Service
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) createNamespace(ns);
  bootstrap('priorityclasses', {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  });
  bootstrap('priorityclasses', {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  });
  bootstrap(
    'services',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    },
    'default',
  );
  for (const ns of options.namespaces ?? []) createNamespace(ns);

  let serverAddress = '';

  const execute = (req: ResourceRequest, verb: Verb, body: unknown, contentType: string): ApiResponse => {
    switch (verb) {
      case 'create':
        return api.create(req, body);
      case 'get':
        return req.subresource === 'log' ? api.readLog(req) : api.get(req);
      case 'list':
        return api.list(req);
      case 'update':
        return api.update(req, body);
      case 'patch':
        return api.patch(req, body, contentType);
      case 'delete':
        return api.delete(req, body);
      case 'deletecollection':
        return api.deleteCollection(req, body);
      default:
        throw methodNotAllowed();
    }
  };

  const hold = (socket: Socket) => {
    held.add(socket);
    socket.once('close', () => held.delete(socket));
  };

  const injectFault = (kind: FaultKind, retryAfterSeconds: number, req: IncomingMessage, res: ServerResponse): void => {
    faultsInjected++;
    switch (kind) {
      case '500':
        sendError(res, internalError('stand-in injected fault'));
        return;
      case '503':
        sendError(res, serviceUnavailable());
        return;
      case '429':
        sendError(res, tooManyRequests(retryAfterSeconds));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'timeout':
        hold(req.socket);
        return;
    }
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const routed = routeApiPath(url.pathname);
    if (routed.kind === 'unknown') throw pathNotFound();
    if (routed.kind === 'discovery') {
      if (method !== 'GET') throw methodNotAllowed();
      const [root, a, b] = routed.path;
      let doc: unknown;
      if (root === 'version') doc = SERVER_VERSION;
      else if (root === 'api') doc = a === undefined ? coreVersions(serverAddress) : resourceList('', a);
      else if (root === 'apis') doc = a === undefined ? groupList() : b === undefined ? groupDocument(a) : resourceList(a, b);
      if (doc === undefined) throw pathNotFound();
      sendJson(res, 200, doc);
      return;
    }
    const route = routed.route;
    const verb = verbOf(method, route, url.searchParams);
    const resourceKey = route.subresource ? `${route.type.plural}/${route.subresource}` : route.type.plural;
    const statsKey = `${verb ?? method.toLowerCase()} ${resourceKey}`;
    requests[statsKey] = (requests[statsKey] ?? 0) + 1;

    // faults first: a faulted request has no effect
    const decision = faults.decide(verb ?? method.toLowerCase(), resourceKey);
    if (decision.latencyMs > 0) await delay(decision.latencyMs);
    if (decision.fault) {
      injectFault(decision.fault.kind, decision.fault.retryAfterSeconds, req, res);
      return;
    }
    if (!verb) throw methodNotAllowed();

    const request: ResourceRequest = {
      type: route.type,
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
      ...(route.subresource ? { subresource: route.subresource } : {}),
      query: url.searchParams,
    };
    if (verb === 'watch') {
      const handle = serveWatch(api.store, route.type, route.type.namespaced ? route.namespace : undefined, url.searchParams, res, () =>
        watches.delete(handle),
      );
      watches.add(handle);
      return;
    }
    // Negotiated before the request acts: an answer the server cannot give changes nothing.
    const output = route.subresource === 'log' ? 'object' : negotiateOutput(req.headers.accept);
    if (output instanceof ApiError) throw output;
    const contentType = mediaType(req);
    let body: unknown;
    try {
      body = verb === 'patch' && contentType === 'application/apply-patch+yaml' ? undefined : decodeBody(raw, contentType);
    } catch (error) {
      if (!(error instanceof BodySyntaxError)) throw error;
      // transformDecodeError: an object body names the type it should have been; other bodies are just bad
      if (verb === 'create' || verb === 'update') {
        throw badRequest(
          `the object provided is unrecognized (must be of type ${route.type.kind}): couldn't get version/kind; json parse error: ${error.goMessage} (${error.summary})`,
        );
      }
      throw badRequest(`couldn't get version/kind; json parse error: ${error.goMessage}`);
    }
    if (body === undefined && (verb === 'create' || verb === 'update')) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${route.type.kind}): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)`,
      );
    }
    if (body !== undefined && !isRecord(body) && (verb === 'create' || verb === 'update')) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${route.type.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(body)} into Go value of type ${VERSION_KIND_PROBE} (${summarizeData(raw)})`,
      );
    }
    const response = execute(request, verb, body, contentType);
    if (response.contentType === 'text/plain') sendText(res, response.status, String(response.body));
    else if (output !== 'object') sendJson(res, response.status, transformAnswer(response.body, output, route.type));
    else if (response.json) sendJsonText(res, response.status, response.json());
    else sendJson(res, response.status, response.body);
  };

  const standInRef: { current?: StandIn } = {};

  const handleControl = (req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): void => {
    const method = (req.method ?? 'GET').toUpperCase();
    const parts = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s))
      .slice(1);
    const standIn = standInRef.current;
    if (!standIn) throw new Error('stand-in not ready');
    const json = (): unknown => (raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown));
    const fail = (status: number, message: string) => sendJson(res, status, { error: message });
    try {
      if (parts[0] === 'faults' && parts.length === 1 && method === 'PUT') {
        standIn.setFaults(json() as never);
        sendJson(res, 200, { ok: true });
        return;
      }
      if (parts[0] === 'stats' && parts.length === 1 && method === 'GET') {
        sendJson(res, 200, standIn.stats());
        return;
      }
      if (parts[0] === 'stats' && parts[1] === 'reset' && parts.length === 2 && method === 'POST') {
        standIn.resetStats();
        sendJson(res, 200, { ok: true });
        return;
      }
      if (parts[0] === 'objects' && parts.length === 2 && method === 'GET') {
        const labelSelector = url.searchParams.get('labelSelector');
        sendJson(
          res,
          200,
          standIn.objects(parts[1] ?? '', url.searchParams.get('namespace') ?? undefined, labelSelector ? { labelSelector } : {}),
        );
        return;
      }
      if (parts[0] === 'namespaces' && parts.length === 2 && (method === 'POST' || method === 'PUT')) {
        standIn.createNamespace(parts[1] ?? '');
        sendJson(res, 200, { ok: true });
        return;
      }
      if (parts[0] === 'namespaces' && parts[2] === 'pods' && parts.length === 5) {
        const [, ns = '', , pod = '', action] = parts;
        if (api.store.peek('pods', ns, pod) === undefined) {
          fail(404, `pods "${pod}" not found in namespace "${ns}"`);
          return;
        }
        if (action === 'status' && method === 'POST') {
          standIn.setPodStatus(ns, pod, (json() ?? {}) as PodStatusPatch);
          sendJson(res, 200, api.store.peek('pods', ns, pod));
          return;
        }
        if (action === 'executors' && method === 'POST') {
          const body = (json() ?? {}) as { count?: unknown; phase?: unknown };
          const phase = body.phase === 'Pending' ? 'Pending' : 'Running';
          sendJson(res, 200, { names: standIn.spawnExecutors(ns, pod, Number(body.count ?? 1), phase) });
          return;
        }
        if (action === 'log' && method === 'PUT') {
          const body = mediaType(req) === 'application/json' ? json() : raw.toString('utf8');
          const text =
            typeof body === 'string'
              ? body
              : typeof (body as { text?: unknown } | undefined)?.text === 'string'
                ? String((body as { text: string }).text)
                : '';
          standIn.setPodLog(ns, pod, text);
          sendJson(res, 200, { ok: true });
          return;
        }
      }
      fail(404, `no control endpoint ${method} ${url.pathname}`);
    } catch (error) {
      fail(400, (error as Error).message);
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      let raw: Buffer;
      try {
        raw = await readBody(req);
      } catch {
        return;
      }
      if (closed) {
        req.socket.destroy();
        return;
      }
      try {
        if (url.pathname === '/_standin' || url.pathname.startsWith('/_standin/')) handleControl(req, res, url, raw);
        else await handleApi(req, res, url, raw);
      } catch (error) {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (error instanceof ApiError) sendError(res, error);
        else sendError(res, internalError(error instanceof Error ? error.message : String(error)));
      }
    })();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // kubectl and client-go keep connections alive; never let Node's own timeouts answer for the apiserver
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('stand-in: unexpected server address');
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  serverAddress = `${urlHost}:${address.port}`;
  const url = `http://${serverAddress}`;

  const standIn: StandIn = {
    url,
    kubeconfig: (opts) => kubeconfigYaml(url, opts),
    async close() {
      if (closed) return;
      closed = true;
      api.close();
      for (const w of [...watches]) w.stop();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of [...held, ...sockets]) socket.destroy();
      server.closeAllConnections();
      await done;
    },
    createNamespace,
    setFaults: (rules) => faults.setRules(rules),
    setPodStatus: (namespace, name, status) => {
      setPodStatus(api, namespace, name, status);
    },
    setPodLog: (namespace, name, text) => api.setLog(namespace, name, text),
    appendPodLog: (namespace, name, lines) => api.appendLog(namespace, name, lines),
    recordPodEvent: (namespace, podName, event) => recordPodEvent(api, namespace, podName, event),
    setNodeReachable: (node, reachable) => api.setNodeReachable(node, reachable),
    advanceClock: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`the clock only runs forward: ${ms} ms`);
      api.clockOffsetMs += ms;
    },
    now: () => new Date(api.nowMs()),
    spawnExecutors: (namespace, driverPodName, count, phase) => spawnExecutors(api, namespace, driverPodName, count, phase ?? 'Running'),
    objects(resource: string, namespace?: string, options: { labelSelector?: string } = {}): KubeStoredObject[] {
      const type = resourceTypeByPlural(resource);
      if (!type) throw new Error(`the stand-in does not serve "${resource}"`);
      const stored = api.store.peekAll(type.plural, type.namespaced ? namespace : undefined);
      if (!options.labelSelector) return stored.map(deepCopy);
      const selector = parseLabelSelector(options.labelSelector);
      return stored.filter((obj) => matchesLabels(selector, obj.metadata.labels)).map(deepCopy);
    },
    deleteObject(resource: string, namespace: string, name: string): void {
      const type = resourceTypeByPlural(resource);
      if (!type) throw new Error(`the stand-in does not serve "${resource}"`);
      api.delete({ type, namespace, name, query: new URLSearchParams() }, { propagationPolicy: 'Background' });
    },
    stats(): StandInStats {
      return { requests: { ...requests }, faultsInjected, maxConcurrentQuotaPods: api.quota.maxConcurrentPods() };
    },
    resetStats() {
      requests = {};
      faultsInjected = 0;
      api.quota.resetStats();
      api.refreshAllQuotas();
    },
  };
  standInRef.current = standIn;
  return standIn;
}
