/**
 * The launch use case against both API servers (the stand-in, and the real kube-apiserver when the
 * real-server tier runs): what is stored, idempotency, adoption, refusals with the server's own
 * words, quota deferral, server-side dry run, companion garbage collection. Each case runs on
 * both: where they differed, the stand-in was fixed (docs/testing.md lists what was found).
 */
import { describe, expect, it } from 'vitest';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import type { StoredObject } from '../../src/usecases/clusterPort.js';
import { resolved } from '../support/fixtures.js';
import { FAST_RETRY } from '../support/standInCluster.js';
import { eventually } from '../support/eventually.js';
import { contractServers, DRIVER_PRIORITY_CLASS, useContractServer, type ContractServer } from '../support/contractServers.js';

interface PodSpecView {
  readonly containers: [{ readonly volumeMounts: unknown[] } & Record<string, unknown>];
  readonly volumes: { readonly name: string }[];
  readonly [field: string]: unknown;
}

describe.each(contractServers())('launch on $name', (choice) => {
  const server = useContractServer(choice, 'launch');
  let counter = 0;
  /** A job in `namespace` (which the settings then own), with a key of its own. */
  const jobIn = (namespace: string, spec: Record<string, unknown> = {}): ResolvedJob =>
    resolved({ namespace, jobKey: `launch-${++counter}`, ...spec }, { namespaces: { [namespace]: {} } });
  const find = async (
    s: ContractServer,
    kind: 'Pod' | 'ConfigMap' | 'Service',
    namespace: string,
    name: string,
  ): Promise<StoredObject | undefined> => s.cluster.read({ apiVersion: 'v1', kind, namespace, name });

  it('creates the driver pod, then ConfigMap and Service owned by it, as rendered', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    const outcome = await launchJob(job, server.cluster, { retry: FAST_RETRY });
    const pod = await find(server, 'Pod', ns, job.names.driverPod);
    expect(outcome).toEqual({
      kind: 'launched',
      jobKey: job.jobKey,
      namespace: ns,
      driverPod: job.names.driverPod,
      backend: 'native',
      dryRun: false,
      driverUid: pod?.metadata.uid,
      driver: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: job.names.driverPod },
      created: [
        { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: job.names.driverPod },
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: job.names.configMap },
        { apiVersion: 'v1', kind: 'Service', namespace: ns, name: job.names.service },
      ],
    });
    const expected = renderNative(job);
    // The server adds its defaults, and ServiceAccount admission the API credentials: one more volume, mounted last.
    const {
      containers: renderedContainers,
      volumes: renderedVolumes,
      ...renderedRest
    } = JSON.parse(JSON.stringify(expected.pod.spec)) as PodSpecView;
    const { containers: storedContainers, volumes: storedVolumes, ...storedRest } = pod?.spec as PodSpecView;
    expect(storedRest).toMatchObject(renderedRest);
    expect(storedVolumes.slice(0, -1)).toMatchObject(renderedVolumes);
    expect(storedVolumes.at(-1)?.name).toMatch(/^(kube-api-access|spark-driver-token)-[a-z0-9]{5}$/);
    const [{ volumeMounts: renderedMounts, ...renderedContainer }] = renderedContainers;
    const [{ volumeMounts: storedMounts, ...storedContainer }] = storedContainers;
    expect(storedContainer).toMatchObject(renderedContainer);
    expect(storedMounts).toEqual([
      ...renderedMounts,
      { name: storedVolumes.at(-1)?.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    expect(pod?.status).toMatchObject({ phase: 'Pending', qosClass: 'Burstable' });
    const owner = [{ apiVersion: 'v1', kind: 'Pod', name: job.names.driverPod, uid: pod?.metadata.uid, controller: true }];
    const configMap = await find(server, 'ConfigMap', ns, job.names.configMap);
    expect(configMap?.data).toEqual(expected.configMap.data);
    expect(configMap?.immutable).toBe(true);
    expect(configMap?.metadata.ownerReferences).toEqual(owner);
    expect((await find(server, 'Service', ns, job.names.service))?.metadata.ownerReferences).toEqual(owner);
  });

  it('a second launch of the same key is already-launched, and there is still one driver', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    expect((await launchJob(job, server.cluster)).kind).toBe('launched');
    expect(await launchJob(job, server.cluster)).toMatchObject({ kind: 'already-launched', driverPod: job.names.driverPod, created: [] });
    expect((await server.objects('pods', ns)).map((p) => p.metadata.name)).toEqual([job.names.driverPod]);
  });

  it('adopts a half-launch: a driver pod without companions gets its ConfigMap and Service', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    const pod = await server.cluster.create(renderNative(job).pod);
    expect(await launchJob(job, server.cluster)).toMatchObject({
      kind: 'already-launched',
      created: [
        { kind: 'ConfigMap', name: job.names.configMap },
        { kind: 'Service', name: job.names.service },
      ],
    });
    expect((await find(server, 'ConfigMap', ns, job.names.configMap))?.metadata.ownerReferences?.[0]?.uid).toBe(pod.metadata.uid);
  });

  it('refuses a pod name held by another job key, and leaves that pod untouched', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    const other = renderNative(jobIn(ns)).pod;
    await server.cluster.create({ ...other, metadata: { ...other.metadata, name: job.names.driverPod } });
    const before = await find(server, 'Pod', ns, job.names.driverPod);
    const outcome = await launchJob(job, server.cluster);
    expect(outcome).toEqual({
      kind: 'rejected',
      jobKey: job.jobKey,
      namespace: ns,
      reasons: [
        `pod/${job.names.driverPod} in ${ns} already exists and belongs to job key "${other.metadata.annotations?.['spark-dispatch.io/job-key']}"; it was left untouched`,
      ],
    });
    expect((await find(server, 'Pod', ns, job.names.driverPod))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await find(server, 'ConfigMap', ns, job.names.configMap)).toBeUndefined();
  });

  it('the same key under another name: refused, its own pod withdrawn, the first driver untouched', async () => {
    const ns = await server.namespace();
    const key = `one-driver-${++counter}`;
    const first = resolved({ namespace: ns, jobKey: key, name: 'first-name' }, { namespaces: { [ns]: {} } });
    const second = resolved({ namespace: ns, jobKey: key, name: 'second-name' }, { namespaces: { [ns]: {} } });
    expect((await launchJob(first, server.cluster, { retry: FAST_RETRY })).kind).toBe('launched');
    const outcome = await launchJob(second, server.cluster, { retry: FAST_RETRY });
    expect(outcome.kind === 'rejected' && outcome.reasons).toEqual([
      `job key "default/${key}" already has a driver, pod/${first.names.driverPod} in ${ns}; this launch (pod/${second.names.driverPod} in ${ns}) was withdrawn: one driver per job key`,
    ]);
    // The withdrawn pod is deleted at once: no kubelet holds it on either server, and it was never scheduled.
    expect((await server.objects('pods', ns)).map((p) => p.metadata.name)).toEqual([first.names.driverPod]);
  });

  it("a full driver quota (PriorityClass scope) defers with the server's words; the slot freed, the job gets in", async () => {
    const ns = await server.namespace();
    const quota = await server.raw('POST', `/api/v1/namespaces/${ns}/resourcequotas`, driverQuota(ns, DRIVER_PRIORITY_CLASS, 1));
    expect(quota.status).toBe(201);
    // Quota admission refuses everything in scope until the quota controller has computed the usage.
    await eventually(
      async () =>
        expect((await server.raw('GET', `/api/v1/namespaces/${ns}/resourcequotas/spark-dispatch-drivers`)).body.status).toMatchObject({
          hard: { pods: '1' },
          used: { pods: '0' },
        }),
      30_000,
      100,
    );
    const a = jobIn(ns);
    const b = jobIn(ns);
    expect((await launchJob(a, server.cluster)).kind).toBe('launched');
    expect(await launchJob(b, server.cluster)).toEqual({
      kind: 'deferred',
      jobKey: b.jobKey,
      namespace: ns,
      driverPod: b.names.driverPod,
      backend: 'native',
      reason: `pods "${b.names.driverPod}" is forbidden: exceeded quota: spark-dispatch-drivers, requested: pods=1, used: pods=1, limited: pods=1`,
    });
    // A redelivered request for the running job: quota admission refuses before the name clash is seen; the launcher looks.
    expect(await launchJob(a, server.cluster)).toMatchObject({ kind: 'already-launched', driverPod: a.names.driverPod });
    // A pod that is not in the driver scope (no PriorityClass) is not counted against it.
    const plain = renderNative(jobIn(ns)).pod;
    const { priorityClassName: _inScope, ...unscoped } = plain.spec;
    expect((await server.raw('POST', `/api/v1/namespaces/${ns}/pods`, { ...plain, spec: unscoped })).status).toBe(201);
    await server.setPodStatus(ns, a.names.driverPod, { phase: 'Succeeded' });
    // The quota controller recounts after the pod finished, asynchronously on both.
    await eventually(async () => expect((await launchJob(b, server.cluster)).kind).toBe('launched'), 30_000, 200);
  });

  it("an object the server refuses (422) is rejected with the server's words", async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    const broken: ResolvedJob = { ...job, names: { ...job.names, driverPod: 'Not_A_Valid_Name' } };
    expect(await launchJob(broken, server.cluster)).toEqual({
      kind: 'rejected',
      jobKey: job.jobKey,
      namespace: ns,
      reasons: [
        `Pod "Not_A_Valid_Name" is invalid: metadata.name: Invalid value: "Not_A_Valid_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    });
  });

  it('an unknown PriorityClass is refused by admission (403), not retried', async () => {
    const ns = await server.namespace();
    const job = resolved(
      { namespace: ns, jobKey: `no-class-${++counter}` },
      { namespaces: { [ns]: { priorityClassName: 'not-installed' } } },
    );
    let retries = 0;
    const outcome = await launchJob(job, server.cluster, { retry: FAST_RETRY, retryHooks: { onRetry: () => void retries++ } });
    expect(outcome.kind === 'rejected' && outcome.reasons).toEqual([
      `pods "${job.names.driverPod}" is forbidden: no PriorityClass with name not-installed was found`,
    ]);
    expect(retries).toBe(0);
  });

  it("a driver service account missing in the namespace is refused by admission (403) with the server's words", async () => {
    const ns = await server.namespace([]);
    const job = jobIn(ns);
    expect(await launchJob(job, server.cluster)).toEqual({
      kind: 'rejected',
      jobKey: job.jobKey,
      namespace: ns,
      reasons: [
        `pods "${job.names.driverPod}" is forbidden: error looking up service account ${ns}/spark-driver: serviceaccount "spark-driver" not found`,
      ],
    });
  });

  it('a namespace missing in the cluster is rejected (404), not retried', async () => {
    const job = resolved({ namespace: 'absent-ns', jobKey: `ns-missing-${++counter}` }, { namespaces: { 'absent-ns': {} } });
    let retries = 0;
    const outcome = await launchJob(job, server.cluster, { retry: FAST_RETRY, retryHooks: { onRetry: () => void retries++ } });
    expect(outcome).toEqual({
      kind: 'rejected',
      jobKey: job.jobKey,
      namespace: 'absent-ns',
      reasons: ['namespaces "absent-ns" not found'],
    });
    expect(retries).toBe(0);
    // NamespaceLifecycle comes first: before the ServiceAccount lookup, before validation.
    const broken: ResolvedJob = { ...job, names: { ...job.names, driverPod: 'Not_A_Valid_Name' } };
    expect(await launchJob(broken, server.cluster)).toMatchObject({ kind: 'rejected', reasons: ['namespaces "absent-ns" not found'] });
  });

  it('server-side dry run: every check, nothing stored; a refusal is the same as for real', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    expect(await launchJob(job, server.cluster, { dryRun: true })).toMatchObject({ kind: 'launched', dryRun: true });
    expect(await server.objects('pods', ns)).toEqual([]);
    expect((await server.objects('configmaps', ns)).map((c) => c.metadata.name)).toEqual(['kube-root-ca.crt']);
    const noAccount = await server.namespace([]);
    const refused = await launchJob(jobIn(noAccount), server.cluster, { dryRun: true });
    expect(refused.kind === 'rejected' && refused.reasons[0]).toMatch(/is forbidden: error looking up service account/);
  });

  it('a stored driver pod sent again under another name keeps its one token volume: admission adds no second', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    await launchJob(job, server.cluster, { retry: FAST_RETRY });
    const stored = await find(server, 'Pod', ns, job.names.driverPod);
    const { status: _status, metadata, ...rest } = stored as StoredObject & { status?: unknown };
    const again = { ...rest, metadata: { name: `${job.names.driverPod}-again`, namespace: ns, labels: metadata.labels } };
    expect((await server.raw('POST', `/api/v1/namespaces/${ns}/pods`, again)).status).toBe(201);
    const copy = await find(server, 'Pod', ns, `${job.names.driverPod}-again`);
    const spec = (pod: StoredObject | undefined) => pod?.spec as PodSpecView;
    expect(spec(copy).volumes.map((v) => v.name)).toEqual(spec(stored).volumes.map((v) => v.name));
    expect(spec(copy).containers[0].volumeMounts).toEqual(spec(stored).containers[0].volumeMounts);
  });

  it('deleting the driver pod garbage-collects its ConfigMap, Service and executors (asynchronously)', async () => {
    const ns = await server.namespace();
    const job = jobIn(ns);
    const outcome = await launchJob(job, server.cluster);
    const driverUid = (outcome.kind === 'launched' && outcome.driverUid) || '';
    const owner = { apiVersion: 'v1', kind: 'Pod', name: job.names.driverPod, uid: driverUid, controller: true, blockOwnerDeletion: true };
    const executor = (id: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${job.names.prefix}-exec-${id}`, namespace: ns, labels: { 'spark-role': 'executor' }, ownerReferences: [owner] },
      spec: {
        serviceAccountName: 'spark-driver',
        restartPolicy: 'Never',
        containers: [{ name: 'spark-kubernetes-executor', image: 'spark:4.0.1', args: ['executor'] }],
      },
    });
    for (const id of [1, 2]) expect((await server.raw('POST', `/api/v1/namespaces/${ns}/pods`, executor(id))).status).toBe(201);
    expect(await server.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: job.names.driverPod })).toBe(true);
    await eventually(
      async () => {
        expect((await server.objects('pods', ns)).map((p) => p.metadata.name)).toEqual([]);
        expect((await server.objects('configmaps', ns)).map((c) => c.metadata.name)).toEqual(['kube-root-ca.crt']);
        expect(await server.objects('services', ns)).toEqual([]);
      },
      30_000,
      100,
    );
    expect(await server.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: job.names.driverPod })).toBe(false);
  });
});
