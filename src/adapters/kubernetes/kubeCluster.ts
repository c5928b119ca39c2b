/**
 * ClusterPort over @kubernetes/client-node: its configuration (kubeconfig, TLS, authentication,
 * token refresh) carries every call, sent by our node:http library (nodeHttpLibrary says why); the
 * objects go as JSON text both ways (kubeRequest says why). Pods, ConfigMaps, Services and Events
 * under /api/v1, SparkApplications under their group. Every call gets a timeout; every failure becomes a DispatchError (see
 * kubeErrors). Retries are the caller's choice (withRetry).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Configuration, KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../domain/render/kubeObjects.js';
import { SPARK_APPLICATION_API } from '../../domain/render/renderOperator.js';
import { DispatchError } from '../../shared/errors.js';
import type { ClusterPort, CreatedObject, ListPage, ListQuery, ObjectRef, Propagation, StoredObject } from '../../usecases/clusterPort.js';
import { describeRef } from '../../usecases/clusterPort.js';
import { toDispatchError } from './kubeErrors.js';
import { kubeRequest, METADATA_ONLY, parseObject } from './kubeRequest.js';
import { nodeHttpLibrary } from './nodeHttpLibrary.js';

export interface KubeClusterOptions {
  readonly requestTimeoutMs: number;
}

type CoreKind = 'Pod' | 'ConfigMap' | 'Service' | 'Event';
const CORE_KINDS: ReadonlySet<string> = new Set<CoreKind>(['Pod', 'ConfigMap', 'Service', 'Event']);
const CORE_PLURALS: Readonly<Record<CoreKind, string>> = { Pod: 'pods', ConfigMap: 'configmaps', Service: 'services', Event: 'events' };

export async function createKubeCluster(kc: KubeConfig, options: KubeClusterOptions): Promise<ClusterPort> {
  const k8s = await import('@kubernetes/client-node');
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new DispatchError('configuration', 'the Kubernetes configuration names no current cluster');
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server.replace(/\/+$/, ''), {}),
    authMethods: { default: kc },
    httpApi: nodeHttpLibrary(k8s),
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
  return new KubeCluster(configuration);
}

const agents = new Map<string, http.Agent>();

/**
 * A keep-alive agent with the same TLS options (CA, client certificate, verification) as the one
 * client-node made for this request. Only plain http/https agents are replaced; proxy agents are
 * left as they are. Idle keep-alive sockets are unref'd by Node, so they never hold a CLI open.
 * client-node builds fresh options for every request, so the identity is their content.
 */
function sharedAgent(agent: http.Agent | https.Agent): http.Agent | https.Agent {
  const isHttps = agent.constructor === https.Agent;
  if (!isHttps && agent.constructor !== http.Agent) return agent;
  const options = (agent as { options?: https.AgentOptions }).options ?? {};
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        isHttps,
        ca: String(options.ca ?? ''),
        cert: String(options.cert ?? ''),
        key: String(options.key ?? ''),
        pfx: String(options.pfx ?? ''),
        rejectUnauthorized: options.rejectUnauthorized,
        servername: options.servername,
      }),
    )
    .digest('hex');
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
  constructor(private readonly configuration: Configuration) {}

  async create(object: KubeObject, options: { readonly dryRun?: boolean } = {}): Promise<CreatedObject> {
    const namespace = object.metadata.namespace ?? '';
    try {
      // The metadata alone: a launch needs the uid (its companions' owner), not the pod as stored,
      // and parsing the whole answer was a seventh of the client's CPU.
      const text = await kubeRequest(this.configuration, {
        method: 'POST',
        path: collectionPath(object, namespace),
        query: { dryRun: options.dryRun ? 'All' : undefined },
        body: object,
        accept: METADATA_ONLY,
      });
      const answer = parseObject(text) as unknown as CreatedObject;
      return { apiVersion: object.apiVersion, kind: object.kind, metadata: answer.metadata };
    } catch (error) {
      throw toDispatchError(error, `create ${object.kind.toLowerCase()}/${object.metadata.name} in ${namespace}`);
    }
  }

  async read(ref: ObjectRef): Promise<StoredObject | undefined> {
    try {
      return parseObject(await kubeRequest(this.configuration, { method: 'GET', path: objectPath(ref) })) as unknown as StoredObject;
    } catch (error) {
      const failure = toDispatchError(error, `read ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return undefined;
      throw failure;
    }
  }

  async remove(ref: ObjectRef, options: { readonly uid?: string; readonly propagation?: Propagation } = {}): Promise<boolean> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
      ...(options.propagation ? { propagationPolicy: options.propagation } : {}),
    };
    try {
      await kubeRequest(this.configuration, { method: 'DELETE', path: objectPath(ref), body });
      return true;
    } catch (error) {
      const failure = toDispatchError(error, `delete ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return false;
      // The uid precondition failed: the object meant is gone and the name holds a newer one.
      if (options.uid && failure.kind === 'conflict') return false;
      throw failure;
    }
  }

  async readLog(
    ref: ObjectRef,
    options: { readonly tailLines: number; readonly limitBytes: number; readonly container?: string; readonly timestamps?: boolean },
  ): Promise<string | undefined> {
    try {
      return await kubeRequest(this.configuration, {
        method: 'GET',
        path: `${objectPath(ref)}/log`,
        query: {
          tailLines: options.tailLines,
          limitBytes: options.limitBytes,
          container: options.container,
          timestamps: options.timestamps ? 'true' : undefined,
        },
        accept: 'text/plain',
      });
    } catch (error) {
      const failure = toDispatchError(error, `read the log of ${describeRef(ref)}`);
      if (failure.kind === 'not-found') return undefined;
      throw failure;
    }
  }

  async list(query: ListQuery): Promise<ListPage> {
    const { namespace } = query;
    try {
      const text = await kubeRequest(this.configuration, {
        method: 'GET',
        path: collectionPath(query, namespace),
        query: {
          labelSelector: query.labelSelector,
          fieldSelector: query.fieldSelector,
          limit: query.limit,
          continue: query.continueToken,
        },
      });
      const body = parseObject(text) as { items?: unknown; metadata?: { continue?: string } };
      if (!Array.isArray(body.items)) throw new Error(`the answer is not a Kubernetes list: ${text.slice(0, 200)}`);
      return { items: body.items as StoredObject[], continueToken: body.metadata?.continue || undefined };
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

const objectPath = (ref: ObjectRef): string => `${collectionPath(ref, ref.namespace)}/${encodeURIComponent(ref.name)}`;

function coreKind(object: { apiVersion: string; kind: string }): CoreKind | undefined {
  return object.apiVersion === 'v1' && CORE_KINDS.has(object.kind) ? (object.kind as CoreKind) : undefined;
}

function customResource(object: { apiVersion: string; kind: string }): { group: string; version: string; plural: string } {
  if (
    object.kind === SPARK_APPLICATION_API.kind &&
    object.apiVersion === `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`
  ) {
    return { group: SPARK_APPLICATION_API.group, version: SPARK_APPLICATION_API.version, plural: SPARK_APPLICATION_API.plural };
  }
  throw new DispatchError('configuration', `spark-dispatch does not manage ${object.kind} (${object.apiVersion}) objects`);
}
