/** ResourceQuota admission and the quota controller in the Kubernetes API stand-in, over HTTP. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, SchedulingV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StandIn } from '../../dev/kube-standin/index.js';
import { useStandIn } from '../support/standInHarness.js';

const harness = useStandIn('quota');
const freshNamespace = (): string => harness.freshNamespace();
let standIn: StandIn;
let core: CoreV1Api;
let scheduling: SchedulingV1Api;

beforeAll(async () => {
  standIn = harness.standIn;
  core = harness.client(CoreV1Api);
  scheduling = harness.client(SchedulingV1Api);
  await scheduling.createPriorityClass({ body: { metadata: { name: 'spark-driver' }, value: 1000 } });
  await scheduling.createPriorityClass({ body: { metadata: { name: 'spark-batch' }, value: 10 } });
});

const driver = (name: string, priorityClassName?: string): V1Pod => ({
  metadata: { name },
  spec: { ...(priorityClassName ? { priorityClassName } : {}), containers: [{ name: 'main', image: 'spark:3.5.1' }] },
});

async function driverQuota(namespace: string, resource: 'pods' | 'count/pods', cap: number, name = 'spark-drivers'): Promise<void> {
  await core.createNamespacedResourceQuota({
    namespace,
    body: {
      metadata: { name },
      spec: {
        hard: { [resource]: String(cap) },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['spark-driver'] }] },
      },
    },
  });
}

async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string; reason: string; details: unknown }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = JSON.parse(String(error.body)) as { message: string; reason: string; details: unknown };
    return { code: error.code, ...body };
  }
  throw new Error('expected the API to refuse');
}

describe('ResourceQuota', () => {
  it('caps matching pods with the exact 403 message, ignores other priority classes, and frees a slot when a pod succeeds', async () => {
    const namespace = freshNamespace();
    await driverQuota(namespace, 'pods', 3);
    for (const name of ['d1', 'd2', 'd3']) await core.createNamespacedPod({ namespace, body: driver(name, 'spark-driver') });
    const refused = await refusal(core.createNamespacedPod({ namespace, body: driver('d4', 'spark-driver') }));
    expect(refused).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 403,
      message: 'pods "d4" is forbidden: exceeded quota: spark-drivers, requested: pods=1, used: pods=3, limited: pods=3',
      reason: 'Forbidden',
      details: { name: 'd4', kind: 'pods' },
    });
    // not in the scope: another class, or none
    await core.createNamespacedPod({ namespace, body: driver('batch', 'spark-batch') });
    await core.createNamespacedPod({ namespace, body: driver('plain') });
    const quota = await core.readNamespacedResourceQuota({ namespace, name: 'spark-drivers' });
    expect(quota.status).toEqual({ hard: { pods: '3' }, used: { pods: '3' } });

    // `pods` counts pods that have not finished
    standIn.setPodStatus(namespace, 'd1', { phase: 'Succeeded' });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'spark-drivers' })).status?.used).toEqual({ pods: '2' });
    await core.createNamespacedPod({ namespace, body: driver('d4', 'spark-driver') });
    expect((await refusal(core.createNamespacedPod({ namespace, body: driver('d5', 'spark-driver') }))).code).toBe(403);
    expect(standIn.stats().maxConcurrentQuotaPods[namespace]).toBe(3);
  });

  it('counts every stored pod for count/pods, finished or not: only a deletion frees the slot', async () => {
    const namespace = freshNamespace();
    await driverQuota(namespace, 'count/pods', 1);
    await core.createNamespacedPod({ namespace, body: driver('d1', 'spark-driver') });
    standIn.setPodStatus(namespace, 'd1', { phase: 'Failed' });
    const refused = await refusal(core.createNamespacedPod({ namespace, body: driver('d2', 'spark-driver') }));
    expect(refused.message).toBe(
      'pods "d2" is forbidden: exceeded quota: spark-drivers, requested: count/pods=1, used: count/pods=1, limited: count/pods=1',
    );
    await core.deleteNamespacedPod({ namespace, name: 'd1' });
    await core.createNamespacedPod({ namespace, body: driver('d2', 'spark-driver') });
  });

  it('checks quota in dry runs, before AlreadyExists, and refuses an unknown PriorityClass', async () => {
    const namespace = freshNamespace();
    await driverQuota(namespace, 'pods', 1);
    await core.createNamespacedPod({ namespace, body: driver('d1', 'spark-driver') });
    expect((await refusal(core.createNamespacedPod({ namespace, body: driver('d2', 'spark-driver'), dryRun: 'All' }))).code).toBe(403);
    // the quota plugin runs before storage: a taken name over quota is a 403, not a 409
    expect((await refusal(core.createNamespacedPod({ namespace, body: driver('d1', 'spark-driver') }))).code).toBe(403);
    const unknown = await refusal(core.createNamespacedPod({ namespace, body: driver('x', 'no-such-class') }));
    expect(unknown).toMatchObject({ code: 403, message: 'pods "x" is forbidden: no PriorityClass with name no-such-class was found' });
    // the class resolves to spec.priority
    const created = await core.createNamespacedPod({ namespace, body: driver('b', 'spark-batch') });
    expect(created.spec?.priority).toBe(10);
  });

  it('admits exactly the cap out of 20 concurrent creates', async () => {
    const namespace = freshNamespace();
    await driverQuota(namespace, 'count/pods', 5);
    standIn.resetStats();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => core.createNamespacedPod({ namespace, body: driver(`c${i}`, 'spark-driver') })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(5);
    expect(refused.every((r) => r.reason instanceof ApiException && r.reason.code === 403)).toBe(true);
    expect(standIn.objects('pods', namespace)).toHaveLength(5);
    expect(standIn.stats().maxConcurrentQuotaPods[namespace]).toBe(5);
    expect(standIn.stats().requests['create pods']).toBe(20);
  });

  it('scopes: Terminating / NotTerminating and BestEffort / NotBestEffort select pods', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'terminating' }, spec: { hard: { pods: '1' }, scopes: ['Terminating'] } },
    });
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'not-best-effort' }, spec: { hard: { pods: '1' }, scopes: ['NotBestEffort'] } },
    });
    const withDeadline = (name: string): V1Pod => ({
      metadata: { name },
      spec: { activeDeadlineSeconds: 600, containers: [{ name: 'c', image: 'x:1' }] },
    });
    const withRequests = (name: string): V1Pod => ({
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '1' } } }] },
    });
    await core.createNamespacedPod({ namespace, body: withDeadline('t1') });
    expect((await refusal(core.createNamespacedPod({ namespace, body: withDeadline('t2') }))).message).toContain(
      'exceeded quota: terminating',
    );
    await core.createNamespacedPod({ namespace, body: withRequests('r1') });
    expect((await refusal(core.createNamespacedPod({ namespace, body: withRequests('r2') }))).message).toContain(
      'exceeded quota: not-best-effort',
    );
    // neither terminating nor burstable: not counted
    await core.createNamespacedPod({ namespace, body: driver('free1') });
    await core.createNamespacedPod({ namespace, body: driver('free2') });
  });
  it('an update of spec.hard is one write, with string quantities in status.hard', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'q' }, spec: { hard: { pods: '2' } } } });
    const res = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/resourcequotas/q`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { hard: { pods: 5, 'count/configmaps': 3 } } }),
    });
    expect(res.status).toBe(200);
    const patched = (await res.json()) as { metadata: { resourceVersion: string }; status: unknown };
    // kube-root-ca.crt is a ConfigMap of every namespace
    expect(patched.status).toEqual({ hard: { pods: '5', 'count/configmaps': '3' }, used: { pods: '0', 'count/configmaps': '1' } });
    // the quota controller found nothing left to write: no second revision
    const read = await core.readNamespacedResourceQuota({ namespace, name: 'q' });
    expect(read.metadata?.resourceVersion).toBe(patched.metadata.resourceVersion);
    expect(read.status).toEqual(patched.status);
  });

  it('recounts a quota when what it counts changes, and leaves it alone otherwise', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'pods' }, spec: { hard: { pods: '5', 'count/pods': '5' } } },
    });
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'configmaps' }, spec: { hard: { 'count/configmaps': '5', configmaps: '5' } } },
    });
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'best-effort' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } },
    });
    const podsQuota = await core.readNamespacedResourceQuota({ namespace, name: 'pods' });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'c1' } } });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'pods' })).metadata?.resourceVersion).toBe(
      podsQuota.metadata?.resourceVersion,
    );
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'configmaps' })).status?.used).toEqual({
      'count/configmaps': '2',
      configmaps: '2',
    });
    await core.deleteNamespacedConfigMap({ namespace, name: 'c1' });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'configmaps' })).status?.used).toEqual({
      'count/configmaps': '1',
      configmaps: '1',
    });

    // one pod list counts both pods (not finished) and count/pods (stored); BestEffort needs the QoS class
    await core.createNamespacedPod({ namespace, body: driver('p1') });
    expect((await refusal(core.createNamespacedPod({ namespace, body: driver('p2') }))).message).toContain('exceeded quota: best-effort');
    const burstable: V1Pod = {
      metadata: { name: 'p2' },
      spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '1' } } }] },
    };
    await core.createNamespacedPod({ namespace, body: burstable });
    standIn.setPodStatus(namespace, 'p1', { phase: 'Succeeded' });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'pods' })).status?.used).toEqual({ pods: '1', 'count/pods': '2' });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'best-effort' })).status?.used).toEqual({ pods: '0' });
  });
});

describe('ResourceQuota on compute resources', () => {
  const sized = (name: string, cpu: string, memory: string, extra: { limitCpu?: string } = {}): V1Pod => ({
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'x:1',
          resources: { requests: { cpu, memory }, limits: { memory, ...(extra.limitCpu ? { cpu: extra.limitCpu } : {}) } },
        },
      ],
    },
  });

  it('sums the requests of unfinished pods, refuses what does not fit with the real message, and frees them when a pod ends', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '4', 'requests.memory': '8Gi' } } },
    });
    await core.createNamespacedPod({ namespace, body: sized('a', '2', '2867Mi') });
    await core.createNamespacedPod({ namespace, body: sized('b', '1500m', '2867Mi') });
    expect((await core.readNamespacedResourceQuota({ namespace, name: 'compute' })).status?.used).toEqual({
      'requests.cpu': '3500m',
      'requests.memory': '5734Mi',
    });
    const refused = await refusal(core.createNamespacedPod({ namespace, body: sized('c', '1', '2867Mi') }));
    expect(refused).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods "c" is forbidden: exceeded quota: compute, requested: requests.cpu=1,requests.memory=2867Mi, used: requests.cpu=3500m,requests.memory=5734Mi, limited: requests.cpu=4,requests.memory=8Gi',
    });
    standIn.setPodStatus(namespace, 'a', { phase: 'Succeeded' });
    await core.createNamespacedPod({ namespace, body: sized('c', '1', '2867Mi') });
  });

  it('refuses a pod that does not state what the quota constrains', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'compute' }, spec: { hard: { 'limits.cpu': '8', 'requests.memory': '8Gi' } } },
    });
    const refused = await refusal(core.createNamespacedPod({ namespace, body: sized('a', '1', '1Gi') }));
    expect(refused.message).toBe('pods "a" is forbidden: failed quota: compute: must specify limits.cpu for: main');
    await core.createNamespacedPod({ namespace, body: sized('b', '1', '1Gi', { limitCpu: '2' }) });
  });

  it("refuses a driver's executors as it refuses Spark's own creates: they are sized from the driver's conf", async () => {
    const namespace = freshNamespace();
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'conf' },
        data: {
          'spark.properties':
            'spark.executor.memory=2g\nspark.executor.cores=2\nspark.kubernetes.memoryOverheadFactor=0.4\nspark.kubernetes.executor.podNamePrefix=job-1\n',
        },
      },
    });
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'job-1-driver' },
        spec: { containers: [{ name: 'spark-kubernetes-driver', image: 'x:1' }], volumes: [{ name: 'conf', configMap: { name: 'conf' } }] },
      },
    });
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '3' } } },
    });
    expect(standIn.spawnExecutors(namespace, 'job-1-driver', 1, 'Pending')).toEqual(['job-1-exec-1']);
    const executor = standIn.objects('pods', namespace).find((p) => p.metadata.name === 'job-1-exec-1');
    expect((executor?.spec as { containers: { resources: unknown }[] }).containers[0]?.resources).toEqual({
      requests: { cpu: '2', memory: '2867Mi' },
      limits: { memory: '2867Mi' },
    });
    expect(() => standIn.spawnExecutors(namespace, 'job-1-driver', 1, 'Pending')).toThrow(
      'executor job-1-exec-2: pods "job-1-exec-2" is forbidden: exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=2, limited: requests.cpu=3',
    );
  });
});
