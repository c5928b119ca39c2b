/**
 * The team-namespace manifests: infra/kubernetes/ (base and overlays) and `namespaceBundle` are
 * valid Kubernetes objects (checked against the Kubernetes OpenAPI schemas of kubernetes-models),
 * the checked-in YAML is exactly what the code generates, and the objects fit the pods the
 * dispatcher renders: service account, priority class and quota, RBAC, network policies.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LimitRange, Namespace, Pod, ResourceQuota, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import {
  clusterBundle,
  namespaceBundle,
  type KubeObjectRecord,
  type NamespaceBundleOptions,
} from '../../src/domain/render/namespaceBundle.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { sparkProperties } from '../../src/domain/render/sparkProperties.js';
import type { KubeObject } from '../../src/domain/render/kubeObjects.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import type { ClusterPort, StoredObject } from '../../src/usecases/clusterPort.js';
import { DEFAULT_IMAGES } from '../../src/settings/settingsSchema.js';
import { DEFAULT_LIMITS } from '../../src/domain/tenant/namespacePolicy.js';
import { resolved } from '../support/fixtures.js';

// ---------------------------------------------------------------- schema validation

type ModelClass = new (data: never) => { validate(): void };
/** The kinds spark-dispatch's manifests use, by apiVersion and kind. */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ResourceQuota': ResourceQuota,
  'v1/LimitRange': LimitRange,
  'v1/Pod': Pod,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': ValidatingAdmissionPolicyBinding,
};

/** Throws with the schema's words when `object` is not a valid object of its kind. */
function validateObject(object: unknown): void {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const Model = MODELS[`${String(apiVersion)}/${String(kind)}`];
  if (!Model) throw new Error(`no schema for apiVersion ${String(apiVersion)} kind ${String(kind)}`);
  new Model(structuredClone(object) as never).validate();
}

// ---------------------------------------------------------------- files

const INFRA = 'infra/kubernetes';
const isKustomization = (path: string) => basename(path) === 'kustomization.yaml';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
    })
    .sort();
}

function readDocs(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

const readDoc = (path: string): Record<string, unknown> => {
  const docs = readDocs(path);
  if (docs.length !== 1) throw new Error(`${path}: expected one document, found ${docs.length}`);
  return docs[0]!;
};

const manifestFiles = yamlFiles(INFRA).filter((p) => !isKustomization(p));
const manifestDocs = manifestFiles.flatMap((file) => readDocs(file).map((object, i) => ({ file, i, object })));

interface Kustomization {
  readonly resources?: string[];
  readonly patches?: { path: string }[];
}
const kustomization = (dir: string) => readDoc(join(dir, 'kustomization.yaml')) as Kustomization;

/** A kustomization's objects: its resources (recursively), then its strategic-merge patches. */
function build(dir: string): Record<string, unknown>[] {
  const k = kustomization(dir);
  let objects = (k.resources ?? []).flatMap((r) => {
    const path = resolve(dir, r);
    return statSync(path).isDirectory() ? build(path) : readDocs(path);
  });
  for (const { path } of k.patches ?? []) {
    for (const patch of readDocs(resolve(dir, path))) {
      const target = objects.findIndex((o) => sameObject(o, patch));
      if (target < 0) throw new Error(`${dir}/${path}: the patch matches no object of the base (${idOf(patch)})`);
      objects = objects.map((o, i) => (i === target ? mergePatch(o, patch) : o));
    }
  }
  return objects;
}

/**
 * Strategic merge as it acts on the fields the overlays patch: maps merge, lists are replaced
 * (RoleBinding.subjects has no patch merge key, so kustomize replaces it too).
 */
function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = base[k];
    out[k] = isMap(b) && isMap(v) ? mergePatch(b, v) : v;
  }
  return out;
}
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function idOf(o: unknown): string {
  const { apiVersion, kind, metadata } = o as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  return `${apiVersion}/${kind} ${metadata.namespace ?? '-'}/${metadata.name}`;
}
const sameObject = (a: unknown, b: unknown) => idOf(a) === idOf(b);
const byId = (objects: readonly unknown[]) => [...objects].sort((a, b) => idOf(a).localeCompare(idOf(b)));

// ---------------------------------------------------------------- the bundles the files must equal

const PLACEHOLDER_GUID = '00000000-0000-0000-0000-000000000000';
const SYSTEM_SA = { kind: 'ServiceAccount', name: 'spark-dispatch', namespace: 'spark-dispatch-system' } as const;
/** infra/kubernetes/base: the spark-jobs namespace with cap 20 (as driver-quota.yaml always had it), no Workload Identity. */
const BASE: NamespaceBundleOptions = {
  namespace: 'spark-jobs',
  profile: 'openshift',
  driverServiceAccount: 'spark-driver',
  priorityClassName: 'spark-dispatch-driver',
  maxConcurrentDrivers: 20,
  dispatcherPrincipal: SYSTEM_SA,
};
const AKS: NamespaceBundleOptions = {
  ...BASE,
  profile: 'aks',
  workloadIdentityClientId: PLACEHOLDER_GUID,
  dispatcherPrincipal: { kind: 'User', name: PLACEHOLDER_GUID },
};
const OPENSHIFT: NamespaceBundleOptions = { ...BASE, profile: 'openshift' };
/** The cluster-wide part: the driver PriorityClass, and the admission policy with the default catalog's images. */
const CLUSTER = { priorityClassName: 'spark-dispatch-driver', images: Object.values(DEFAULT_IMAGES).map((entry) => entry.image) };

const OPENSHIFT_EXTRAS = ['dispatcher-namespace.yaml', 'dispatcher-serviceaccount.yaml', 'dispatcher-token.yaml'];

describe('Kubernetes schema validation (kubernetes-models)', () => {
  it('finds the manifests: base and both overlays', () => {
    const dirs = new Set(manifestFiles.map((f) => relative(INFRA, dirname(f))));
    expect([...dirs].sort()).toEqual(['base', 'overlays/aks', 'overlays/openshift']);
  });

  it.each(manifestDocs.map((d) => [`${relative(INFRA, d.file)}#${d.i}`, d.object] as const))('%s is a valid object', (_name, object) => {
    expect(() => validateObject(object)).not.toThrow();
  });

  it.each(['aks', 'openshift'] as const)('every object of the %s bundle is valid', (profile) => {
    const objects = [...clusterBundle(CLUSTER), ...namespaceBundle(profile === 'aks' ? AKS : OPENSHIFT)];
    for (const object of objects) expect(() => validateObject(object), idOf(object)).not.toThrow();
  });

  it('a broken object fails: the check is real', () => {
    const [role] = namespaceBundle(BASE).filter((o) => o.kind === 'Role');
    expect(() => validateObject(role)).not.toThrow();
    expect(() => validateObject({ ...role, rules: [{ apiGroups: [''], resources: ['pods'] }] })).toThrow(/verbs/);

    const [policy] = namespaceBundle(BASE).filter((o) => o.metadata.name === 'spark-driver-ingress');
    const brokenPolicy = structuredClone(policy) as unknown as { spec: { ingress: { ports: unknown[] }[] } };
    brokenPolicy.spec.ingress[0]!.ports = [{ protocol: 'TCP', port: { number: 7078 } }];
    expect(() => validateObject(brokenPolicy)).toThrow(/port/);

    expect(() => validateObject({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: 20 } })).toThrow(/hard/);

    // The admission policy's schema is checked too: a validation without its expression, a binding without its action.
    const [, admissionPolicy] = clusterBundle(CLUSTER);
    const brokenAdmission = structuredClone(admissionPolicy) as unknown as { spec: { validations: Record<string, unknown>[] } };
    delete brokenAdmission.spec.validations[0]!.expression;
    expect(() => validateObject(brokenAdmission)).toThrow(/expression/);
    const binding = namespaceBundle(BASE).find((o) => o.kind === 'ValidatingAdmissionPolicyBinding')!;
    const brokenBinding = structuredClone(binding) as unknown as { spec: { paramRef: Record<string, unknown> } };
    brokenBinding.spec.paramRef.parameterNotFoundAction = 7;
    expect(() => validateObject(brokenBinding)).toThrow(/parameterNotFoundAction/);
    expect(() => validateObject({ apiVersion: 'v1', kind: 'Gadget', metadata: { name: 'g' } })).toThrow(/no schema/);
  });
});

describe('infra/kubernetes equals what the code generates', () => {
  it('base/*.yaml: the PriorityClass and the spark-jobs bundle (cap 20), object for object', () => {
    const files = yamlFiles(`${INFRA}/base`).filter((p) => !isKustomization(p));
    const fromFiles = files.flatMap(readDocs);
    expect(byId(fromFiles)).toEqual(byId([...clusterBundle(CLUSTER), ...namespaceBundle(BASE)]));
  });

  it('each kustomization lists exactly the files next to it', () => {
    for (const dir of [`${INFRA}/base`, `${INFRA}/overlays/aks`, `${INFRA}/overlays/openshift`]) {
      const k = kustomization(dir);
      const listed = [...(k.resources ?? []).filter((r) => !r.startsWith('..')), ...(k.patches ?? []).map((p) => p.path)].sort();
      const present = readdirSync(dir)
        .filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')
        .sort();
      expect(listed, dir).toEqual(present);
    }
  });

  it('overlays/aks: the base with its patches is the aks bundle (placeholder client id and object id)', () => {
    expect(byId(build(`${INFRA}/overlays/aks`))).toEqual(byId([...clusterBundle(CLUSTER), ...namespaceBundle(AKS)]));
  });

  it('overlays/openshift: the base with its patches is the openshift bundle, plus the dispatcher identity', () => {
    const extras = OPENSHIFT_EXTRAS.flatMap((f) => readDocs(`${INFRA}/overlays/openshift/${f}`));
    expect(byId(build(`${INFRA}/overlays/openshift`))).toEqual(byId([...clusterBundle(CLUSTER), ...namespaceBundle(OPENSHIFT), ...extras]));
    const token = extras.find((o) => o.kind === 'Secret') as {
      type: string;
      metadata: { namespace: string; annotations: Record<string, string> };
    };
    expect(token.type).toBe('kubernetes.io/service-account-token');
    expect(token.metadata.namespace).toBe(SYSTEM_SA.namespace);
    expect(token.metadata.annotations['kubernetes.io/service-account.name']).toBe(SYSTEM_SA.name);
    expect(
      extras.some((o) => o.kind === 'ServiceAccount' && sameObject(o, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: SYSTEM_SA })),
    ).toBe(true);
  });

  it('nothing for OpenShift fixes a UID: restricted-v2 assigns it', () => {
    const uidKeys = /"(runAsUser|runAsGroup|fsGroup)"/;
    expect(JSON.stringify(build(`${INFRA}/overlays/openshift`))).not.toMatch(uidKeys);
    expect(JSON.stringify(namespaceBundle(OPENSHIFT))).not.toMatch(uidKeys);
    expect(JSON.stringify(renderNative(resolved({}, { clusterProfile: 'openshift' })))).not.toMatch(uidKeys);
  });
});

// ---------------------------------------------------------------- fit with what the dispatcher renders

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
interface PolicyPort {
  protocol: string;
  port: number;
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}
interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes: string[];
  ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
  egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
}

const find = (objects: readonly KubeObjectRecord[], kind: string, name?: string): KubeObjectRecord => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in the bundle`);
  return found;
};
const rulesOf = (role: KubeObjectRecord) => role.rules as Rule[];
/** Every (apiGroup, resource, verb) a Role grants, as `group/resource:verb`. */
const grants = (role: KubeObjectRecord) =>
  new Set(rulesOf(role).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))));
const policy = (objects: readonly KubeObjectRecord[], name: string) => find(objects, 'NetworkPolicy', name).spec as NetworkPolicySpec;

/** Kubernetes label-selector semantics (metav1.LabelSelectorAsSelector). */
function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]!);
    }
  });
  return byLabels && byExpressions;
}

/**
 * What Spark 3.5 and 4.0 drivers call (see DRIVER_RULES for the Spark sources), written out again so
 * that a change to the Role has to change this list too. No Secrets, no update, no other kinds.
 */
const SPARK_DRIVER_CALLS = [
  ...['get', 'list', 'watch', 'create', 'patch', 'delete', 'deletecollection'].map((v) => `/pods:${v}`),
  '/configmaps:create',
  '/configmaps:deletecollection',
  '/services:deletecollection',
  '/persistentvolumeclaims:list',
  '/persistentvolumeclaims:create',
  '/persistentvolumeclaims:deletecollection',
];
/** What the launcher (native and operator backends, adopting half-done launches) and the sweeper call. */
const DISPATCHER_NEEDS = [
  ...['create', 'get', 'list', 'delete'].flatMap((v) => ['pods', 'configmaps', 'services'].map((r) => `/${r}:${v}`)),
  '/pods/log:get',
  '/events:list',
  ...['create', 'get', 'list', 'delete'].map((v) => `sparkoperator.k8s.io/sparkapplications:${v}`),
];

describe('the bundle fits the pods the dispatcher renders', () => {
  const job = resolved();
  const { pod } = renderNative(job);
  const aks = namespaceBundle({ ...AKS, workloadIdentityClientId: '5b4c3a2e-1d0f-4e9a-8b7c-6d5e4f3a2b1c' });
  const openshift = namespaceBundle(OPENSHIFT);
  const [priorityClass] = clusterBundle(CLUSTER);
  const driverLabels = pod.metadata.labels!;
  // Spark labels its executors spark-app-selector, spark-role=executor, spark-exec-id and
  // spark-resource-profile-id, plus every spark.kubernetes.executor.label.* the dispatcher sets.
  const executorLabels: Record<string, string> = {
    'spark-app-selector': job.names.appId,
    'spark-role': 'executor',
    'spark-exec-id': '1',
    'spark-resource-profile-id': '0',
    ...Object.fromEntries(
      Object.entries(sparkProperties(job))
        .filter(([k]) => k.startsWith('spark.kubernetes.executor.label.'))
        .map(([k, v]) => [k.slice('spark.kubernetes.executor.label.'.length), v]),
    ),
  };
  const otherPod = { app: 'something-else' };

  it.each([
    ['aks', aks],
    ['openshift', openshift],
  ] as const)("%s: the driver runs as the bundle's service account, bound to the driver Role", (_profile, bundle) => {
    const sa = find(bundle, 'ServiceAccount');
    expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
    const binding = find(bundle, 'RoleBinding', 'spark-driver') as KubeObjectRecord & { subjects: unknown[]; roleRef: { name: string } };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: job.namespace }]);
    expect(binding.roleRef.name).toBe('spark-driver');
    expect(sa.metadata.namespace).toBe(job.namespace);
  });

  it('the driver falls under the quota, which caps live pods, and carries the PriorityClass', () => {
    const quota = find(aks, 'ResourceQuota') as KubeObjectRecord & {
      spec: { hard: Record<string, string>; scopeSelector: { matchExpressions: { scopeName: string; values: string[] }[] } };
    };
    const [scope] = quota.spec.scopeSelector.matchExpressions;
    expect(scope!.scopeName).toBe('PriorityClass');
    expect(scope!.values).toEqual([pod.spec.priorityClassName]);
    expect(priorityClass!.metadata.name).toBe(pod.spec.priorityClassName);
    expect(quota.spec.hard).toEqual({ pods: '20' });
    expect(quota.metadata.namespace).toBe(job.namespace);
  });

  it("the driver Role grants exactly what Spark's driver calls: deletecollection included, no Secrets, no update", () => {
    for (const bundle of [aks, openshift]) {
      const role = find(bundle, 'Role', 'spark-driver');
      expect([...grants(role)].sort()).toEqual([...SPARK_DRIVER_CALLS].sort());
      expect(JSON.stringify(role)).not.toMatch(/secrets|"\*"|"update"/);
    }
  });

  it('the dispatcher Role covers every call of the launcher and the sweeper, and nothing on Secrets', () => {
    const role = find(aks, 'Role', 'spark-dispatch');
    const granted = grants(role);
    for (const need of DISPATCHER_NEEDS) expect(granted, need).toContain(need);
    expect([...granted].sort()).toEqual([...DISPATCHER_NEEDS].sort()); // and no more
    expect(JSON.stringify(role)).not.toMatch(/secrets|"\*"/);
    for (const rule of rulesOf(role)) expect(rule.verbs).not.toContain('watch');
  });

  it('the launcher creates only what the dispatcher Role allows (native and operator backends)', async () => {
    const granted = grants(find(aks, 'Role', 'spark-dispatch'));
    const calls: string[] = [];
    let uid = 0;
    const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
    const cluster: ClusterPort = {
      async create(object: KubeObject) {
        calls.push(`${groupOf(object.apiVersion)}/${object.kind.toLowerCase()}s:create`);
        return { ...object, metadata: { ...object.metadata, uid: `uid-${++uid}` } } as StoredObject;
      },
      async read() {
        return undefined;
      },
      async remove() {
        return true;
      },
      async list() {
        return { items: [] };
      },
      async readLog() {
        return undefined;
      },
    };
    expect((await launchJob(resolved(), cluster)).kind).toBe('launched');
    expect((await launchJob(resolved({ backend: 'operator' }), cluster)).kind).toBe('launched');
    // The operator backend creates its key claim, a ConfigMap, beside the SparkApplication.
    expect(calls.sort()).toEqual([
      '/configmaps:create',
      '/configmaps:create',
      '/pods:create',
      '/services:create',
      'sparkoperator.k8s.io/sparkapplications:create',
    ]);
    for (const call of calls) expect(granted, call).toContain(call);
  });

  it('the dispatcher RoleBinding names the principal: a User on AKS, the system ServiceAccount on OpenShift', () => {
    const subjects = (bundle: readonly KubeObjectRecord[]) =>
      (find(bundle, 'RoleBinding', 'spark-dispatch') as KubeObjectRecord & { subjects: unknown[] }).subjects;
    expect(subjects(aks)).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: PLACEHOLDER_GUID }]);
    expect(subjects(openshift)).toEqual([SYSTEM_SA]);
    expect(subjects(namespaceBundle({ ...BASE, dispatcherPrincipal: { kind: 'ServiceAccount', name: 'dispatcher' } }))).toEqual([
      { kind: 'ServiceAccount', name: 'dispatcher', namespace: 'spark-jobs' },
    ]);
    expect(() => namespaceBundle({ ...BASE, dispatcherPrincipal: { kind: 'User', name: 'x', namespace: 'y' } })).toThrow(/no namespace/);
  });

  it('Workload Identity: the aks service account carries the client id, the openshift one nothing', () => {
    expect(find(aks, 'ServiceAccount').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': '5b4c3a2e-1d0f-4e9a-8b7c-6d5e4f3a2b1c',
    });
    expect(
      find(namespaceBundle({ ...OPENSHIFT, workloadIdentityClientId: PLACEHOLDER_GUID }), 'ServiceAccount').metadata.annotations,
    ).toBeUndefined();
    expect(find(namespaceBundle({ ...AKS, workloadIdentityClientId: undefined }), 'ServiceAccount').metadata.annotations).toBeUndefined();
    // The rendered pods ask for the projected token the annotation enables.
    expect(driverLabels['azure.workload.identity/use']).toBe('true');
    expect(executorLabels['azure.workload.identity/use']).toBe('true');
  });

  it('the namespace enforces Pod Security "restricted"', () => {
    expect(find(aks, 'Namespace').metadata).toEqual({
      name: 'spark-jobs',
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/part-of': 'spark-dispatch' },
    });
  });

  it('the LimitRange admits the largest driver the job limits allow, and defaults do not undercut Spark', () => {
    const range = find(aks, 'LimitRange').spec as {
      limits: { type: string; default: Record<string, string>; defaultRequest: Record<string, string>; max: Record<string, string> }[];
    };
    const [container] = range.limits;
    expect(container!.type).toBe('Container');
    const largest = renderNative(resolved({ driver: { cores: 8, memory: '32g' } })).pod.spec.containers[0]!.resources!;
    expect(mib(largest.limits!.memory!)).toBeLessThanOrEqual(mib(container!.max.memory!));
    expect(Number(largest.requests!.cpu)).toBeLessThanOrEqual(Number(container!.default.cpu));
    expect(mib(container!.defaultRequest.memory!)).toBeLessThanOrEqual(mib(container!.default.memory!));
    // Raised job limits raise the ceiling with them.
    const raised = find(
      namespaceBundle({ ...AKS, limits: { ...DEFAULT_LIMITS, maxExecutorMemory: '128g', maxExecutorCores: 16 } }),
      'LimitRange',
    ).spec as typeof range;
    expect(raised.limits[0]!.max.memory).toBe('180Gi');
    expect(raised.limits[0]!.default.cpu).toBe('16');
  });

  it('network policies select the rendered driver and executor labels, and only Spark pods', () => {
    const deny = policy(aks, 'spark-default-deny');
    expect(deny.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny.ingress).toBeUndefined();
    expect(selects(deny.podSelector, driverLabels)).toBe(true);
    expect(selects(deny.podSelector, executorLabels)).toBe(true);
    expect(selects(deny.podSelector, otherPod)).toBe(false);

    const toDriver = policy(aks, 'spark-driver-ingress');
    expect(selects(toDriver.podSelector, driverLabels)).toBe(true);
    expect(selects(toDriver.podSelector, executorLabels)).toBe(false);
    const [fromExecutors] = toDriver.ingress!;
    expect(
      fromExecutors!.from!.some((peer) => peer.podSelector && !peer.namespaceSelector && selects(peer.podSelector, executorLabels)),
    ).toBe(true);
    expect(fromExecutors!.from!.some((peer) => selects(peer.podSelector ?? {}, otherPod))).toBe(false);
    // Every port the driver container declares (7078, 7079, 4040).
    const driverPorts = pod.spec.containers[0]!.ports!.map((p) => p.containerPort).sort();
    expect(driverPorts).toEqual([4040, 7078, 7079]);
    expect(fromExecutors!.ports!.map((p) => p.port).sort()).toEqual(driverPorts);

    const toExecutors = policy(aks, 'spark-executor-ingress');
    expect(selects(toExecutors.podSelector, executorLabels)).toBe(true);
    expect(selects(toExecutors.podSelector, driverLabels)).toBe(false);
    expect(toExecutors.ingress![0]!.from!.some((peer) => selects(peer.podSelector ?? {}, driverLabels))).toBe(true);
    expect(toExecutors.ingress![0]!.ports).toEqual([{ protocol: 'TCP', port: 7079 }]);

    const egress = policy(aks, 'spark-egress');
    expect(selects(egress.podSelector, driverLabels) && selects(egress.podSelector, executorLabels)).toBe(true);
    const rules = egress.egress!;
    const toSpark = rules.find((r) => r.to?.some((p) => p.podSelector && selects(p.podSelector, driverLabels)));
    expect(toSpark!.ports!.map((p) => p.port)).toEqual([7078, 7079]);
    const dns = rules.find((r) => r.to?.some((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system'));
    expect(dns!.ports).toEqual(
      expect.arrayContaining([
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ]),
    );
    const api = rules.find((r) => r.ports?.some((p) => p.port === 6443));
    expect(api!.ports).toEqual([
      { protocol: 'TCP', port: 443 },
      { protocol: 'TCP', port: 6443 },
    ]);
    const storage = rules.at(-1)!;
    expect(storage).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
  });

  it('storage and API server egress narrow to the given CIDRs', () => {
    const narrowed = policy(
      namespaceBundle({ ...AKS, storageEgressCidrs: ['10.1.2.0/24', '10.1.3.4/32'], apiServerCidrs: ['10.0.0.1/32'] }),
      'spark-egress',
    );
    const rules = narrowed.egress!;
    expect(rules.find((r) => r.ports?.some((p) => p.port === 6443))!.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    expect(rules.at(-1)!.to).toEqual([{ ipBlock: { cidr: '10.1.2.0/24' } }, { ipBlock: { cidr: '10.1.3.4/32' } }]);
    expect(JSON.stringify(narrowed)).not.toContain('0.0.0.0/0');
  });

  it('IMDS stays unreachable unless asked for (storage.auth managed-identity)', () => {
    expect(JSON.stringify(namespaceBundle(AKS))).not.toContain('169.254.169.254');
    const rules = policy(namespaceBundle({ ...AKS, instanceMetadataEgress: true }), 'spark-egress').egress!;
    expect(rules.at(-1)).toEqual({ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'TCP', port: 80 }] });
  });
});

function mib(quantity: string): number {
  const match = /^([0-9]+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}
