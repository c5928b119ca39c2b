/** Garbage collection, propagation policies and namespace deletion in the Kubernetes API stand-in, over HTTP. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import { startStandIn, type StandIn } from '../../dev/kube-standin/index.js';
import { eventually } from '../support/eventually.js';
import { clientFor as apiClientFor, useStandIn } from '../support/standInHarness.js';

const harness = useStandIn('gc');
const freshNamespace = (s?: StandIn): string => harness.freshNamespace(s);
const clientFor = (s: StandIn): CoreV1Api => apiClientFor(s, CoreV1Api);
let standIn: StandIn;
let core: CoreV1Api;

beforeAll(() => {
  standIn = harness.standIn;
  core = clientFor(standIn);
});

async function exists(read: Promise<unknown>): Promise<boolean> {
  try {
    await read;
    return true;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return false;
    throw error;
  }
}

const pod = (name: string, labels: Record<string, string> = {}, ownerReferences?: V1OwnerReference[]): V1Pod => ({
  metadata: { name, labels, ...(ownerReferences ? { ownerReferences } : {}) },
  spec: { containers: [{ name: 'main', image: 'spark:3.5.1' }] },
});

function ownerRef(owner: V1Pod): V1OwnerReference {
  return { apiVersion: 'v1', kind: 'Pod', name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true };
}

/** A driver pod with its ConfigMap (spark.properties naming the executor prefix), Service and executors. */
async function sparkJob(namespace: string, api: CoreV1Api = core, s: StandIn = standIn) {
  const driver = await api.createNamespacedPod({
    namespace,
    body: {
      metadata: {
        name: 'wordcount-1a2b-driver',
        labels: { 'spark-app-selector': 'spark-123', 'spark-role': 'driver', 'app.kubernetes.io/managed-by': 'spark-dispatch' },
      },
      spec: {
        containers: [
          { name: 'spark-kubernetes-driver', image: 'spark:3.5.1', volumeMounts: [{ name: 'conf', mountPath: '/opt/spark/conf' }] },
        ],
        volumes: [{ name: 'conf', configMap: { name: 'spark-drv-conf' } }],
      },
    },
  });
  const owner = [ownerRef(driver)];
  await api.createNamespacedConfigMap({
    namespace,
    body: {
      metadata: { name: 'spark-drv-conf', ownerReferences: owner },
      data: { 'spark.properties': 'spark.kubernetes.executor.podNamePrefix=wordcount-1a2b\nspark.kubernetes.executor.label.team=data\n' },
    },
  });
  await api.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'wordcount-1a2b-driver-svc', ownerReferences: owner },
      spec: { clusterIP: 'None', ports: [{ name: 'driver-rpc', port: 7078 }] },
    },
  });
  const executors = s.spawnExecutors(namespace, 'wordcount-1a2b-driver', 2);
  return { driver, executors };
}

describe('pod simulation', () => {
  it('spawns executors as a Spark driver does: named from the conf prefix, labelled, owned, running', async () => {
    const namespace = freshNamespace();
    const { driver, executors } = await sparkJob(namespace);
    expect(executors).toEqual(['wordcount-1a2b-exec-1', 'wordcount-1a2b-exec-2']);
    const exec = await core.readNamespacedPod({ namespace, name: 'wordcount-1a2b-exec-1' });
    expect(exec.metadata?.labels).toMatchObject({
      'spark-role': 'executor',
      'spark-app-selector': 'spark-123',
      'app.kubernetes.io/managed-by': 'spark-dispatch',
      team: 'data',
      'spark-exec-id': '1',
    });
    expect(exec.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: driver.metadata?.name, uid: driver.metadata?.uid, controller: true },
    ]);
    expect(exec.status?.phase).toBe('Running');
    expect(exec.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeTruthy();
    // numbering continues
    expect(standIn.spawnExecutors(namespace, 'wordcount-1a2b-driver', 1, 'Pending')).toEqual(['wordcount-1a2b-exec-3']);
    expect((await core.readNamespacedPod({ namespace, name: 'wordcount-1a2b-exec-3' })).status?.phase).toBe('Pending');
    expect(() => standIn.spawnExecutors(namespace, 'no-driver', 1)).toThrow(/not found/);
  });

  it('merges pod status: conditions by type, container statuses by name, and bumps the resourceVersion', async () => {
    const namespace = freshNamespace();
    const created = await core.createNamespacedPod({ namespace, body: pod('p') });
    standIn.setPodStatus(namespace, 'p', {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'main', state: { running: {} } }],
    });
    standIn.setPodStatus(namespace, 'p', {
      phase: 'Failed',
      reason: 'Error',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 1, reason: 'Error' } } }],
    });
    const read = await core.readNamespacedPod({ namespace, name: 'p' });
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    expect(read.status?.phase).toBe('Failed');
    expect(read.status?.reason).toBe('Error');
    expect(read.status?.startTime).toBeTruthy();
    expect(read.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=False']);
    expect(read.status?.containerStatuses).toHaveLength(1);
    expect(read.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(() => standIn.setPodStatus(namespace, 'nope', { phase: 'Running' })).toThrow(/not found/);
  });
});

describe('graceful pod deletion', () => {
  it('keeps a running pod terminating until the kubelet is done; gracePeriodSeconds=0 forces it out', async () => {
    const slow = await startStandIn({ gcDelayMs: 200 });
    try {
      const api = clientFor(slow);
      const namespace = freshNamespace(slow);
      await api.createNamespacedPod({ namespace, body: pod('driver') });
      slow.setPodStatus(namespace, 'driver', { phase: 'Running' });
      const response = await api.deleteNamespacedPod({ namespace, name: 'driver' });
      expect(response.metadata?.deletionGracePeriodSeconds).toBe(30);
      expect(response.metadata?.deletionTimestamp).toBeTruthy();
      // still there: a new pod of the same name is refused meanwhile
      expect(await exists(api.readNamespacedPod({ namespace, name: 'driver' }))).toBe(true);
      const clash = await api.createNamespacedPod({ namespace, body: pod('driver') }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(clash).toBeInstanceOf(ApiException);
      expect((clash as ApiException<string>).code).toBe(409);
      expect(JSON.parse((clash as ApiException<string>).body).message).toBe('object is being deleted: pods "driver" already exists');
      await eventually(async () => expect(await exists(api.readNamespacedPod({ namespace, name: 'driver' }))).toBe(false));
      await api.createNamespacedPod({ namespace, body: pod('driver') });

      slow.setPodStatus(namespace, 'driver', { phase: 'Running' });
      await api.deleteNamespacedPod({ namespace, name: 'driver', gracePeriodSeconds: 0 });
      expect(await exists(api.readNamespacedPod({ namespace, name: 'driver' }))).toBe(false);
      // a pod that never got a node goes at once
      await api.createNamespacedPod({ namespace, body: pod('pending') });
      await api.deleteNamespacedPod({ namespace, name: 'pending' });
      expect(await exists(api.readNamespacedPod({ namespace, name: 'pending' }))).toBe(false);
    } finally {
      await slow.close();
    }
  });
});

describe('garbage collection', () => {
  it('collects the ConfigMap, Service and executors (and their dependents) after the driver pod is deleted', async () => {
    const namespace = freshNamespace();
    const { executors } = await sparkJob(namespace);
    const exec1 = await core.readNamespacedPod({ namespace, name: executors[0] ?? '' });
    // second level: something owned by an executor goes too
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'exec-owned', ownerReferences: [ownerRef(exec1)] } } });
    await core.deleteNamespacedPod({ namespace, name: 'wordcount-1a2b-driver' });
    await eventually(async () => {
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'spark-drv-conf' }))).toBe(false);
      expect(await exists(core.readNamespacedService({ namespace, name: 'wordcount-1a2b-driver-svc' }))).toBe(false);
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'exec-owned' }))).toBe(false);
      expect((await core.listNamespacedPod({ namespace })).items).toEqual([]);
    });
  });

  it('runs asynchronously: dependents outlive the delete request by gcDelayMs', async () => {
    const slow = await startStandIn({ gcDelayMs: 300 });
    try {
      const api = clientFor(slow);
      const namespace = freshNamespace(slow);
      await sparkJob(namespace, api, slow);
      await api.deleteNamespacedPod({ namespace, name: 'wordcount-1a2b-driver' });
      expect(await exists(api.readNamespacedConfigMap({ namespace, name: 'spark-drv-conf' }))).toBe(true);
      expect(slow.objects('pods', namespace).map((p) => p.metadata.name)).toEqual(['wordcount-1a2b-exec-1', 'wordcount-1a2b-exec-2']);
      await eventually(() => expect(slow.objects('configmaps', namespace).map((c) => c.metadata.name)).toEqual(['kube-root-ca.crt']));
      await eventually(() => expect(slow.objects('pods', namespace)).toEqual([]));
    } finally {
      await slow.close();
    }
  });

  it('collects an object created with an owner that does not exist, and keeps one whose owner is alive', async () => {
    const namespace = freshNamespace();
    const alive = await core.createNamespacedPod({ namespace, body: pod('alive') });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'kept', ownerReferences: [ownerRef(alive)] } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dangling',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'never-was', uid: '00000000-0000-4000-8000-000000000000' }],
        },
      },
    });
    // same name as a live pod, wrong uid: still absent for the collector
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'wrong-uid', ownerReferences: [{ ...ownerRef(alive), uid: '00000000-0000-4000-8000-000000000001' }] } },
    });
    await eventually(async () => {
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'dangling' }))).toBe(false);
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'wrong-uid' }))).toBe(false);
    });
    expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'kept' }))).toBe(true);
  });

  it('follows owners that go after their dependents were checked: a namesake owner does not adopt them, a second live owner keeps them', async () => {
    const namespace = freshNamespace();
    const first = await core.createNamespacedPod({ namespace, body: pod('owner') });
    const other = await core.createNamespacedPod({ namespace, body: pod('other') });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'only-first', ownerReferences: [ownerRef(first)] } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'both', ownerReferences: [ownerRef(first), { ...ownerRef(other), controller: false }] } },
    });
    // the collector has looked at both and found their owners alive
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'only-first' }))).toBe(true);
    await core.deleteNamespacedPod({ namespace, name: 'owner', gracePeriodSeconds: 0 });
    const namesake = await core.createNamespacedPod({ namespace, body: pod('owner') });
    expect(namesake.metadata?.uid).not.toBe(first.metadata?.uid);
    await eventually(async () => {
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'only-first' }))).toBe(false);
      const both = await core.readNamespacedConfigMap({ namespace, name: 'both' });
      expect(both.metadata?.ownerReferences?.map((r) => r.uid)).toEqual([other.metadata?.uid]);
    });
  });

  it('orphans dependents with propagationPolicy=Orphan: they stay, without the owner reference', async () => {
    const namespace = freshNamespace();
    const owner = await core.createNamespacedPod({ namespace, body: pod('owner') });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'child', ownerReferences: [ownerRef(owner)] } } });
    const response = await core.deleteNamespacedPod({ namespace, name: 'owner', propagationPolicy: 'Orphan' });
    expect(response.metadata?.finalizers).toEqual(['orphan']);
    expect(response.metadata?.deletionTimestamp).toBeTruthy();
    await eventually(async () => expect(await exists(core.readNamespacedPod({ namespace, name: 'owner' }))).toBe(false));
    const child = await core.readNamespacedConfigMap({ namespace, name: 'child' });
    expect(child.metadata?.ownerReferences).toBeUndefined();
  });

  it('deletes dependents before the owner with propagationPolicy=Foreground', async () => {
    const namespace = freshNamespace();
    const owner = await core.createNamespacedPod({ namespace, body: pod('owner') });
    // the child holds a finalizer, so its deletion (and therefore the owner's) waits for it
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'child', finalizers: ['example.com/hold'], ownerReferences: [{ ...ownerRef(owner), blockOwnerDeletion: true }] },
      },
    });
    const response = await core.deleteNamespacedPod({ namespace, name: 'owner', propagationPolicy: 'Foreground' });
    expect(response.metadata?.finalizers).toEqual(['foregroundDeletion']);
    expect(response.metadata?.deletionTimestamp).toBeTruthy();
    await eventually(async () =>
      expect((await core.readNamespacedConfigMap({ namespace, name: 'child' })).metadata?.deletionTimestamp).toBeTruthy(),
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(await exists(core.readNamespacedPod({ namespace, name: 'owner' }))).toBe(true);
    const child = await core.readNamespacedConfigMap({ namespace, name: 'child' });
    await core.replaceNamespacedConfigMap({
      namespace,
      name: 'child',
      body: { ...child, metadata: { ...child.metadata, finalizers: [] } },
    });
    await eventually(async () => {
      expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'child' }))).toBe(false);
      expect(await exists(core.readNamespacedPod({ namespace, name: 'owner' }))).toBe(false);
    });
  });

  it('applies the propagation policy to finalizers for a graceful pod deletion too: Background drops orphan / foregroundDeletion', async () => {
    const namespace = freshNamespace();
    const held = (name: string, finalizers: string[]): V1Pod => ({ ...pod(name), metadata: { name, finalizers } });
    await core.createNamespacedPod({ namespace, body: held('bg', ['orphan', 'example.com/hold']) });
    await core.createNamespacedPod({ namespace, body: held('fg', ['orphan', 'example.com/hold']) });
    standIn.setPodStatus(namespace, 'bg', { phase: 'Running' });
    standIn.setPodStatus(namespace, 'fg', { phase: 'Running' });
    const background = await core.deleteNamespacedPod({ namespace, name: 'bg', propagationPolicy: 'Background' });
    expect(background.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(background.metadata?.finalizers).toEqual(['example.com/hold']);
    const foreground = await core.deleteNamespacedPod({ namespace, name: 'fg', propagationPolicy: 'Foreground' });
    expect(foreground.metadata?.finalizers).toEqual(['example.com/hold', 'foregroundDeletion']);
    for (const name of ['bg', 'fg']) {
      await eventually(async () =>
        expect((await core.readNamespacedPod({ namespace, name })).metadata?.deletionGracePeriodSeconds).toBe(0),
      );
      const current = await core.readNamespacedPod({ namespace, name });
      await core.replaceNamespacedPod({ namespace, name, body: { ...current, metadata: { ...current.metadata, finalizers: [] } } });
      await eventually(async () => expect(await exists(core.readNamespacedPod({ namespace, name }))).toBe(false));
    }
  });

  it('keeps the finalizers as they are when the policy asks for what the object already has', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'kept', finalizers: ['orphan', 'example.com/hold'] } } });
    const deleting = await raw(standIn, 'DELETE', `/api/v1/namespaces/${namespace}/configmaps/kept?propagationPolicy=Orphan`);
    expect((deleting.metadata as { finalizers?: string[] }).finalizers).toEqual(['orphan', 'example.com/hold']);
    await eventually(async () =>
      expect((await core.readNamespacedConfigMap({ namespace, name: 'kept' })).metadata?.finalizers).toEqual(['example.com/hold']),
    );
    const current = await core.readNamespacedConfigMap({ namespace, name: 'kept' });
    await core.replaceNamespacedConfigMap({
      namespace,
      name: 'kept',
      body: { ...current, metadata: { ...current.metadata, finalizers: [] } },
    });
    expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'kept' }))).toBe(false);
  });

  it('keeps an object with finalizers until they are removed', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    const deleting = await raw(standIn, 'DELETE', `/api/v1/namespaces/${namespace}/configmaps/held`);
    expect((deleting.metadata as { deletionTimestamp?: string }).deletionTimestamp).toBeTruthy();
    const current = await core.readNamespacedConfigMap({ namespace, name: 'held' });
    await core.replaceNamespacedConfigMap({
      namespace,
      name: 'held',
      body: { ...current, metadata: { ...current.metadata, finalizers: [] } },
    });
    expect(await exists(core.readNamespacedConfigMap({ namespace, name: 'held' }))).toBe(false);
  });
});

async function raw(s: StandIn, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('namespaces', () => {
  it('terminates a namespace: Terminating, no new content, then everything in it is gone', async () => {
    const namespace = freshNamespace();
    await sparkJob(namespace);
    const response = await core.deleteNamespace({ name: namespace });
    expect((response as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    // content may already be going; new content is refused while the namespace terminates (or is gone)
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'late' } } });
      throw new Error('create in a terminating namespace succeeded');
    } catch (error) {
      expect(error).toBeInstanceOf(ApiException);
      const e = error as ApiException<string>;
      expect([403, 404]).toContain(e.code);
      if (e.code === 403)
        expect(JSON.parse(e.body).message).toBe(
          `configmaps "late" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        );
    }
    await eventually(async () => expect(await exists(core.readNamespace({ name: namespace }))).toBe(false));
    expect(standIn.objects('pods', namespace)).toEqual([]);
    expect(standIn.objects('configmaps', namespace)).toEqual([]);
  });

  it('refuses to delete the default namespace and gives every namespace its labels and root CA ConfigMap', async () => {
    const status = await raw(standIn, 'DELETE', '/api/v1/namespaces/default');
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'namespaces "default" is forbidden: this namespace may not be deleted',
    });
    const namespace = freshNamespace();
    const ns = await core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': namespace });
    expect(ns.status?.phase).toBe('Active');
    expect(standIn.objects('configmaps', namespace).map((c) => c.metadata.name)).toEqual(['kube-root-ca.crt']);
  });
});
