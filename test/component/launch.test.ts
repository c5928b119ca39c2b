/**
 * The launch use case through the real @kubernetes/client-node, over HTTP, against the stand-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { renderOperator } from '../../src/domain/render/renderOperator.js';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import type { StoredObject } from '../../src/usecases/clusterPort.js';
import { resolved } from '../support/fixtures.js';
import { eventually, FAST_RETRY, standInCluster, type StandInCluster } from '../support/standInCluster.js';

let env: StandInCluster;
let counter = 0;
/** A fresh job key per test, so tests never see each other's drivers. */
const freshJob = (spec: Record<string, unknown> = {}): ResolvedJob => resolved({ jobKey: `launch-test-${++counter}`, ...spec });
const pods = () => env.standIn.objects('pods', 'spark-jobs');
const byName = (resource: string, name: string) => env.standIn.objects(resource, 'spark-jobs').find((o) => o.metadata.name === name);

beforeAll(async () => {
  env = await standInCluster();
});
afterAll(async () => env?.close());
beforeEach(() => env.standIn.setFaults([]));

describe('launch: native backend', () => {
  it('creates the driver pod, then ConfigMap and Service owned by it, exactly as rendered', async () => {
    const job = freshJob();
    const outcome = await launchJob(job, env.cluster, { retry: FAST_RETRY });
    const expected = renderNative(job);
    expect(outcome).toEqual({
      kind: 'launched',
      jobKey: job.jobKey,
      namespace: 'spark-jobs',
      driverPod: job.names.driverPod,
      backend: 'native',
      dryRun: false,
      // The driver's uid: what the ledger keeps so that the sweeper can tell this pod from a forgery.
      driverUid: byName('pods', job.names.driverPod)!.metadata.uid,
      // What a copy that made a second driver removes (intake's DriverTaken).
      driver: { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: job.names.driverPod },
      created: [
        { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: job.names.driverPod },
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'spark-jobs', name: job.names.configMap },
        { apiVersion: 'v1', kind: 'Service', namespace: 'spark-jobs', name: job.names.service },
      ],
    });
    const pod = byName('pods', job.names.driverPod)!;
    const configMap = byName('configmaps', job.names.configMap)!;
    const service = byName('services', job.names.service)!;
    // The API server adds its defaults (dnsPolicy, schedulerName, …) and ServiceAccount admission the
    // API credentials (a volume, mounted last): what we rendered must all be there.
    const spec = pod.spec as { volumes: { name: string }[]; containers: { volumeMounts: { name: string }[] }[] };
    const credentials = spec.volumes.at(-1)?.name ?? '';
    expect(credentials).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    const withoutCredentials = {
      ...spec,
      volumes: spec.volumes.filter((v) => v.name !== credentials),
      containers: spec.containers.map((c) => ({ ...c, volumeMounts: c.volumeMounts.filter((m) => m.name !== credentials) })),
    };
    expect(withoutCredentials).toMatchObject(JSON.parse(JSON.stringify(expected.pod.spec)) as object);
    expect(pod.metadata).toMatchObject({ labels: expected.pod.metadata.labels, annotations: expected.pod.metadata.annotations });
    expect(configMap.data).toEqual(expected.configMap.data);
    expect(configMap.immutable).toBe(true);
    expect(service.spec).toMatchObject(expected.service.spec);
    const owner = [{ apiVersion: 'v1', kind: 'Pod', name: job.names.driverPod, uid: pod.metadata.uid, controller: true }];
    expect(configMap.metadata.ownerReferences).toEqual(owner);
    expect(service.metadata.ownerReferences).toEqual(owner);
  });

  it('a second launch of the same key is already-launched, and there is still one driver', async () => {
    const job = freshJob();
    expect((await launchJob(job, env.cluster)).kind).toBe('launched');
    const again = await launchJob(job, env.cluster);
    expect(again).toMatchObject({ kind: 'already-launched', driverPod: job.names.driverPod, created: [] });
    expect(pods().filter((p) => p.metadata.name === job.names.driverPod)).toHaveLength(1);
  });

  it('concurrent launches of one key create one driver: one launched, the rest already-launched', async () => {
    const job = freshJob();
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => launchJob(job, env.cluster, { retry: FAST_RETRY })));
    expect(outcomes.filter((o) => o.kind === 'launched')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'already-launched')).toHaveLength(11);
    const key = job.names.keyHash;
    expect(pods().filter((p) => (p.metadata.labels as Record<string, string>)['spark-dispatch.io/job-key-hash'] === key)).toHaveLength(1);
    expect(env.standIn.objects('configmaps', 'spark-jobs').filter((c) => c.metadata.name === job.names.configMap)).toHaveLength(1);
  });

  it('completes a launch that died after the pod: ConfigMap and Service are created by the next attempt', async () => {
    const job = freshJob();
    const pod = await env.cluster.create(renderNative(job).pod);
    const outcome = await launchJob(job, env.cluster);
    expect(outcome).toMatchObject({
      kind: 'already-launched',
      created: [
        { kind: 'ConfigMap', name: job.names.configMap },
        { kind: 'Service', name: job.names.service },
      ],
    });
    expect(byName('configmaps', job.names.configMap)?.metadata.ownerReferences?.[0]?.uid).toBe(pod.metadata.uid);
  });

  it('replaces a companion left over from an earlier driver pod of the same job (stale owner uid)', async () => {
    const job = freshJob();
    await launchJob(job, env.cluster);
    const first = byName('pods', job.names.driverPod)!;
    // Orphan the companions so that they outlive the pod, as a slow garbage collector would.
    await env.cluster.remove(
      { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: job.names.driverPod },
      { propagation: 'Orphan' },
    );
    const outcome = await launchJob(job, env.cluster);
    const second = byName('pods', job.names.driverPod)!;
    expect(outcome.kind).toBe('launched');
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    for (const resource of ['configmaps', 'services']) {
      const name = resource === 'configmaps' ? job.names.configMap : job.names.service;
      expect(byName(resource, name)?.metadata.ownerReferences?.map((o) => o.uid)).toEqual([second.metadata.uid]);
    }
  });

  // One driver per job key, always: the same key under another name would be another pod name,
  // but the ConfigMap's name comes from the key alone, so the second launch finds it held by a
  // live driver and withdraws its own pod, touching nothing of the first.
  it('the same key under another name, after the first: refused, its own pod withdrawn, the first driver and its ConfigMap untouched', async () => {
    const key = `one-driver-${++counter}`;
    const first = resolved({ jobKey: key, name: 'first-name' });
    const second = resolved({ jobKey: key, name: 'second-name' });
    expect(first.names.driverPod).not.toBe(second.names.driverPod);
    expect(first.names.configMap).toBe(second.names.configMap);
    expect((await launchJob(first, env.cluster, { retry: FAST_RETRY })).kind).toBe('launched');
    const configMap = byName('configmaps', first.names.configMap)!;
    const outcome = await launchJob(second, env.cluster, { retry: FAST_RETRY });
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reasons[0]).toMatch(
      new RegExp(
        `job key "default/${key}" already has a driver, pod/${first.names.driverPod} in spark-jobs; this launch \\(pod/${second.names.driverPod} in spark-jobs\\) was withdrawn`,
      ),
    );
    expect(byName('pods', second.names.driverPod)).toBeUndefined();
    expect(byName('pods', first.names.driverPod)).toBeDefined();
    expect(byName('configmaps', first.names.configMap)?.metadata.resourceVersion).toBe(configMap.metadata.resourceVersion);
    expect(byName('services', second.names.service)).toBeUndefined();
  });

  it('the same key under two names, launched at once: exactly one driver survives with its ConfigMap', async () => {
    const key = `one-driver-race-${++counter}`;
    const jobs = ['race-a', 'race-b', 'race-c', 'race-d'].map((name) => resolved({ jobKey: key, name }));
    const outcomes = await Promise.all(jobs.map((job) => launchJob(job, env.cluster, { retry: FAST_RETRY })));
    const drivers = pods().filter(
      (p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] === `default/${key}`,
    );
    expect(drivers).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'launched')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'rejected')).toHaveLength(3);
    const configMap = byName('configmaps', jobs[0]!.names.configMap)!;
    expect(configMap.metadata.ownerReferences?.[0]?.uid).toBe(drivers[0]!.metadata.uid);
  });

  it('refuses to adopt a pod of the same name that belongs to another job key, and leaves it untouched', async () => {
    const job = freshJob();
    const impostor = renderNative(freshJob()).pod;
    await env.cluster.create({ ...impostor, metadata: { ...impostor.metadata, name: job.names.driverPod } });
    const before = byName('pods', job.names.driverPod)!;
    const outcome = await launchJob(job, env.cluster);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reasons[0]).toMatch(
      /already exists and belongs to job key "default\/launch-test-\d+"; it was left untouched/,
    );
    expect(byName('pods', job.names.driverPod)?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(byName('configmaps', job.names.configMap)).toBeUndefined();
  });

  it('deleting the driver pod garbage-collects its ConfigMap, Service and executors', async () => {
    const job = freshJob();
    await launchJob(job, env.cluster);
    const executors = env.standIn.spawnExecutors('spark-jobs', job.names.driverPod, 2);
    expect(executors).toHaveLength(2);
    expect(await env.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: job.names.driverPod })).toBe(true);
    await eventually(() => {
      expect(byName('configmaps', job.names.configMap)).toBeUndefined();
      expect(byName('services', job.names.service)).toBeUndefined();
      for (const e of executors) expect(byName('pods', e)).toBeUndefined();
    });
    expect(await env.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: job.names.driverPod })).toBe(false);
  });

  it('dry run: every server check, nothing stored', async () => {
    const job = freshJob();
    const outcome = await launchJob(job, env.cluster, { dryRun: true });
    expect(outcome).toMatchObject({ kind: 'launched', dryRun: true });
    expect(byName('pods', job.names.driverPod)).toBeUndefined();
    expect(byName('configmaps', job.names.configMap)).toBeUndefined();
  });
});

describe('launch: refusals and deferrals', () => {
  it("a full driver quota defers the job with the server's message; a slot freed lets it launch", async () => {
    const s = await standInCluster({ namespaces: ['capped'] });
    try {
      const quota = driverQuota('capped', 'spark-dispatch-driver', 1);
      const res = await fetch(`${s.standIn.url}/api/v1/namespaces/capped/resourcequotas`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(quota),
      });
      expect(res.status).toBe(201);
      const settings = { namespaces: { capped: {} }, defaultNamespace: 'capped' };
      const a = resolved({ namespace: 'capped', jobKey: 'quota-a' }, settings);
      const b = resolved({ namespace: 'capped', jobKey: 'quota-b' }, settings);
      expect((await launchJob(a, s.cluster)).kind).toBe('launched');
      const deferred = await launchJob(b, s.cluster);
      expect(deferred).toMatchObject({ kind: 'deferred', driverPod: b.names.driverPod, namespace: 'capped' });
      expect(deferred.kind === 'deferred' && deferred.reason).toBe(
        `pods "${b.names.driverPod}" is forbidden: exceeded quota: spark-dispatch-drivers, requested: pods=1, used: pods=1, limited: pods=1`,
      );
      expect(s.standIn.objects('pods', 'capped')).toHaveLength(1);
      // The namespace is full, but a redelivered request for the running job is not deferred:
      // quota admission refuses the create before the name clash is seen, and the launcher looks.
      expect(await launchJob(a, s.cluster)).toMatchObject({ kind: 'already-launched', driverPod: a.names.driverPod });
      s.standIn.setPodStatus('capped', a.names.driverPod, { phase: 'Succeeded' });
      // Quota usage is recalculated by the quota controller, not instantly: the deferred job gets in soon after.
      await eventually(async () => expect((await launchJob(b, s.cluster)).kind).toBe('launched'));
    } finally {
      await s.close();
    }
  });

  it("an object the server refuses (422) is rejected with the server's message", async () => {
    const job = freshJob();
    const broken: ResolvedJob = { ...job, names: { ...job.names, driverPod: 'Not_A_Valid_Name' } };
    const outcome = await launchJob(broken, env.cluster);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reasons[0]).toMatch(/Not_A_Valid_Name/);
  });

  it("a 403 Forbidden from admission is rejected with the server's message, not retried", async () => {
    const job = resolved({ jobKey: 'no-priority-class' }, { namespaces: { 'spark-jobs': { priorityClassName: 'not-installed' } } });
    let retries = 0;
    const outcome = await launchJob(job, env.cluster, { retry: FAST_RETRY, retryHooks: { onRetry: () => void retries++ } });
    expect(outcome).toEqual({
      kind: 'rejected',
      jobKey: 'default/no-priority-class',
      namespace: 'spark-jobs',
      reasons: [`pods "${job.names.driverPod}" is forbidden: no PriorityClass with name not-installed was found`],
    });
    expect(retries).toBe(0);
  });

  it('a namespace missing in the cluster is rejected (404), not retried', async () => {
    const job = resolved({ namespace: 'absent', jobKey: 'ns-missing' }, { namespaces: { absent: {} } });
    let retries = 0;
    const outcome = await launchJob(job, env.cluster, { retry: FAST_RETRY, retryHooks: { onRetry: () => void retries++ } });
    expect(outcome).toMatchObject({ kind: 'rejected', reasons: ['namespaces "absent" not found'] });
    expect(retries).toBe(0);
  });
});

describe('launch: transient faults are retried', () => {
  it.each(['429', '500', '503', 'reset'] as const)('%s on create: retried, then launched once', async (fault) => {
    const job = freshJob();
    env.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: [fault], retryAfterSeconds: 0 }]);
    const seen: string[] = [];
    const outcome = await launchJob(job, env.cluster, {
      retry: FAST_RETRY,
      retryHooks: {
        onRetry: (error, attempt) => {
          seen.push(error.kind);
          if (attempt === 2) env.standIn.setFaults([]); // the server recovers after two failures
        },
      },
    });
    expect(outcome.kind).toBe('launched');
    expect(seen).toEqual([
      fault === '429' ? 'throttled' : fault === 'reset' ? 'network' : 'unavailable',
      fault === '429' ? 'throttled' : fault === 'reset' ? 'network' : 'unavailable',
    ]);
    expect(pods().filter((p) => p.metadata.name === job.names.driverPod)).toHaveLength(1);
  });

  it('a request the server never answers times out and is retried', async () => {
    const s = await standInCluster({ requestTimeoutMs: 300 });
    try {
      const job = freshJob();
      s.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: ['timeout'] }]);
      const seen: string[] = [];
      const outcome = await launchJob(job, s.cluster, {
        retry: FAST_RETRY,
        retryHooks: {
          onRetry: (e) => {
            seen.push(e.kind);
            s.standIn.setFaults([]);
          },
        },
      });
      expect(seen).toEqual(['timeout']);
      expect(outcome.kind).toBe('launched');
    } finally {
      await s.close();
    }
  });

  it('when faults never stop, the launch fails with a retryable error after the bounded attempts', async () => {
    const job = freshJob();
    env.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: ['500'] }]);
    let attempts = 0;
    const error = await launchJob(job, env.cluster, { retry: FAST_RETRY, retryHooks: { onRetry: () => void attempts++ } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'DispatchError', kind: 'unavailable', retryable: true });
    expect(attempts).toBe(FAST_RETRY.maxAttempts - 1);
    expect(byName('pods', job.names.driverPod)).toBeUndefined();
  });
});

describe('launch: operator backend', () => {
  it('creates one SparkApplication as rendered; a second launch is already-launched', async () => {
    const job = freshJob({ backend: 'operator' });
    const outcome = await launchJob(job, env.cluster);
    // The SparkApplication, then its hold on the job key: a ConfigMap named from the key alone, owned by it.
    expect(outcome).toMatchObject({
      kind: 'launched',
      backend: 'operator',
      created: [
        { kind: 'SparkApplication', name: job.names.prefix },
        { kind: 'ConfigMap', name: job.names.configMap },
      ],
    });
    const app = env.standIn.objects('sparkapplications', 'spark-jobs').find((a) => a.metadata.name === job.names.prefix) as
      StoredObject | undefined;
    expect(app?.spec).toEqual(renderOperator(job).spec);
    expect((await launchJob(job, env.cluster)).kind).toBe('already-launched');
    expect(pods().filter((p) => p.metadata.name === job.names.driverPod)).toHaveLength(0);
  });

  it("the same key under another name is refused: the key's claim ConfigMap is held by the first SparkApplication", async () => {
    const key = `one-app-${++counter}`;
    const first = resolved({ jobKey: key, name: 'app-one', backend: 'operator' });
    const second = resolved({ jobKey: key, name: 'app-two', backend: 'operator' });
    expect((await launchJob(first, env.cluster, { retry: FAST_RETRY })).kind).toBe('launched');
    const outcome = await launchJob(second, env.cluster, { retry: FAST_RETRY });
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reasons[0]).toMatch(/already has a driver, sparkapplication\/app-one-/);
    const apps = env.standIn.objects('sparkapplications', 'spark-jobs').map((a) => a.metadata.name);
    expect(apps).toContain(first.names.prefix);
    expect(apps).not.toContain(second.names.prefix);
  });
});
