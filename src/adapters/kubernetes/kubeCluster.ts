/**
 * ClusterPort over @kubernetes/client-node: the typed CoreV1Api for pods, configmaps, services
 * and events, CustomObjectsApi for SparkApplications; lists through the same configuration as
 * plain JSON (listJson). Every call gets a timeout; every failure
 * becomes a DispatchError (see kubeErrors). Retries are the caller's choice (withRetry).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Configuration, CoreV1Api, CustomObjectsApi, KubeConfig, CoreV1Event, V1ConfigMap, V1DeleteOptions, V1Pod, V1Service } from '@kubernetes/client-node';
import type { KubeObject } from '../../domain/render/kubeObjects.js';
import { SPARK_APPLICATION_API } from '../../domain/render/renderOperator.js';
import { DispatchError } from '../../errors.js';
import type { ClusterPort, ListPage, ListQuery, ObjectRef, Propagation, StoredObject } from '../../usecases/clusterPort.js';
import { describeRef } from '../../usecases/clusterPort.js';
import { toDispatchError } from './kubeErrors.js';
import { listJson } from './listJson.js';

export interface KubeClusterOptions {
  readonly requestTimeoutMs: number;
}

type CoreKind = 'Pod' | 'ConfigMap' | 'Service' | 'Event';
const CORE_KINDS: ReadonlySet<string> = new Set<CoreKind>(['Pod', 'ConfigMap', 'Service', 'Event']);
const CORE_PLURALS: Readonly<Record<CoreKind, string>> = { Pod: 'pods', ConfigMap: 'configmaps', Service: 'services', Event: 'events' };

/**
 * The client's typed models (V1Pod, …) have the same JSON shape as our domain objects; its
 * serializer reads them field by field. Responses come back as model instances with Date fields,
 * so they are turned back into plain JSON-shaped objects for the domain.
 */
const asModel = <T>(object: KubeObject): T => object as unknown as T;
const plain = (value: unknown): StoredObject => JSON.parse(JSON.stringify(value)) as StoredObject;

export async function createKubeCluster(kc: KubeConfig, options: KubeClusterOptions): Promise<ClusterPort> {
  const k8s = await import('@kubernetes/client-node');
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new DispatchError('configuration', 'the Kubernetes configuration names no current cluster');
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server.replace(/\/+$/, ''), {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          // client-node builds a new HTTP agent for every request, so every call opened a new
          // connection (and TLS handshake). Reusing one keep-alive agent per TLS identity keeps
          // connections open across calls.
          const agent = context.getAgent();
          if (agent) context.setAgent(sharedAgent(agent));
          // A request the server never answers must not hold a handler (and its message lock) forever.
          context.setSignal(AbortSignal.timeout(options.requestTimeoutMs));
          return context;
        },
        post: async (context) => context,
      },
    ],
  });
  return new KubeCluster(new k8s.CoreV1Api(configuration), new k8s.CustomObjectsApi(configuration), configuration);
}

const agents = new Map<string, http.Agent>();
const keyOf = new WeakMap<object, string>();

/**
 * A keep-alive agent with the same TLS options (CA, client certificate, verification) as the one
 * client-node made for this request. Only plain http/https agents are replaced; proxy agents are
 * left as they are. Idle keep-alive sockets are unref'd by Node, so they never hold a CLI open.
 */
function sharedAgent(agent: http.Agent | https.Agent): http.Agent | https.Agent {
  const isHttps = agent.constructor === https.Agent;
  if (!isHttps && agent.constructor !== http.Agent) return agent;
  const options = (agent as { options?: https.AgentOptions }).options ?? {};
  const key = keyOf.get(options) ?? createHash('sha256')
    .update(JSON.stringify({ isHttps, ca: String(options.ca ?? ''), cert: String(options.cert ?? ''), key: String(options.key ?? ''), pfx: String(options.pfx ?? ''), rejectUnauthorized: options.rejectUnauthorized, servername: options.servername }))
    .digest('hex');
  keyOf.set(options, key);
  let shared = agents.get(key);
  if (!shared) {
    // As many sockets as the busiest handler uses at once (host.json maxConcurrentCalls × 3 objects, bursts).
    const keepAlive = { ...options, keepAlive: true, maxSockets: 256, maxFreeSockets: 64 };
    shared = isHttps ? new https.Agent(keepAlive) : new http.Agent(keepAlive);
    agents.set(key, shared);
  }
  return shared;
}

class KubeCluster implements ClusterPort {
  constructor(
    private readonly core: CoreV1Api,
    private readonly custom: CustomObjectsApi,
    private readonly configuration: Configuration,
  ) {}

  async create(object: KubeObject, options: { readonly dryRun?: boolean } = {}): Promise<StoredObject> {
    const namespace = object.metadata.namespace ?? '';
    const dryRun = options.dryRun ? 'All' : undefined;
    const doing = `create ${object.kind.toLowerCase()}/${object.metadata.name} in ${namespace}`;
    try {
      switch (coreKind(object)) {
        case 'Pod':
          return plain(await this.core.createNamespacedPod({ namespace, body: asModel<V1Pod>(object), dryRun }));
        case 'ConfigMap':
          return plain(await this.core.createNamespacedConfigMap({ namespace, body: asModel<V1ConfigMap>(object), dryRun }));
        case 'Service':
          return plain(await this.core.createNamespacedService({ namespace, body: asModel<V1Service>(object), dryRun }));
        case 'Event':
          return plain(await this.core.createNamespacedEvent({ namespace, body: asModel<CoreV1Event>(object), dryRun }));
        default: {
          const { group, version, plural } = customResource(object);
          return plain(await this.custom.createNamespacedCustomObject({ group, version, namespace, plural, body: object, dryRun }));
        }
      }
    } catch (error) {
      throw toDispatchError(error, doing);
    }
  }

  async read(ref: ObjectRef): Promise<StoredObject | undefined> {
    const { namespace, name } = ref;
    try {
      switch (coreKind(ref)) {
        case 'Pod':
          return plain(await this.core.readNamespacedPod({ namespace, name }));
        case 'ConfigMap':
          return plain(await this.core.readNamespacedConfigMap({ namespace, name }));
        case 'Service':
          return plain(await this.core.readNamespacedService({ namespace, name }));
        case 'Event':
          return plain(await this.core.readNamespacedEvent({ namespace, name }));
        default: {
          const { group, version, plural } = customResource(ref);
          return plain(await this.custom.getNamespacedCustomObject({ group, version, namespace, plural, name }));
        }
      }
    } catch (error) {
      const failure = toDispatchError(error, `read ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return undefined;
      throw failure;
    }
  }

  async remove(ref: ObjectRef, options: { readonly uid?: string; readonly propagation?: Propagation } = {}): Promise<boolean> {
    const { namespace, name } = ref;
    const body: V1DeleteOptions = {
      ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
      ...(options.propagation ? { propagationPolicy: options.propagation } : {}),
    };
    try {
      switch (coreKind(ref)) {
        case 'Pod':
          await this.core.deleteNamespacedPod({ namespace, name, body });
          break;
        case 'ConfigMap':
          await this.core.deleteNamespacedConfigMap({ namespace, name, body });
          break;
        case 'Service':
          await this.core.deleteNamespacedService({ namespace, name, body });
          break;
        case 'Event':
          await this.core.deleteNamespacedEvent({ namespace, name, body });
          break;
        default: {
          const { group, version, plural } = customResource(ref);
          await this.custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name, body });
        }
      }
      return true;
    } catch (error) {
      const failure = toDispatchError(error, `delete ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return false;
      throw failure;
    }
  }

  async readLog(ref: ObjectRef, options: { readonly tailLines: number; readonly limitBytes: number; readonly container?: string }): Promise<string | undefined> {
    try {
      return await this.core.readNamespacedPodLog({ namespace: ref.namespace, name: ref.name, tailLines: options.tailLines, limitBytes: options.limitBytes, ...(options.container ? { container: options.container } : {}) });
    } catch (error) {
      const failure = toDispatchError(error, `read the log of ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return undefined;
      throw failure;
    }
  }

  async list(query: ListQuery): Promise<ListPage> {
    const { namespace } = query;
    try {
      const result = await listJson(this.configuration, collectionPath(query, namespace), query);
      return { items: result.items, continueToken: result.metadata?.continue || undefined };
    } catch (error) {
      throw toDispatchError(error, `list ${query.kind.toLowerCase()}s in ${namespace}`);
    }
  }
}

/** The REST path of a namespaced collection: /api/v1/namespaces/<ns>/pods, /apis/<group>/<version>/namespaces/<ns>/<plural>. */
function collectionPath(object: { apiVersion: string; kind: string }, namespace: string): string {
  const ns = encodeURIComponent(namespace);
  const kind = coreKind(object);
  if (kind) return `/api/v1/namespaces/${ns}/${CORE_PLURALS[kind]}`;
  const { group, version, plural } = customResource(object);
  return `/apis/${group}/${version}/namespaces/${ns}/${plural}`;
}

function coreKind(object: { apiVersion: string; kind: string }): CoreKind | undefined {
  return object.apiVersion === 'v1' && CORE_KINDS.has(object.kind) ? (object.kind as CoreKind) : undefined;
}

function customResource(object: { apiVersion: string; kind: string }): { group: string; version: string; plural: string } {
  if (object.kind === SPARK_APPLICATION_API.kind && object.apiVersion === `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`) {
    return { group: SPARK_APPLICATION_API.group, version: SPARK_APPLICATION_API.version, plural: SPARK_APPLICATION_API.plural };
  }
  throw new DispatchError('configuration', `spark-dispatch does not manage ${object.kind} (${object.apiVersion}) objects`);
}
