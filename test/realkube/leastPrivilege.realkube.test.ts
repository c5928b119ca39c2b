/**
 * Least privilege, proven on a real API server (RBAC is real there; the stand-in has none): the team
 * bundle of `spark-dispatch manifests`, applied as a user would (server-side apply through
 * client-node); then the dispatcher's launches and sweeps with the token of a ServiceAccount bound
 * only to the generated dispatcher Role, and the driver's executor objects (as Spark creates them)
 * with the token of the driver's ServiceAccount bound only to the generated driver Role. Every verb
 * the code uses is allowed; what it must not do is refused with 403.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { connectCluster } from '../../src/adapters/kubernetes/connectCluster.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { KubernetesSettingsSchema, type Settings } from '../../src/settings/settingsSchema.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { SILENT } from '../../src/shared/logger.js';
import { sweep } from '../../src/usecases/sweep.js';
import type { ClusterPort } from '../../src/usecases/clusterPort.js';
import { eventually } from '../support/eventually.js';
import { resolved, settingsWith } from '../support/fixtures.js';
import { memoryLedger } from '../support/memoryPorts.js';
import { runCli } from '../support/runCli.js';
import { createdDriver, EXECUTOR_CONFIGMAP, sparkExecutorConfigMap, sparkExecutorPod, sparkOnDemandPvc } from '../support/sparkExecutor.js';
import { useContractServer, type RawAnswer } from '../support/contractServers.js';

const admin = useContractServer({ name: 'realkube' }, 'rbac');
const suffix = Math.random().toString(16).slice(2, 6);
const TEAM = `team-rbac-${suffix}`;
const SYSTEM = `dispatch-system-${suffix}`;
const OTHER = `other-team-${suffix}`;
const DISPATCHER = `system:serviceaccount:${SYSTEM}:spark-dispatch`;
const DRIVER = `system:serviceaccount:${TEAM}:spark-driver`;

let applied: { kind: string; name: string; outcome: string }[] = [];
let dispatcherToken = '';
let driverToken = '';
let dispatcher: ClusterPort;
let dispatcherKubeconfig = '';
/** Settings whose only namespace is the team's: the dispatcher sweeps nothing it has no Role in. */
function teamOnlySettings(): Settings {
  const merged = settingsWith({ defaultNamespace: TEAM, namespaces: { [TEAM]: {} } });
  const tenants = Object.fromEntries(
    Object.entries(merged.tenants).map(([name, tenant]) => [name, { ...tenant, namespaces: { [TEAM]: tenant.namespaces[TEAM]! } }]),
  );
  return { ...merged, tenants } as Settings;
}
const settings = teamOnlySettings();
const jobOf = (jobKey: string) => resolved({ namespace: TEAM, name: jobKey, jobKey }, { namespaces: { [TEAM]: {} } });

/** A token of the ServiceAccount through the TokenRequest API (1.20 has it; no Secret to read). */
async function tokenOf(namespace: string, account: string): Promise<string> {
  const answer = await admin.raw('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  expect(answer.status).toBe(201);
  return (answer.body.status as { token: string }).token;
}

const as =
  (token: string) =>
  (method: string, path: string, body?: unknown, contentType?: string): Promise<RawAnswer> =>
    admin.raw(method, path, body, { token, ...(contentType ? { contentType } : {}) });

beforeAll(async () => {
  for (const ns of [SYSTEM, OTHER])
    expect((await admin.raw('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(
      201,
    );
  expect(
    (
      await admin.raw('POST', `/api/v1/namespaces/${SYSTEM}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'spark-dispatch' },
      })
    ).status,
  ).toBe(201);

  // What an operator runs: spark-dispatch manifests … | kubectl apply --server-side -f -
  const printed = await runCli([
    'manifests',
    '--namespace',
    TEAM,
    '--profile',
    'aks',
    '--cap',
    '1',
    '--dispatcher-principal',
    `ServiceAccount:spark-dispatch:${SYSTEM}`,
  ]);
  expect(printed.code).toBe(0);
  const kc = new KubeConfig();
  kc.loadFromString(admin.kubeconfigYaml);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  applied = [];
  for (const doc of parseAllDocuments(printed.stdout)) {
    const object = doc.toJS() as KubernetesObject & { kind: string; metadata: { name: string } };
    const outcome = await objects.patch(object, undefined, undefined, 'spark-dispatch-manifests', true, PatchStrategy.ServerSideApply).then(
      () => 'applied',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    applied.push({ kind: object.kind, name: object.metadata.name, outcome });
  }

  // The quota admits nothing in its scope until the quota controller has counted.
  await eventually(
    async () =>
      expect((await admin.raw('GET', `/api/v1/namespaces/${TEAM}/resourcequotas/spark-dispatch-drivers`)).body.status).toMatchObject({
        used: { pods: '0' },
      }),
    30_000,
    100,
  );
  dispatcherToken = await tokenOf(SYSTEM, 'spark-dispatch');
  driverToken = await tokenOf(TEAM, 'spark-driver');
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'sd-rbac-')), 'kubeconfig');
  dispatcherKubeconfig = kubeconfigPath;
  const server = kc.getCurrentCluster()?.server ?? '';
  writeFileSync(
    kubeconfigPath,
    `apiVersion: v1
kind: Config
clusters: [{name: realkube, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: dispatcher, user: {token: ${dispatcherToken}}}]
contexts: [{name: dispatcher, context: {cluster: realkube, user: dispatcher}}]
current-context: dispatcher
`,
  );
  dispatcher = await connectCluster(KubernetesSettingsSchema.parse({ requestTimeoutMs: 10_000 }), { kubeconfigPath });
}, 120_000);
afterAll(() => {
  if (dispatcherKubeconfig) rmSync(dirname(dispatcherKubeconfig), { recursive: true, force: true });
});

describe('the team bundle, applied with server-side apply', () => {
  it('every object applies, except the ValidatingAdmissionPolicyBinding that a 1.20 server does not serve (1.30+)', () => {
    expect(applied.filter((a) => a.outcome !== 'applied')).toEqual([
      {
        kind: 'ValidatingAdmissionPolicyBinding',
        name: `spark-dispatch-driver.${TEAM}`,
        outcome: expect.stringMatching(/ValidatingAdmissionPolicyBinding|admissionregistration/) as unknown as string,
      },
    ]);
    expect(applied.map((a) => a.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicyBinding',
      'Role',
      'RoleBinding',
      'ResourceQuota',
      'LimitRange',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
    ]);
  });

  it('applying it again changes nothing (the same field manager owns every field)', async () => {
    const before = await admin.raw('GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${TEAM}/roles/spark-dispatch`);
    const printed = await runCli([
      'manifests',
      '--namespace',
      TEAM,
      '--profile',
      'aks',
      '--cap',
      '1',
      '--dispatcher-principal',
      `ServiceAccount:spark-dispatch:${SYSTEM}`,
    ]);
    const role = parseAllDocuments(printed.stdout)
      .map((d) => d.toJS() as KubernetesObject)
      .find((o) => o.kind === 'Role' && o.metadata?.name === 'spark-dispatch');
    const answer = await admin.raw(
      'PATCH',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${TEAM}/roles/spark-dispatch?fieldManager=spark-dispatch-manifests`,
      role,
      { contentType: 'application/apply-patch+yaml' },
    );
    expect(answer.status).toBe(200);
    expect((answer.body.metadata as { resourceVersion: string }).resourceVersion).toBe(
      (before.body.metadata as { resourceVersion: string }).resourceVersion,
    );
  });
});

describe('the dispatcher, with only the generated dispatcher Role', () => {
  it('launches, finds its launch again, completes a half-launch, defers on the quota, dry-runs', async () => {
    const first = jobOf('rbac-first');
    // A dry run goes through quota admission too: before the one slot is taken, it passes.
    expect((await launchJob(jobOf('rbac-dry'), dispatcher, { dryRun: true })).kind).toBe('launched');
    expect((await launchJob(first, dispatcher)).kind).toBe('launched');
    expect((await launchJob(first, dispatcher)).kind).toBe('already-launched');
    expect((await launchJob(jobOf('rbac-dry'), dispatcher, { dryRun: true })).kind).toBe('deferred');
    // --cap 1: the second driver waits; its reason is the server's.
    const second = jobOf('rbac-second');
    expect(await launchJob(second, dispatcher)).toMatchObject({
      kind: 'deferred',
      reason: expect.stringContaining('exceeded quota: spark-dispatch-drivers') as unknown,
    });
    // A half-launch (the pod without companions) is completed: get, then create.
    await admin.raw('DELETE', `/api/v1/namespaces/${TEAM}/configmaps/${first.names.configMap}`);
    expect(await launchJob(first, dispatcher)).toMatchObject({ kind: 'already-launched', created: [{ kind: 'ConfigMap' }] });
  });

  it('reads a log (pods/log), the events of a pod, lists and deletes: a sweep clears a finished driver', async () => {
    const job = jobOf('rbac-first');
    const log = await dispatcher
      .readLog({ apiVersion: 'v1', kind: 'Pod', namespace: TEAM, name: job.names.driverPod }, { tailLines: 10, limitBytes: 1024 })
      .catch((e: unknown) => e);
    // No kubelet: the server cannot fetch a log, but it let the dispatcher ask (not 403).
    expect(log).not.toMatchObject({ kind: 'forbidden' });
    expect(
      (await as(dispatcherToken)('GET', `/api/v1/namespaces/${TEAM}/events?fieldSelector=involvedObject.name%3D${job.names.driverPod}`))
        .status,
    ).toBe(200);
    const now = new Date(Date.now() + 3 * 24 * 3600_000);
    await admin.setPodStatus(TEAM, job.names.driverPod, {
      phase: 'Failed',
      startTime: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      containerStatuses: [
        {
          name: 'spark-kubernetes-driver',
          state: {
            terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
          },
        },
      ],
    });
    const report = await sweep({
      settings,
      cluster: dispatcher,
      ledger: memoryLedger(),
      events: { publish: async () => undefined },
      now: () => now,
      log: SILENT,
    });
    expect(report.errors).toEqual([]);
    expect(report.cleared['finished-retention']).toBe(1);
    await eventually(
      async () => expect((await admin.objects('pods', TEAM)).map((p) => p.metadata.name)).not.toContain(job.names.driverPod),
      30_000,
      100,
    );
  });

  it.each([
    [
      'GET',
      () => `/api/v1/namespaces/${TEAM}/secrets`,
      () => `secrets is forbidden: User "${DISPATCHER}" cannot list resource "secrets" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'GET',
      () => `/api/v1/namespaces/${TEAM}/secrets/anything`,
      () =>
        `secrets "anything" is forbidden: User "${DISPATCHER}" cannot get resource "secrets" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'GET',
      () => `/api/v1/namespaces/${OTHER}/pods`,
      () => `pods is forbidden: User "${DISPATCHER}" cannot list resource "pods" in API group "" in the namespace "${OTHER}"`,
    ],
    [
      'GET',
      () => '/api/v1/namespaces',
      () => `namespaces is forbidden: User "${DISPATCHER}" cannot list resource "namespaces" in API group "" at the cluster scope`,
    ],
    [
      'GET',
      () => '/api/v1/nodes',
      () => `nodes is forbidden: User "${DISPATCHER}" cannot list resource "nodes" in API group "" at the cluster scope`,
    ],
    [
      'GET',
      () => `/api/v1/namespaces/${TEAM}/pods?watch=true`,
      () => `pods is forbidden: User "${DISPATCHER}" cannot watch resource "pods" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'PATCH',
      () => `/api/v1/namespaces/${TEAM}/pods/any`,
      () => `pods "any" is forbidden: User "${DISPATCHER}" cannot patch resource "pods" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'DELETE',
      () => `/apis/rbac.authorization.k8s.io/v1/namespaces/${TEAM}/roles/spark-dispatch`,
      () =>
        `roles.rbac.authorization.k8s.io "spark-dispatch" is forbidden: User "${DISPATCHER}" cannot delete resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "${TEAM}"`,
    ],
    [
      'POST',
      () => '/apis/scheduling.k8s.io/v1/priorityclasses',
      () =>
        `priorityclasses.scheduling.k8s.io is forbidden: User "${DISPATCHER}" cannot create resource "priorityclasses" in API group "scheduling.k8s.io" at the cluster scope`,
    ],
  ])('is refused (403): %s %s', async (method, path, message) => {
    const body =
      method === 'PATCH'
        ? {}
        : method === 'POST'
          ? { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'x' }, value: 1 }
          : undefined;
    const answer = await as(dispatcherToken)(method, path(), body, method === 'PATCH' ? 'application/merge-patch+json' : undefined);
    expect(answer).toMatchObject({ status: 403, body: { reason: 'Forbidden', message: message() } });
  });

  it("through the dispatcher's own port too: a launch into another team's namespace is rejected with the 403", async () => {
    const job = resolved({ namespace: OTHER, jobKey: 'elsewhere' }, { namespaces: { [OTHER]: {} } });
    expect(await launchJob(job, dispatcher)).toMatchObject({
      kind: 'rejected',
      reasons: [`pods is forbidden: User "${DISPATCHER}" cannot create resource "pods" in API group "" in the namespace "${OTHER}"`],
    });
  });
});

describe('the driver, with only the generated driver Role', () => {
  it('creates, watches, labels and deletes its executors, their ConfigMap and on-demand claims, as Spark does', async () => {
    const job = jobOf('rbac-driver');
    await eventually(async () => expect((await launchJob(job, dispatcher)).kind).toMatch(/launched/), 30_000, 200);
    const stored = await admin.cluster.read({ apiVersion: 'v1', kind: 'Pod', namespace: TEAM, name: job.names.driverPod });
    const driverPod = createdDriver(job, stored?.metadata.uid);
    const driver = as(driverToken);
    const selector = new URLSearchParams({
      labelSelector: `spark-app-selector=${driverPod.metadata.labels?.['spark-app-selector']},spark-role=executor`,
    });
    // ExecutorPodsAllocator: its own pod, then the executors' ConfigMap and pods; claims listed for reuse, created on demand.
    expect((await driver('GET', `/api/v1/namespaces/${TEAM}/pods/${job.names.driverPod}`)).status).toBe(200);
    expect((await driver('POST', `/api/v1/namespaces/${TEAM}/configmaps`, sparkExecutorConfigMap(job, driverPod))).status).toBe(201);
    expect((await driver('GET', `/api/v1/namespaces/${TEAM}/persistentvolumeclaims?${selector}`)).status).toBe(200);
    // ReadWriteOncePod is 1.22+: a 1.20 server refuses it, so the claim asks for ReadWriteOnce here.
    const claim = sparkOnDemandPvc(job, driverPod);
    expect(
      (
        await driver('POST', `/api/v1/namespaces/${TEAM}/persistentvolumeclaims`, {
          ...claim,
          spec: { ...claim.spec, accessModes: ['ReadWriteOnce'] },
        })
      ).status,
    ).toBe(201);
    for (const execId of [1, 2]) {
      const answer = await driver('POST', `/api/v1/namespaces/${TEAM}/pods`, sparkExecutorPod(job, driverPod, { execId, asSent: true }));
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    expect((await driver('GET', `/api/v1/namespaces/${TEAM}/pods?${selector}`)).body.items).toHaveLength(2);
    expect((await driver('GET', `/api/v1/namespaces/${TEAM}/pods?watch=true&timeoutSeconds=1&${selector}`)).status).toBe(200);
    const first = sparkExecutorPod(job, driverPod, { execId: 1, asSent: true }).metadata.name;
    expect(
      (
        await driver(
          'PATCH',
          `/api/v1/namespaces/${TEAM}/pods/${first}`,
          { metadata: { labels: { 'spark-exec-inactive': 'true' } } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    expect((await driver('DELETE', `/api/v1/namespaces/${TEAM}/pods/${first}`)).status).toBe(200);
    // stop(): everything of the application by its labels, one deletecollection per kind.
    for (const plural of ['pods', 'configmaps', 'persistentvolumeclaims']) {
      const answer = await driver('DELETE', `/api/v1/namespaces/${TEAM}/${plural}?${selector}`);
      expect(answer.status, `${plural}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
    // Services have no deletecollection before 1.23 (405), but authorization comes first: allowed, not 403.
    expect((await driver('DELETE', `/api/v1/namespaces/${TEAM}/services?${selector}`)).body).toMatchObject({
      code: 405,
      reason: 'MethodNotAllowed',
    });
    expect((await admin.objects('configmaps', TEAM)).map((c) => c.metadata.name)).not.toContain(EXECUTOR_CONFIGMAP);
  });

  it.each([
    [
      'GET',
      () => `/api/v1/namespaces/${TEAM}/secrets`,
      () => `secrets is forbidden: User "${DRIVER}" cannot list resource "secrets" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'GET',
      () => `/api/v1/namespaces/${TEAM}/configmaps/kube-root-ca.crt`,
      () =>
        `configmaps "kube-root-ca.crt" is forbidden: User "${DRIVER}" cannot get resource "configmaps" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'POST',
      () => `/api/v1/namespaces/${TEAM}/services`,
      () => `services is forbidden: User "${DRIVER}" cannot create resource "services" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'GET',
      () => `/api/v1/namespaces/${OTHER}/pods`,
      () => `pods is forbidden: User "${DRIVER}" cannot list resource "pods" in API group "" in the namespace "${OTHER}"`,
    ],
    [
      'GET',
      () => '/api/v1/nodes',
      () => `nodes is forbidden: User "${DRIVER}" cannot list resource "nodes" in API group "" at the cluster scope`,
    ],
    [
      'PUT',
      () => `/api/v1/namespaces/${TEAM}/pods/any`,
      () => `pods "any" is forbidden: User "${DRIVER}" cannot update resource "pods" in API group "" in the namespace "${TEAM}"`,
    ],
    [
      'POST',
      () => `/apis/rbac.authorization.k8s.io/v1/namespaces/${TEAM}/rolebindings`,
      () =>
        `rolebindings.rbac.authorization.k8s.io is forbidden: User "${DRIVER}" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "${TEAM}"`,
    ],
  ])('is refused (403): %s %s', async (method, path, message) => {
    const body = method === 'GET' ? undefined : { apiVersion: 'v1', kind: 'Service', metadata: { name: 'any' } };
    const answer = await as(driverToken)(method, path(), body);
    expect(answer).toMatchObject({ status: 403, body: { reason: 'Forbidden', message: message() } });
  });
});

// The driver pod the dispatcher renders runs as the ServiceAccount the bundle creates.
it("the rendered driver runs as the bundle's ServiceAccount", () => {
  expect(renderNative(jobOf('sa')).pod.spec.serviceAccountName).toBe('spark-driver');
});
