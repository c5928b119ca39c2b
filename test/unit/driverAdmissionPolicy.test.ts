/**
 * The driver ValidatingAdmissionPolicy, evaluated for real (CEL by @bufbuild/cel, as the API server
 * would run the policy and its binding): what a Spark driver creates, changes and deletes for a job
 * rendered by spark-dispatch is admitted, and forged pods and ConfigMaps, foreign deletes and requests
 * from anything but the driver pod's own token are refused, each by the validation meant for it.
 */
import { describe, expect, it } from 'vitest';
import {
  APP_SELECTOR_PATTERN,
  DRIVER_POLICY_NAME,
  EXECUTOR_CONFIGMAP_NAME_PATTERN,
  EXECUTOR_POD_NAME_PATTERN,
  POD_NAME_EXTRA,
  POD_UID_EXTRA,
} from '../../src/domain/render/driverAdmissionPolicy.js';
import {
  clusterBundle,
  namespaceBundle,
  type KubeObjectRecord,
  type NamespaceBundleOptions,
} from '../../src/domain/render/namespaceBundle.js';
import { ownedBy, renderNative } from '../../src/domain/render/renderNative.js';
import { DEFAULT_IMAGES } from '../../src/settings/settingsSchema.js';
import { admit, type AdmissionRequest, type Json, type UserInfo } from '../support/admission.js';
import { resolved } from '../support/fixtures.js';
import {
  createdDriver,
  ownerRefTo,
  sparkExecutorConfigMap,
  sparkExecutorPod,
  sparkOnDemandPvc,
  type ConfigMapJson,
  type PodJson,
  type PvcJson,
} from '../support/sparkExecutor.js';
import { jobNames } from '../../src/domain/tenant/jobIdentity.js';

const NS = 'spark-jobs';
const SA = 'spark-driver';
const CATALOG = Object.values(DEFAULT_IMAGES).map((entry) => entry.image);
const BUNDLE: NamespaceBundleOptions = {
  namespace: NS,
  profile: 'aks',
  driverServiceAccount: SA,
  priorityClassName: 'spark-dispatch-driver',
  maxConcurrentDrivers: 20,
  dispatcherPrincipal: { kind: 'User', name: '8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b' },
};

const find = (objects: readonly KubeObjectRecord[], kind: string): KubeObjectRecord => {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found;
};
const policyFor = (images: readonly string[]) =>
  find(clusterBundle({ priorityClassName: 'spark-dispatch-driver', images }), 'ValidatingAdmissionPolicy') as unknown as Json;
const POLICY = policyFor(CATALOG);
const TEAM = namespaceBundle(BUNDLE);
const BINDING = find(TEAM, 'ValidatingAdmissionPolicyBinding') as unknown as Json;
/** What the cluster stores that the binding refers to: the driver ServiceAccount. */
const STORED = TEAM.filter((o) => o.kind === 'ServiceAccount') as unknown as Json[];

/** The message of the one validation whose message contains `fragment` (so that a renamed message fails here, not silently). */
function message(fragment: string): string {
  const messages = (POLICY.spec as { validations: { message: string }[] }).validations
    .map((v) => v.message)
    .filter((m) => m.includes(fragment));
  if (messages.length !== 1) throw new Error(`"${fragment}" matches ${messages.length} validation messages`);
  return messages[0]!;
}

// ---------------------------------------------------------------- the job, its driver, and who asks

const job = resolved({ labels: { team: 'analytics' } });
const job35 = resolved({ sparkVersion: '3.5' }, { storage: { auth: { mode: 'managed-identity' } } }); // Hadoop 3.3.4: no workload identity
const openshiftJob = resolved({}, { clusterProfile: 'openshift' });
const driver = createdDriver(job);
const executor = sparkExecutorPod(job, driver);
/** Another job of the same namespace: its driver, the Service the dispatcher made for it, and one of its executors. */
const victimJob = resolved({ name: 'payroll', jobKey: 'payroll-2025-06' });
const victimDriver = createdDriver(victimJob, '0c9e8f7d-6b5a-4c3d-9e2f-1a0b9c8d7e6f');
const victimService = ownedBy(renderNative(victimJob).service, {
  metadata: { name: victimDriver.metadata.name, uid: '0c9e8f7d-6b5a-4c3d-9e2f-1a0b9c8d7e6f' },
});

const podToken = (pod: PodJson): UserInfo => ({
  username: `system:serviceaccount:${NS}:${SA}`,
  extra: { [POD_NAME_EXTRA]: [pod.metadata.name], [POD_UID_EXTRA]: [(pod.metadata as { uid?: string }).uid ?? 'uid-of-an-executor'] },
});
const AS_DRIVER = podToken(driver);
const DISPATCHER: UserInfo = { username: '8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b' };

const json = (o: unknown): Json => structuredClone(o) as Json;
const create = (resource: string, object: unknown, userInfo = AS_DRIVER, namespace = NS): AdmissionRequest => ({
  operation: 'CREATE',
  resource,
  namespace,
  userInfo,
  object: json(object),
  oldObject: null,
});
const update = (resource: string, oldObject: unknown, object: unknown, userInfo = AS_DRIVER): AdmissionRequest => ({
  operation: 'UPDATE',
  resource,
  namespace: NS,
  userInfo,
  object: json(object),
  oldObject: json(oldObject),
});
const remove = (resource: string, oldObject: unknown, userInfo = AS_DRIVER): AdmissionRequest => ({
  operation: 'DELETE',
  resource,
  namespace: NS,
  userInfo,
  object: null,
  oldObject: json(oldObject),
});
const run = (request: AdmissionRequest, policy: Json = POLICY) => admit(policy, BINDING, STORED, request);

/** A copy of `base` changed by `change`. */
function forge<T>(base: T, change: (copy: T) => void): T {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}
const forgedPod = (change: (pod: PodJson) => void) => forge(executor, change);
const firstContainer = (pod: PodJson) => pod.spec.containers[0]!;
const labelled = (pod: PodJson, labels: Record<string, string | undefined>) => {
  const next: Record<string, string> = { ...pod.metadata.labels };
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  pod.metadata.labels = next;
};

describe('the executor Spark builds from the rendered job is what the policy expects', () => {
  it('name, labels, owner, service account, image and volumes as Spark sets them', () => {
    expect(executor.metadata.name).toBe(`${job.names.executorPrefix}-exec-1`);
    expect(executor.metadata.name).toMatch(new RegExp(EXECUTOR_POD_NAME_PATTERN));
    expect(executor.metadata.labels).toMatchObject({
      'spark-role': 'executor',
      'spark-app-selector': job.names.appId,
      'app.kubernetes.io/managed-by': 'spark-dispatch',
      team: 'analytics',
    });
    expect(job.names.appId).toMatch(new RegExp(APP_SELECTOR_PATTERN));
    expect(executor.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: driver.metadata.name, uid: (driver.metadata as { uid?: string }).uid, controller: true },
    ]);
    expect(executor.spec.serviceAccountName).toBe(SA);
    expect(CATALOG).toContain(firstContainer(executor).image);
    expect(executor.spec.volumes.map((v) => v.name)).toEqual([
      'spark-tmp',
      'spark-work-dir',
      'spark-local-dir-1',
      'spark-conf-volume-exec',
      'kube-api-access-x7k2p',
      'azure-identity-token',
    ]);
    expect(sparkExecutorConfigMap(job, driver).metadata.name).toMatch(new RegExp(EXECUTOR_CONFIGMAP_NAME_PATTERN));
    // The dispatcher's own ConfigMap name is not one a driver may take.
    expect(jobNames('x', 'y').configMap).not.toMatch(new RegExp(EXECUTOR_CONFIGMAP_NAME_PATTERN));
  });
});

describe('what a Spark driver does is admitted', () => {
  const executorConfigMap = sparkExecutorConfigMap(job, driver);
  const pvc = sparkOnDemandPvc(job, driver);
  const driverService = ownedBy(renderNative(job).service, {
    metadata: { name: driver.metadata.name, uid: (driver.metadata as { uid?: string }).uid },
  });
  const openshiftDriver = createdDriver(openshiftJob);
  const driver35 = createdDriver(job35);

  it.each<[string, AdmissionRequest]>([
    ['create an executor (AKS, Workload Identity)', create('pods', executor)],
    ['create executor 12', create('pods', sparkExecutorPod(job, driver, { execId: 12 }))],
    ['create an executor of a Spark 3.5 job', create('pods', sparkExecutorPod(job35, driver35), podToken(driver35))],
    [
      'create an executor (OpenShift, restricted-v2)',
      create('pods', sparkExecutorPod(openshiftJob, openshiftDriver), podToken(openshiftDriver)),
    ],
    ['create the executors’ ConfigMap', create('configmaps', executorConfigMap)],
    ['create an on-demand PVC', create('persistentvolumeclaims', pvc)],
    [
      'label a finished executor spark-exec-inactive (deleteOnTermination=false)',
      update(
        'pods',
        executor,
        forgedPod((p) => labelled(p, { 'spark-exec-inactive': 'true' })),
      ),
    ],
    ['delete an executor', remove('pods', executor)],
    ['delete the executors’ ConfigMap (deletecollection admits each)', remove('configmaps', executorConfigMap)],
    ['delete its driver Service on stop', remove('services', driverService)],
    ['delete its PVCs on stop', remove('persistentvolumeclaims', pvc)],
  ])('%s', (_name, request) => {
    const result = run(request);
    expect(result.applies).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.denials).toEqual([]);
  });
});

describe('forged writes are refused, each by its own rule', () => {
  const victimPrefix = victimJob.names.prefix;
  const someoneElse: PodJson = { ...victimDriver, metadata: { ...victimDriver.metadata, ownerReferences: [ownerRefTo(victimDriver)] } };
  const cases: [string, AdmissionRequest, string][] = [
    [
      'a Secret volume',
      create(
        'pods',
        forgedPod((p) => p.spec.volumes.push({ name: 'creds', secret: { secretName: 'db-credentials' } })),
      ),
      message('no Secret volumes'),
    ],
    [
      'a projected volume with a Secret source',
      create(
        'pods',
        forgedPod((p) =>
          p.spec.volumes.push({
            name: 'creds',
            projected: { sources: [{ configMap: { name: 'x' } }, { secret: { name: 'db-credentials' } }] },
          }),
        ),
      ),
      message('projected volumes'),
    ],
    [
      'an env var from a Secret (secretKeyRef)',
      create(
        'pods',
        forgedPod((p) =>
          firstContainer(p).env!.push({ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }),
        ),
      ),
      message('secretKeyRef'),
    ],
    [
      'envFrom a Secret',
      create(
        'pods',
        forgedPod((p) => (firstContainer(p).envFrom = [{ secretRef: { name: 'db-credentials' } }])),
      ),
      message('envFrom'),
    ],
    [
      'a hostPath volume',
      create(
        'pods',
        forgedPod((p) => p.spec.volumes.push({ name: 'root', hostPath: { path: '/' } })),
      ),
      message('hostPath'),
    ],
    [
      'a CSI volume (Secrets Store driver)',
      create(
        'pods',
        forgedPod((p) =>
          p.spec.volumes.push({ name: 'kv', csi: { driver: 'secrets-store.csi.k8s.io', volumeAttributes: { secretProviderClass: 'kv' } } }),
        ),
      ),
      message('volumes are emptyDir'),
    ],
    [
      'a generic ephemeral volume (could clone another PVC)',
      create(
        'pods',
        forgedPod((p) =>
          p.spec.volumes.push({
            name: 'e',
            ephemeral: { volumeClaimTemplate: { spec: { dataSource: { kind: 'PersistentVolumeClaim', name: 'other' } } } },
          }),
        ),
      ),
      message('volumes are emptyDir'),
    ],
    [
      'another service account',
      create(
        'pods',
        forgedPod((p) => (p.spec.serviceAccountName = p.spec.serviceAccount = 'spark-dispatch')),
      ),
      message('serviceAccountName'),
    ],
    [
      "the namespace's default service account",
      create(
        'pods',
        forgedPod((p) => (p.spec.serviceAccountName = 'default')),
      ),
      message('serviceAccountName'),
    ],
    [
      'another image',
      create(
        'pods',
        forgedPod((p) => (firstContainer(p).image = 'docker.io/evil/miner:1.0')),
      ),
      message("catalog's images"),
    ],
    [
      'an init container with another image',
      create(
        'pods',
        forgedPod((p) => (p.spec.initContainers = [{ name: 'x', image: 'busybox:1.36', args: ['cat', '/etc/shadow'] }])),
      ),
      message("catalog's images"),
    ],
    [
      'no spark-app-selector',
      create(
        'pods',
        forgedPod((p) => labelled(p, { 'spark-app-selector': undefined })),
      ),
      message('spark-app-selector=spark-<32 hex>, the application id'),
    ],
    [
      'an invalid spark-app-selector',
      create(
        'pods',
        forgedPod((p) => labelled(p, { 'spark-app-selector': 'spark-NOT-HEX' })),
      ),
      message('spark-app-selector=spark-<32 hex>, the application id'),
    ],
    [
      'spark-role=driver',
      create(
        'pods',
        forgedPod((p) => labelled(p, { 'spark-role': 'driver' })),
      ),
      message('an executor pod carries the label spark-role=executor'),
    ],
    [
      'no managed-by label',
      create(
        'pods',
        forgedPod((p) => labelled(p, { 'app.kubernetes.io/managed-by': undefined })),
      ),
      message('managed-by'),
    ],
    [
      'a pod named like another job’s driver',
      create(
        'pods',
        forgedPod((p) => (p.metadata.name = `${victimPrefix}-driver`)),
      ),
      message('<prefix>-exec-<id>'),
    ],
    [
      'hostNetwork',
      create(
        'pods',
        forgedPod((p) => (p.spec.hostNetwork = true)),
      ),
      message('hostNetwork'),
    ],
    [
      'hostPID',
      create(
        'pods',
        forgedPod((p) => (p.spec.hostPID = true)),
      ),
      message('hostNetwork'),
    ],
    [
      'a privileged container',
      create(
        'pods',
        forgedPod((p) => (firstContainer(p).securityContext = { privileged: true })),
      ),
      message('privileged'),
    ],
    [
      'no ownerReference',
      create(
        'pods',
        forgedPod((p) => delete p.metadata.ownerReferences),
      ),
      message('as its owner'),
    ],
    [
      'owned by another job’s driver',
      create(
        'pods',
        forgedPod((p) => (p.metadata.ownerReferences = [ownerRefTo(victimDriver)])),
      ),
      message('as its owner'),
    ],
    [
      'owned by a pod of the driver’s name but another uid',
      create(
        'pods',
        forgedPod((p) => (p.metadata.ownerReferences = [{ ...ownerRefTo(driver), uid: '00000000-0000-0000-0000-000000000001' }])),
      ),
      message('as its owner'),
    ],
    [
      'created with an executor’s token',
      create('pods', executor, podToken(sparkExecutorPod(job, driver, { execId: 3 }))),
      message('pod-bound token'),
    ],
    [
      'created with a token bound to no pod',
      create('pods', executor, { username: `system:serviceaccount:${NS}:${SA}` }),
      message('pod-bound token'),
    ],
    [
      "a ConfigMap with the dispatcher's name for another job (spark-drv-…-conf-map)",
      create(
        'configmaps',
        forge(sparkExecutorConfigMap(job, driver), (c: ConfigMapJson) => (c.metadata.name = victimJob.names.configMap)),
      ),
      message('spark-exec-<hex>-conf-map'),
    ],
    [
      'a ConfigMap without the executor labels',
      create(
        'configmaps',
        forge(sparkExecutorConfigMap(job, driver), (c: ConfigMapJson) => (c.metadata.labels = {})),
      ),
      message("executors' ConfigMap carries"),
    ],
    [
      'a PVC cloned from another (dataSource)',
      create(
        'persistentvolumeclaims',
        forge(sparkOnDemandPvc(job, driver), (c: PvcJson) => (c.spec.dataSource = { kind: 'PersistentVolumeClaim', name: 'payroll-data' })),
      ),
      message('starts empty'),
    ],
    [
      'a Service',
      create('services', {
        ...renderNative(job).service,
        metadata: { ...renderNative(job).service.metadata, ownerReferences: [ownerRefTo(driver)] },
      }),
      message('deletes Services only'),
    ],
    [
      'a change to its own ConfigMap',
      update(
        'configmaps',
        sparkExecutorConfigMap(job, driver),
        forge(sparkExecutorConfigMap(job, driver), (c: ConfigMapJson) => (c.data['x'] = 'y')),
      ),
      message('deletes Services only'),
    ],
    [
      "a patch of an executor's image",
      update(
        'pods',
        executor,
        forgedPod((p) => (firstContainer(p).image = 'docker.io/evil/miner:1.0')),
      ),
      message("catalog's images"),
    ],
    [
      "a patch of another job's driver pod",
      update(
        'pods',
        someoneElse,
        forge(someoneElse, (p: PodJson) => labelled(p, { x: 'y' })),
      ),
      message('as its owner'),
    ],
    ["deleting another job's driver pod", remove('pods', victimDriver), message('as its owner')],
    ["deleting another job's driver Service", remove('services', victimService), message('as its owner')],
    ["deleting another job's executor", remove('pods', sparkExecutorPod(victimJob, victimDriver)), message('as its owner')],
  ];

  it('covers at least 12 forgeries', () => expect(cases.length).toBeGreaterThanOrEqual(12));

  it.each(cases)('%s', (_name, request, expected) => {
    const result = run(request);
    expect(result.applies).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.denials).toContain(expected);
  });
});

describe('who and where the policy applies to', () => {
  it('the dispatcher and other service accounts are not bound by it (RBAC limits them)', () => {
    const driverPod = renderNative(job).pod;
    expect(run(create('pods', driverPod, DISPATCHER)).applies).toBe(false);
    expect(run(remove('pods', victimDriver, DISPATCHER)).applies).toBe(false);
    expect(run(create('pods', executor, { username: `system:serviceaccount:${NS}:default`, extra: AS_DRIVER.extra! })).applies).toBe(false);
    // The same service account name in another namespace is another identity.
    expect(run(create('pods', executor, { ...AS_DRIVER, username: `system:serviceaccount:other:${SA}` })).applies).toBe(false);
  });

  it('a namespace binds its own driver service account: the binding does not reach other namespaces', () => {
    const spec = BINDING.spec as {
      paramRef: { name: string; namespace: string; parameterNotFoundAction: string };
      policyName: string;
      validationActions: string[];
    };
    expect(spec).toMatchObject({ policyName: DRIVER_POLICY_NAME, paramRef: { name: SA, namespace: NS }, validationActions: ['Deny'] });
    expect(
      run(
        create(
          'pods',
          forgedPod((p) => (p.metadata.namespace = 'team-b')),
          AS_DRIVER,
          'team-b',
        ),
      ).applies,
    ).toBe(false);
    const other = namespaceBundle({ ...BUNDLE, namespace: 'team-b', driverServiceAccount: 'b-spark' });
    expect((find(other, 'ValidatingAdmissionPolicyBinding').spec as typeof spec).paramRef).toEqual({
      name: 'b-spark',
      namespace: 'team-b',
      parameterNotFoundAction: 'Allow',
    });
  });

  it('without its ServiceAccount the binding checks nothing (and no token of a deleted service account authenticates)', () => {
    expect(
      admit(
        POLICY,
        BINDING,
        [],
        create(
          'pods',
          forgedPod((p) => (p.spec.hostNetwork = true)),
        ),
      ).applies,
    ).toBe(false);
  });

  it("the policy's images are the catalog's: another catalog refuses the old image", () => {
    expect(run(create('pods', executor), policyFor(['myacr.azurecr.io/spark-py:4.0.1'])).denials).toEqual([message("catalog's images")]);
    expect(() => policyFor([])).toThrow(/catalog images/);
  });

  it('refuses every forged pod in one go: the rules are independent', () => {
    const everything = forgedPod((p) => {
      p.spec.volumes.push({ name: 'creds', secret: { secretName: 's' } }, { name: 'root', hostPath: { path: '/' } });
      p.spec.hostNetwork = true;
      p.spec.serviceAccountName = 'default';
      firstContainer(p).image = 'evil:1';
      firstContainer(p).securityContext = { privileged: true };
      labelled(p, { 'spark-role': 'driver', 'spark-app-selector': undefined });
    });
    const { denials, errors } = run(create('pods', everything));
    expect(errors).toEqual([]);
    expect(denials.length).toBeGreaterThanOrEqual(9);
  });
});
