/**
 * The API servers the contract suites run against: the project's stand-in (always) and the real
 * kube-apiserver of the real-server tier (when realkubeSetup.ts started one). Each test file gets
 * its own stand-in and, on the real server, namespaces of its own (one server for the whole run).
 *
 *   describe.each(contractServers())('$name', (server) => { const s = useContractServer(server, 'launch'); … })
 *
 * Everything goes through HTTP, the same way on both: pod phases through pods/status (there is no
 * kubelet on either), objects read back through the API (not the stand-in's memory).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { KubeConfig, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { connectCluster } from '../../src/adapters/kubernetes/connectCluster.js';
import { driverPriorityClass } from '../../src/domain/render/capacityObjects.js';
import { KubernetesSettingsSchema } from '../../src/settings/settingsSchema.js';
import { startStandIn, type PodStatusPatch, type StandIn } from '../../dev/kube-standin/index.js';
import type { ClusterPort, StoredObject } from '../../src/usecases/clusterPort.js';
import { eventually } from './eventually.js';
import type { RealkubeInfo } from './realkubeSetup.js';

export type ServerName = 'stand-in' | 'realkube';

export interface ServerChoice {
  readonly name: ServerName;
}

/** The servers of this run: the stand-in, and the real one when the tier runs. */
export function contractServers(): ServerChoice[] {
  const real = inject('realkube');
  return 'absent' in real ? [{ name: 'stand-in' }] : [{ name: 'stand-in' }, { name: 'realkube' }];
}

/** The real server's connection, for the files that only run on it. */
export function realkubeInfo(): RealkubeInfo {
  const real = inject('realkube');
  if ('absent' in real) throw new Error(`the real-server tier is not running (${real.absent}): this file should not have been registered`);
  return real;
}

export interface RawAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface ContractServer {
  readonly name: ServerName;
  /** The dispatcher's port onto the server, as a cluster admin. */
  readonly cluster: ClusterPort;
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  /** A client-node client, as a cluster admin. */
  client<T extends ApiType>(api: ApiConstructor<T>): T;
  /**
   * A new namespace `<prefix>-<n>-<random>` with the driver's ServiceAccount, ready for pods (on a
   * real server that means the ServiceAccount controller has made `default` and the token secrets).
   */
  namespace(serviceAccounts?: readonly string[]): Promise<string>;
  /** One HTTP request with the admin token (or `token`); the JSON answer as it came. */
  raw(
    method: string,
    path: string,
    body?: unknown,
    options?: { contentType?: string; token?: string; accept?: string },
  ): Promise<RawAnswer>;
  /** Writes pod status through pods/status, as a kubelet would (there is none on either server). */
  setPodStatus(namespace: string, name: string, status: PodStatusPatch): Promise<void>;
  /** The objects of a namespace through the API. */
  objects(plural: 'pods' | 'configmaps' | 'services' | 'persistentvolumeclaims', namespace: string): Promise<StoredObject[]>;
  close(): Promise<void>;
}

/** The ServiceAccount every test namespace gets: the demo settings' driverServiceAccount. */
export const DRIVER_SERVICE_ACCOUNT = 'spark-driver';
export const DRIVER_PRIORITY_CLASS = 'spark-dispatch-driver';

/** Registers beforeAll/afterAll that connect the calling file to `choice`; namespaces are named after `prefix`. */
export function useContractServer(choice: ServerChoice, prefix: string): ContractServer {
  let current: ContractServer | undefined;
  beforeAll(async () => {
    current = choice.name === 'stand-in' ? await standInServer(prefix) : await realServer(prefix);
  });
  afterAll(async () => current?.close());
  const started = (): ContractServer => {
    if (!current) throw new Error('the server is connected in beforeAll: use it inside hooks and tests');
    return current;
  };
  return new Proxy({} as ContractServer, { get: (_target, key) => Reflect.get(started(), key) as unknown });
}

async function standInServer(prefix: string): Promise<ContractServer & { readonly standIn: StandIn }> {
  const standIn = await startStandIn();
  const kubeconfigYaml = standIn.kubeconfig();
  const server = await connected('stand-in', prefix, standIn.url, 'standin-token', kubeconfigYaml, () => standIn.close());
  return { ...server, standIn };
}

async function realServer(prefix: string): Promise<ContractServer> {
  const info = realkubeInfo();
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  return connected('realkube', prefix, info.server, info.token, kc.exportConfig(), async () => undefined);
}

async function connected(
  name: ServerName,
  prefix: string,
  url: string,
  token: string,
  kubeconfigYaml: string,
  close: () => Promise<void>,
): Promise<ContractServer> {
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), `sd-${name}-`)), 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml);
  const cluster = await connectCluster(KubernetesSettingsSchema.parse({ requestTimeoutMs: 10_000 }), { kubeconfigPath });
  const raw = (method: string, path: string, body?: unknown, options: { contentType?: string; token?: string; accept?: string } = {}) =>
    rawRequest(url, options.token ?? token, method, path, body, options.contentType, options.accept);
  // Cluster-scoped and shared by every file on the real server: created once, 409 afterwards.
  const pc = await raw('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', driverPriorityClass(DRIVER_PRIORITY_CLASS));
  if (pc.status !== 201 && pc.status !== 409) throw new Error(`PriorityClass: ${pc.status} ${JSON.stringify(pc.body)}`);
  let counter = 0;
  const server: ContractServer = {
    name,
    cluster,
    kubeconfigPath,
    kubeconfigYaml,
    client: (api) => {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml);
      return kc.makeApiClient(api);
    },
    raw,
    async namespace(serviceAccounts = [DRIVER_SERVICE_ACCOUNT]) {
      const ns = `${prefix}-${++counter}-${randomBytes(2).toString('hex')}`;
      await expectCreated(raw('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
      for (const sa of serviceAccounts)
        await expectCreated(
          raw('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } }),
        );
      // ServiceAccount admission mounts a token secret into pods: wait until the token controller made them.
      await eventually(
        async () => {
          for (const sa of ['default', ...serviceAccounts]) {
            const got = await raw('GET', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}`);
            if (got.status !== 200) throw new Error(`serviceaccount ${ns}/${sa}: ${got.status}`);
            if (name === 'realkube' && !Array.isArray(got.body.secrets)) throw new Error(`serviceaccount ${ns}/${sa} has no token yet`);
          }
        },
        30_000,
        50,
      );
      return ns;
    },
    async setPodStatus(namespace, podName, status) {
      const answer = await raw(
        'PATCH',
        `/api/v1/namespaces/${namespace}/pods/${podName}/status`,
        { status },
        { contentType: 'application/merge-patch+json' },
      );
      if (answer.status !== 200) throw new Error(`pods/status of ${namespace}/${podName}: ${answer.status} ${JSON.stringify(answer.body)}`);
    },
    async objects(plural, namespace) {
      const answer = await raw('GET', `/api/v1/namespaces/${namespace}/${plural}`);
      if (answer.status !== 200) throw new Error(`list ${plural} in ${namespace}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.items as StoredObject[];
    },
    async close() {
      await close();
      rmSync(dirname(kubeconfigPath), { recursive: true, force: true });
    },
  };
  return server;
}

async function expectCreated(answer: Promise<RawAnswer>): Promise<void> {
  const { status, body } = await answer;
  if (status !== 201) throw new Error(`expected 201 Created, got ${status}: ${JSON.stringify(body)}`);
}

/** A request with a bearer token; the real server's certificate is its own, self-signed (kubeconfig: insecure-skip-tls-verify). */
export function rawRequest(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  accept = 'application/json',
): Promise<RawAnswer> {
  const url = new URL(path, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${token}`,
          accept,
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown>;
          try {
            parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
