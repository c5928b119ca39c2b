/**
 * The Kubernetes API stand-in through real HTTP: @kubernetes/client-node for what it can express,
 * raw fetch for the rest. Each test works in its own namespace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { StandIn } from '../../dev/kube-standin/index.js';
import { useStandIn } from '../support/standInHarness.js';

const harness = useStandIn('api', { seed: 1 });
const freshNamespace = (): string => harness.freshNamespace();
let standIn: StandIn;
let core: CoreV1Api;
let custom: CustomObjectsApi;

beforeAll(() => {
  standIn = harness.standIn;
  core = harness.client(CoreV1Api);
  custom = harness.client(CustomObjectsApi);
});

interface Status {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason: string; message: string; field?: string }[] };
  metadata: Record<string, unknown>;
}

/** The Status of a failed client-node call (ApiException.body is the JSON text). */
async function failure(call: Promise<unknown>, code: number): Promise<Status> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    const e = error as ApiException<unknown>;
    expect(e.code).toBe(code);
    return (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Status;
  }
  throw new Error(`expected HTTP ${code}, the call succeeded`);
}

async function raw(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${standIn.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const pod = (name: string, extra: Partial<V1Pod> = {}, labels: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels, ...(extra.metadata ?? {}) },
  spec: { containers: [{ name: 'main', image: 'spark:3.5.1' }], ...(extra.spec ?? {}) },
  ...(extra.status ? { status: extra.status } : {}),
});

describe('create and get', () => {
  it('stores a pod with uid, resourceVersion, creationTimestamp, defaults and Pending status (ignoring the body status)', async () => {
    const namespace = freshNamespace();
    const created = await core.createNamespacedPod({ namespace, body: pod('p1', { status: { phase: 'Running' } }) });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.namespace).toBe(namespace);
    expect(created.status?.phase).toBe('Pending');
    expect(created.status?.qosClass).toBe('BestEffort');
    expect(created.spec?.restartPolicy).toBe('Always');
    expect(created.spec?.serviceAccountName).toBe('default');
    expect(created.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    // second precision, RFC 3339
    const { json } = await raw('GET', `/api/v1/namespaces/${namespace}/pods/p1`);
    expect((json.metadata as { creationTimestamp: string }).creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const got = await core.readNamespacedPod({ namespace, name: 'p1' });
    expect(got.metadata?.uid).toBe(created.metadata?.uid);

    const second = await core.createNamespacedPod({ namespace, body: pod('p2') });
    expect(Number(second.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
  });

  it('computes the QoS class from requests and limits as the API server does', async () => {
    const namespace = freshNamespace();
    const guaranteed = await core.createNamespacedPod({
      namespace,
      body: pod('g', { spec: { containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } }),
    });
    expect(guaranteed.status?.qosClass).toBe('Guaranteed');
    // requests are defaulted from limits
    expect(guaranteed.spec?.containers[0]?.resources?.requests).toEqual({ cpu: '1', memory: '1Gi' });
    const burstable = await core.createNamespacedPod({
      namespace,
      body: pod('b', {
        spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '500m' }, limits: { memory: '1Gi' } } }] },
      }),
    });
    expect(burstable.status?.qosClass).toBe('Burstable');
  });

  it('answers 409 AlreadyExists with the real Status body', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('dup') });
    const status = await failure(core.createNamespacedPod({ namespace, body: pod('dup') }), 409);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "dup" already exists',
      reason: 'AlreadyExists',
      details: { name: 'dup', kind: 'pods' },
      code: 409,
    });
  });

  it('answers 404 NotFound for a missing object and for a missing namespace', async () => {
    const namespace = freshNamespace();
    const status = await failure(core.readNamespacedPod({ namespace, name: 'ghost' }), 404);
    expect(status.message).toBe('pods "ghost" not found');
    expect(status.reason).toBe('NotFound');
    expect(status.details).toEqual({ name: 'ghost', kind: 'pods' });
    const noNs = await failure(core.createNamespacedConfigMap({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }), 404);
    expect(noNs.message).toBe('namespaces "no-such-ns" not found');
    expect(noNs.details).toEqual({ name: 'no-such-ns', kind: 'namespaces' });
  });

  it('refuses invalid names with 422 Invalid and field causes', async () => {
    const namespace = freshNamespace();
    const long = await failure(
      core.createNamespacedService({ namespace, body: { metadata: { name: `s${'a'.repeat(63)}` }, spec: { ports: [{ port: 80 }] } } }),
      422,
    );
    expect(long.reason).toBe('Invalid');
    expect(long.details?.kind).toBe('Service');
    expect(long.details?.causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "s${'a'.repeat(63)}": must be no more than 63 characters`,
    });

    const upper = await failure(core.createNamespacedPod({ namespace, body: pod('Driver') }), 422);
    expect(upper.message).toBe(
      `Pod "Driver" is invalid: metadata.name: Invalid value: "Driver": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );

    const digit = await failure(
      core.createNamespacedService({ namespace, body: { metadata: { name: '2fast' }, spec: { ports: [{ port: 80 }] } } }),
      422,
    );
    expect(digit.details?.causes?.[0]?.message).toContain(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character",
    );
    // the same name is fine for a pod (DNS-1123 subdomain)
    await core.createNamespacedPod({ namespace, body: pod('2fast') });

    const noName = await failure(core.createNamespacedConfigMap({ namespace, body: { metadata: {} } }), 422);
    expect(noName.message).toBe('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');

    const noContainers = await failure(
      raw('POST', `/api/v1/namespaces/${namespace}/pods`, { metadata: { name: 'empty' }, spec: {} }).then(throwStatus),
      422,
    );
    expect(noContainers.details?.causes).toContainEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers',
    });

    const badLabel = await failure(
      core.createNamespacedPod({ namespace, body: pod('labelled', {}, { 'bad key!': 'v', ok: 'not ok!' }) }),
      422,
    );
    expect(badLabel.details?.causes?.map((c) => c.field)).toEqual(['metadata.labels', 'metadata.labels']);
    expect(badLabel.message).toContain(
      'Invalid value: "not ok!": a valid label must be an empty string or consist of alphanumeric characters',
    );
  });

  it('checks the body namespace against the path and generates names', async () => {
    const namespace = freshNamespace();
    const mismatch = await failure(
      core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'x', namespace: 'default' } } }),
      400,
    );
    expect(mismatch.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    const generated = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { generateName: 'spark-conf-' }, data: { a: 'b' } },
    });
    expect(generated.metadata?.name).toMatch(/^spark-conf-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('serves dryRun=All: every check runs, nothing is stored', async () => {
    const namespace = freshNamespace();
    const dry = await core.createNamespacedPod({ namespace, body: pod('dry'), dryRun: 'All' });
    expect(dry.metadata?.uid).toBeTruthy();
    expect(dry.metadata?.creationTimestamp).toBeTruthy();
    expect(dry.status?.phase).toBe('Pending');
    await failure(core.readNamespacedPod({ namespace, name: 'dry' }), 404);
    await failure(core.createNamespacedPod({ namespace, body: pod('Bad'), dryRun: 'All' }), 422);
    await core.createNamespacedPod({ namespace, body: pod('real') });
    await failure(core.createNamespacedPod({ namespace, body: pod('real'), dryRun: 'All' }), 409);
    const deleted = await core.deleteNamespacedPod({ namespace, name: 'real', dryRun: 'All' });
    expect(deleted.metadata?.name).toBe('real');
    await core.readNamespacedPod({ namespace, name: 'real' });
  });

  // The cases checked on kube-apiserver too are in test/realkube/apiErrors.test.ts ("metadata alone…").
  it.each([
    [
      'meta.k8s.io/v1beta1 as well as v1',
      'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1',
      'PartialObjectMetadata',
      'meta.k8s.io/v1beta1',
    ],
    ['a quality value is no transformation', 'application/json;q=0.9', 'ConfigMap', 'v1'],
    ['any type', '*/*', 'ConfigMap', 'v1'],
  ])('answers as the Accept header asks: %s', async (_, accept, kind, apiVersion) => {
    const namespace = freshNamespace();
    const answer = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'negotiated' }, data: { a: 'b' } }),
    });
    expect(answer.status).toBe(201);
    expect(await answer.json()).toMatchObject({ kind, apiVersion, metadata: { name: 'negotiated', namespace } });
  });
});

async function throwStatus(r: { status: number; json: Record<string, unknown> }): Promise<never> {
  throw new ApiException(r.status, 'raw', JSON.stringify(r.json), {});
}

describe('list', () => {
  it('filters by every label selector form, sorted by name', async () => {
    const namespace = freshNamespace();
    const specs: [string, Record<string, string>][] = [
      ['a', { app: 'spark', tier: 'driver' }],
      ['b', { app: 'spark', tier: 'executor' }],
      ['c', { app: 'other' }],
      ['d', {}],
    ];
    for (const [name, labels] of [...specs].reverse()) await core.createNamespacedPod({ namespace, body: pod(name, {}, labels) });
    const names = async (labelSelector: string) =>
      (await core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => p.metadata?.name);
    expect(await names('')).toEqual(['a', 'b', 'c', 'd']);
    expect(await names('app=spark')).toEqual(['a', 'b']);
    expect(await names('app==spark')).toEqual(['a', 'b']);
    expect(await names('app!=spark')).toEqual(['c', 'd']);
    expect(await names('tier in (driver, executor)')).toEqual(['a', 'b']);
    expect(await names('tier notin (driver)')).toEqual(['b', 'c', 'd']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c', 'd']);
    expect(await names('app=spark,tier=executor')).toEqual(['b']);
    expect(await names('app in (spark),!tier')).toEqual([]);
    const bad = await failure(core.listNamespacedPod({ namespace, labelSelector: 'app in spark' }), 400);
    expect(bad.reason).toBe('BadRequest');
    await failure(core.listNamespacedPod({ namespace, labelSelector: 'app=(x' }), 400);
  });

  it('filters by field selectors and refuses unsupported fields as the real server does', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('run') });
    await core.createNamespacedPod({ namespace, body: pod('wait') });
    standIn.setPodStatus(namespace, 'run', { phase: 'Running' });
    const names = async (fieldSelector: string) =>
      (await core.listNamespacedPod({ namespace, fieldSelector })).items.map((p) => p.metadata?.name);
    expect(await names('status.phase=Running')).toEqual(['run']);
    expect(await names('status.phase!=Running')).toEqual(['wait']);
    expect(await names('metadata.name==wait')).toEqual(['wait']);
    expect(await names(`metadata.namespace=${namespace},status.phase=Pending`)).toEqual(['wait']);
    // a running pod is bound to a node; a pending one has none
    expect(await names('spec.nodeName=')).toEqual(['wait']);
    const unsupported = await failure(core.listNamespacedPod({ namespace, fieldSelector: 'spec.priority=1' }), 400);
    expect(unsupported.message).toBe('field label not supported: spec.priority');
    const cm = await failure(core.listNamespacedConfigMap({ namespace, fieldSelector: 'data.x=1' }), 400);
    expect(cm.message).toBe('"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('lists across namespaces in key order (namespace, then name)', async () => {
    const first = freshNamespace();
    const second = freshNamespace();
    await core.createNamespacedPod({ namespace: second, body: pod('x', {}, { group: 'cross' }) });
    await core.createNamespacedPod({ namespace: first, body: pod('y', {}, { group: 'cross' }) });
    const all = await core.listPodForAllNamespaces({ labelSelector: 'group=cross' });
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([`${first}/y`, `${second}/x`]);
  });

  it('paginates 25 objects with limit 10 in 3 pages from a consistent snapshot', async () => {
    const namespace = freshNamespace();
    for (let i = 0; i < 25; i++) await core.createNamespacedPod({ namespace, body: pod(`p-${String(i).padStart(2, '0')}`) });
    const seen: string[] = [];
    const sizes: number[] = [];
    const remaining: (number | undefined)[] = [];
    let token: string | undefined;
    let page = 0;
    do {
      const list = await core.listNamespacedPod({ namespace, limit: 10, ...(token ? { _continue: token } : {}) });
      sizes.push(list.items.length);
      remaining.push(list.metadata?.remainingItemCount);
      seen.push(...list.items.map((p) => p.metadata?.name ?? ''));
      token = list.metadata?._continue;
      if (page++ === 0) {
        // changes after the first page do not show up in the later ones
        await core.createNamespacedPod({ namespace, body: pod('p-99') });
        await core.deleteNamespacedPod({ namespace, name: 'p-24' });
      }
    } while (token);
    expect(sizes).toEqual([10, 10, 5]);
    expect(remaining).toEqual([15, 5, undefined]);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`));
    // a selector-filtered list fills its pages too, without remainingItemCount
    const filtered = await core.listNamespacedPod({ namespace, limit: 10, fieldSelector: 'metadata.name!=p-00' });
    expect(filtered.items).toHaveLength(10);
    expect(filtered.metadata?.remainingItemCount).toBeUndefined();
    const bad = await failure(core.listNamespacedPod({ namespace, limit: 10, _continue: 'not-a-token' }), 400);
    expect(bad.message).toMatch(/^invalid continue token: continue key is not valid: /);
  });
});

describe('update and patch', () => {
  it('updates with optimistic concurrency: 409 Conflict on a stale resourceVersion', async () => {
    const namespace = freshNamespace();
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm' }, data: { a: '1' } } });
    const updated = await core.replaceNamespacedConfigMap({ namespace, name: 'cm', body: { ...created, data: { a: '2' } } });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);
    expect(updated.metadata?.creationTimestamp).toEqual(created.metadata?.creationTimestamp);
    const stale = await failure(core.replaceNamespacedConfigMap({ namespace, name: 'cm', body: { ...created, data: { a: '3' } } }), 409);
    expect(stale).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on configmaps "cm": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'cm', kind: 'configmaps' },
      code: 409,
    });
    // configmaps allow an unconditional update (no resourceVersion)
    const unconditional = await core.replaceNamespacedConfigMap({
      namespace,
      name: 'cm',
      body: { metadata: { name: 'cm' }, data: { a: '4' } },
    });
    expect(unconditional.data).toEqual({ a: '4' });
    // an update that changes nothing keeps the resourceVersion
    const same = await core.replaceNamespacedConfigMap({ namespace, name: 'cm', body: unconditional });
    expect(same.metadata?.resourceVersion).toBe(unconditional.metadata?.resourceVersion);
    await failure(core.replaceNamespacedConfigMap({ namespace, name: 'other', body: { metadata: { name: 'other' } } }), 404);
    const renamed = await failure(core.replaceNamespacedConfigMap({ namespace, name: 'cm', body: { metadata: { name: 'x' } } }), 400);
    expect(renamed.message).toBe('the name of the object (x) does not match the name on the URL (cm)');
  });

  it('refuses data changes to an immutable ConfigMap', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'conf' }, immutable: true, data: { 'spark.properties': 'a=1' } },
    });
    const status = await failure(
      core.patchNamespacedConfigMap(
        { namespace, name: 'conf', body: { data: { 'spark.properties': 'a=2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      422,
    );
    expect(status.message).toBe('ConfigMap "conf" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    // metadata may still change
    const labelled = await core.patchNamespacedConfigMap(
      { namespace, name: 'conf', body: { metadata: { labels: { x: 'y' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.labels).toEqual({ x: 'y' });
  });

  it('applies merge, strategic merge and JSON patches', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('p', {}, { a: '1', b: '2' }) });
    const merged = await core.patchNamespacedPod(
      { namespace, name: 'p', body: { metadata: { labels: { a: null, c: '3' } }, status: { phase: 'Succeeded' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ b: '2', c: '3' });
    // status only changes through pods/status
    expect(merged.status?.phase).toBe('Pending');

    const status = await core.patchNamespacedPodStatus(
      { namespace, name: 'p', body: { status: { conditions: [{ type: 'Ready', status: 'False' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const status2 = await core.patchNamespacedPodStatus(
      { namespace, name: 'p', body: { status: { conditions: [{ type: 'PodScheduled', status: 'True' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(status.status?.conditions?.map((c) => c.type)).toEqual(['Ready']);
    // strategic merge: conditions merged by type (a merge patch would have replaced the list)
    expect(status2.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=False', 'PodScheduled=True']);

    const jsonPatched = await core.patchNamespacedPod({
      namespace,
      name: 'p',
      body: [
        { op: 'test', path: '/metadata/labels/b', value: '2' },
        { op: 'add', path: '/metadata/annotations', value: { note: 'x' } },
        { op: 'replace', path: '/metadata/labels/b', value: '20' },
        { op: 'remove', path: '/metadata/labels/c' },
      ],
    });
    expect(jsonPatched.metadata?.labels).toEqual({ b: '20' });
    expect(jsonPatched.metadata?.annotations).toEqual({ note: 'x' });

    const failedTest = await failure(
      core.patchNamespacedPod({ namespace, name: 'p', body: [{ op: 'test', path: '/metadata/labels/b', value: 'nope' }] }),
      422,
    );
    expect(failedTest.reason).toBe('Invalid');
    expect(failedTest.details?.causes?.[0]?.message).toBe('testing value /metadata/labels/b failed: test failed');

    const stale = await failure(
      core.patchNamespacedPod(
        { namespace, name: 'p', body: { metadata: { resourceVersion: '1', labels: { z: '1' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      409,
    );
    expect(stale.reason).toBe('Conflict');
    const spec = await failure(
      core.patchNamespacedPod(
        { namespace, name: 'p', body: { spec: { restartPolicy: 'Never' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      422,
    );
    expect(spec.message).toContain('spec: Forbidden: pod updates may not change fields other than');
  });
});

describe('delete', () => {
  it('returns the pod for a pod, a Status for a ConfigMap, and honours preconditions', async () => {
    const namespace = freshNamespace();
    const created = await core.createNamespacedPod({ namespace, body: pod('gone') });
    const wrong = await failure(
      core.deleteNamespacedPod({ namespace, name: 'gone', body: { preconditions: { uid: 'not-the-uid' } } }),
      409,
    );
    expect(wrong.reason).toBe('Conflict');
    expect(wrong.message).toBe(
      `Operation cannot be fulfilled on Pod "gone": the UID in the precondition (not-the-uid) does not match the UID in record (${created.metadata?.uid}). The object might have been deleted and then recreated`,
    );
    const staleRv = await failure(
      core.deleteNamespacedPod({ namespace, name: 'gone', body: { preconditions: { resourceVersion: '1' } } }),
      409,
    );
    expect(staleRv.message).toMatch(
      /^Operation cannot be fulfilled on Pod "gone": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(\d+\)\. The object might have been modified$/,
    );
    const deleted = await core.deleteNamespacedPod({
      namespace,
      name: 'gone',
      body: { preconditions: { uid: created.metadata?.uid ?? '' } },
    });
    expect(deleted.metadata?.uid).toBe(created.metadata?.uid);
    await failure(core.readNamespacedPod({ namespace, name: 'gone' }), 404);
    await failure(core.deleteNamespacedPod({ namespace, name: 'gone' }), 404);

    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm' } } });
    const status = await core.deleteNamespacedConfigMap({ namespace, name: 'cm' });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'cm', kind: 'configmaps', uid: cm.metadata?.uid } });
  });

  it('deletes a collection by label selector and returns the deleted objects', async () => {
    const namespace = freshNamespace();
    for (const [name, role] of [
      ['e1', 'executor'],
      ['e2', 'executor'],
      ['d', 'driver'],
    ]) {
      await core.createNamespacedPod({ namespace, body: pod(name ?? '', {}, { 'spark-role': role ?? '' }) });
    }
    const { status, json } = await raw('DELETE', `/api/v1/namespaces/${namespace}/pods?labelSelector=spark-role%3Dexecutor`);
    expect(status).toBe(200);
    expect(json.kind).toBe('PodList');
    expect((json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['e1', 'e2']);
    expect((await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name)).toEqual(['d']);
  });
});

describe('pods/log', () => {
  it('serves the log set through the control API, with tailLines and limitBytes', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('driver') });
    standIn.setPodLog(namespace, 'driver', 'line 1\nline 2\nline 3\n');
    expect(await core.readNamespacedPodLog({ namespace, name: 'driver' })).toBe('line 1\nline 2\nline 3\n');
    expect(await core.readNamespacedPodLog({ namespace, name: 'driver', tailLines: 2 })).toBe('line 2\nline 3\n');
    const res = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/driver/log?tailLines=2&limitBytes=4`);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('line');
    const missing = await raw('GET', `/api/v1/namespaces/${namespace}/pods/nobody/log`);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('pods "nobody" not found');
    const wrongContainer = await raw('GET', `/api/v1/namespaces/${namespace}/pods/driver/log?container=sidecar`);
    expect(wrongContainer.status).toBe(400);
    expect(wrongContainer.json.message).toBe('container sidecar is not valid for pod driver');
  });
});

describe('pods/log with timestamps, since, and a lost node', () => {
  it('stamps each line with when the runtime received it (RFC3339Nano), and selects by sinceTime and sinceSeconds', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('driver') });
    const now = standIn.now().getTime();
    const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
    standIn.appendPodLog(namespace, 'driver', [
      { text: '26/03/10 11:00:00 INFO SparkContext: Running Spark version 3.5.3', at: at(3600) },
      { text: 'step 1\nstep 2', at: at(600) },
    ]);
    standIn.appendPodLog(namespace, 'driver', [{ text: 'step 3', at: at(30) }]);
    const lines = (await core.readNamespacedPodLog({ namespace, name: 'driver', timestamps: true })).split('\n');
    expect(lines).toEqual([
      `${at(3600).replace(/\.(\d{3})Z$/, '.$1000000Z')} 26/03/10 11:00:00 INFO SparkContext: Running Spark version 3.5.3`,
      `${at(600).replace(/\.(\d{3})Z$/, '.$1000000Z')} step 1`,
      `${at(600).replace(/\.(\d{3})Z$/, '.$1000000Z')} step 2`,
      `${at(30).replace(/\.(\d{3})Z$/, '.$1000000Z')} step 3`,
      '',
    ]);
    expect(await core.readNamespacedPodLog({ namespace, name: 'driver', sinceSeconds: 700 })).toBe('step 1\nstep 2\nstep 3\n');
    expect(
      await (
        await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/driver/log?sinceTime=${encodeURIComponent(at(60))}&tailLines=5`)
      ).text(),
    ).toBe('step 3\n');
    const both = await raw('GET', `/api/v1/namespaces/${namespace}/pods/driver/log?sinceSeconds=5&sinceTime=${encodeURIComponent(at(60))}`);
    expect([both.status, both.json.message]).toEqual([400, 'at most one of `sinceTime` or `sinceSeconds` may be specified']);
  });

  it("fails as the API server's proxy does while the pod's node is unreachable, and serves the log again once it is back", async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('driver') });
    standIn.setPodStatus(namespace, 'driver', { phase: 'Running', nodeName: 'node-7' });
    standIn.setPodLog(namespace, 'driver', 'alive\n');
    standIn.setNodeReachable('node-7', false);
    const lost = await raw('GET', `/api/v1/namespaces/${namespace}/pods/driver/log`);
    expect(lost.status).toBe(500);
    expect(lost.json.message).toBe(
      `Get "https://10.0.0.10:10250/containerLogs/${namespace}/driver/main": dial tcp 10.0.0.10:10250: i/o timeout`,
    );
    standIn.setNodeReachable('node-7', true);
    expect(await core.readNamespacedPodLog({ namespace, name: 'driver' })).toBe('alive\n');
    expect(standIn.objects('pods', namespace)[0]?.spec).toMatchObject({ nodeName: 'node-7' });
  });
});

describe('events about pods, and the cluster clock', () => {
  it('records events as their reporters do: a repeat bumps count and lastTimestamp; field selectors find them', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('driver') });
    await core.createNamespacedPod({ namespace, body: pod('other') });
    standIn.recordPodEvent(namespace, 'driver', {
      type: 'Warning',
      reason: 'FailedScheduling',
      message: '0/3 nodes are available: 3 Insufficient memory.',
      component: 'default-scheduler',
      at: '2026-03-10T11:00:00Z',
    });
    standIn.recordPodEvent(namespace, 'driver', {
      type: 'Warning',
      reason: 'FailedScheduling',
      message: '0/3 nodes are available: 3 Insufficient memory.',
      component: 'default-scheduler',
      at: '2026-03-10T11:05:00Z',
    });
    standIn.recordPodEvent(namespace, 'driver', {
      type: 'Normal',
      reason: 'NotTriggerScaleUp',
      message: "pod didn't trigger scale-up: 1 max node group size reached",
      component: 'cluster-autoscaler',
      at: '2026-03-10T11:01:00Z',
    });
    standIn.recordPodEvent(namespace, 'other', {
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned',
      component: 'default-scheduler',
    });
    const found = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=driver,involvedObject.kind=Pod' });
    expect(found.items.map((e) => [e.reason, e.count, e.type, e.source?.component])).toEqual([
      ['FailedScheduling', 2, 'Warning', 'default-scheduler'],
      ['NotTriggerScaleUp', 1, 'Normal', 'cluster-autoscaler'],
    ]);
    expect(found.items[0]?.firstTimestamp?.toISOString()).toBe('2026-03-10T11:00:00.000Z');
    expect(found.items[0]?.lastTimestamp?.toISOString()).toBe('2026-03-10T11:05:00.000Z');
  });

  it('advanceClock moves what the cluster writes: creation times, status times and log lines carry the later time', async () => {
    const namespace = freshNamespace();
    const before = standIn.now().getTime();
    standIn.advanceClock(3 * 3600_000);
    await core.createNamespacedPod({ namespace, body: pod('later') });
    standIn.setPodStatus(namespace, 'later', { phase: 'Running' });
    standIn.setPodLog(namespace, 'later', 'hello\n');
    const stored = standIn.objects('pods', namespace)[0]!;
    const created = Date.parse(stored.metadata.creationTimestamp);
    expect(created).toBeGreaterThanOrEqual(before + 3 * 3600_000 - 1000);
    expect(Date.parse((stored.status as { startTime: string }).startTime)).toBe(created);
    const line = await core.readNamespacedPodLog({ namespace, name: 'later', timestamps: true });
    expect(Date.parse(line.split(' ')[0]!)).toBeGreaterThanOrEqual(created);
    expect(() => standIn.advanceClock(-1)).toThrow('the clock only runs forward');
  });
});

describe('custom resources', () => {
  const group = 'sparkoperator.k8s.io';
  const version = 'v1beta2';
  const plural = 'sparkapplications';
  const app = (name: string) => ({
    apiVersion: `${group}/${version}`,
    kind: 'SparkApplication',
    metadata: { name },
    spec: { type: 'Python', mode: 'cluster' },
    status: { x: 1 },
  });

  it('creates, lists, patches and deletes SparkApplications', async () => {
    const namespace = freshNamespace();
    const created = (await custom.createNamespacedCustomObject({ group, version, namespace, plural, body: app('wordcount') })) as {
      metadata: { generation: number; uid: string };
      status?: unknown;
    };
    expect(created.metadata.generation).toBe(1);
    expect(created.status).toBeUndefined();
    const list = (await custom.listNamespacedCustomObject({ group, version, namespace, plural })) as {
      kind: string;
      items: { kind: string }[];
    };
    expect(list.kind).toBe('SparkApplicationList');
    expect(list.items[0]?.kind).toBe('SparkApplication');
    const patched = (await custom.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: 'wordcount', body: { spec: { mode: 'client' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number } };
    expect(patched.metadata.generation).toBe(2);
    const strategic = await raw(
      'PATCH',
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}/wordcount`,
      { spec: {} },
      PatchStrategy.StrategicMergePatch,
    );
    expect(strategic.status).toBe(415);
    const missingKind = await raw('POST', `/apis/${group}/${version}/namespaces/${namespace}/${plural}`, { metadata: { name: 'x' } });
    expect(missingKind.status).toBe(400);
    const noRv = await raw('PUT', `/apis/${group}/${version}/namespaces/${namespace}/${plural}/wordcount`, app('wordcount'));
    expect(noRv.status).toBe(422);
    expect(noRv.json.message).toBe(
      'SparkApplication.sparkoperator.k8s.io "wordcount" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    const gone = (await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'wordcount' })) as {
      kind: string;
      status: string;
    };
    expect(gone).toMatchObject({ kind: 'Status', status: 'Success' });
    const missing = await failure(custom.getNamespacedCustomObject({ group, version, namespace, plural, name: 'wordcount' }), 404);
    expect(missing.message).toBe('sparkapplications.sparkoperator.k8s.io "wordcount" not found');
    expect(missing.details).toEqual({ name: 'wordcount', group, kind: 'sparkapplications' });
  });
});

describe('discovery and routing', () => {
  it('serves /version, /api, /api/v1, /apis and group resource lists', async () => {
    expect((await raw('GET', '/version')).json.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect((await raw('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const v1 = (await raw('GET', '/api/v1')).json as {
      resources: { name: string; namespaced: boolean; kind: string; shortNames?: string[]; verbs: string[] }[];
    };
    const byName = new Map(v1.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'] });
    expect(byName.get('pods')?.verbs).toContain('deletecollection');
    expect(byName.get('namespaces')).toMatchObject({ namespaced: false, shortNames: ['ns'] });
    expect(byName.get('resourcequotas')?.shortNames).toEqual(['quota']);
    expect(byName.get('pods/log')?.verbs).toEqual(['get']);
    for (const [name, short] of [
      ['configmaps', 'cm'],
      ['services', 'svc'],
      ['events', 'ev'],
    ]) {
      expect(byName.get(name ?? '')?.shortNames).toEqual([short]);
    }
    const groups = (await raw('GET', '/apis')).json as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name).sort()).toEqual(['scheduling.k8s.io', 'sparkoperator.k8s.io']);
    const spark = (await raw('GET', '/apis/sparkoperator.k8s.io/v1beta2')).json as { resources: { name: string; kind: string }[] };
    expect(spark.resources.map((r) => r.name)).toContain('sparkapplications');
    expect((await raw('GET', '/apis/scheduling.k8s.io/v1')).json).toMatchObject({ groupVersion: 'scheduling.k8s.io/v1' });
  });

  it('answers unknown paths with 404 and unsupported verbs with 405, as Status objects', async () => {
    const unknown = await raw('GET', '/api/v1/namespaces/default/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect(unknown.headers.get('content-type')).toBe('application/json');
    const verb = await raw('POST', '/api/v1/namespaces/default/pods/some-pod', {});
    expect(verb.status).toBe(405);
    expect(verb.json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  });

  it('accepts the protobuf bodies of kubectl create, answering in JSON', async () => {
    // kubectl create namespace proto-ns (k8s protobuf envelope around a v1 Namespace)
    const body = Buffer.from(
      '6b3873000a0f0a02763112094e616d65737061636512200a180a0870726f746f2d6e7312001a0022002a0032003800420012001a020a001a002200',
      'hex',
    );
    const res = await fetch(`${standIn.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(((await res.json()) as { metadata: { name: string } }).metadata.name).toBe('proto-ns');
    expect((await core.readNamespace({ name: 'proto-ns' })).status?.phase).toBe('Active');
  });

  it('accepts a bearer token and anonymous requests alike', async () => {
    const withToken = await fetch(`${standIn.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer anything' } });
    expect(withToken.status).toBe(200);
    expect(standIn.kubeconfig({ token: 't0k', namespace: 'jobs' })).toContain('token: t0k');
  });

  it('streams watch events', async () => {
    const namespace = freshNamespace();
    const controller = new AbortController();
    const res = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/configmaps?watch=true&labelSelector=w%3D1`, {
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'ignored' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'watched', labels: { w: '1' } } } });
    await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
    let text = '';
    while (text.split('\n').length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED watched', 'DELETED watched']);
  });
});

describe('malformed bodies and parameters', () => {
  // transformDecodeError once the kind is known (the body's, else the request's): as a kube-apiserver words it.
  const unrecognized = (kind: string, detail: string) =>
    `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${detail}`;

  it('refuses metadata and data of the wrong JSON type with 400, as the decoder words it, and stores nothing', async () => {
    const namespace = freshNamespace();
    const cases: [string, string, unknown, string][] = [
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', labels: ['a'] } },
        'array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
      ],
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', labels: { a: 1 } } },
        'number into Go struct field ObjectMeta.metadata.labels of type string',
      ],
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', annotations: { a: true } } },
        'bool into Go struct field ObjectMeta.metadata.annotations of type string',
      ],
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', annotations: 'a=b' } },
        'string into Go struct field ObjectMeta.metadata.annotations of type map[string]string',
      ],
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', finalizers: 'example.com/hold' } },
        'string into Go struct field ObjectMeta.metadata.finalizers of type []string',
      ],
      [
        'pods',
        'Pod',
        { ...pod('p'), metadata: { name: 'p', finalizers: [{ name: 'x' }] } },
        'object into Go struct field ObjectMeta.metadata.finalizers of type string',
      ],
      ['pods', 'Pod', { ...pod('p'), metadata: { name: 7 } }, 'number into Go struct field ObjectMeta.metadata.name of type string'],
      [
        'configmaps',
        'ConfigMap',
        { metadata: { name: 'c' }, data: { 'a.txt': 1 } },
        'number into Go struct field ConfigMap.data of type string',
      ],
      [
        'configmaps',
        'ConfigMap',
        { metadata: { name: 'c' }, data: ['a'] },
        'array into Go struct field ConfigMap.data of type map[string]string',
      ],
      [
        'resourcequotas',
        'ResourceQuota',
        { metadata: { name: 'q' }, spec: { hard: ['pods'] } },
        'array into Go struct field ResourceQuotaSpec.spec.hard of type v1.ResourceList',
      ],
      [
        'resourcequotas',
        'ResourceQuota',
        { metadata: { name: 'q' }, spec: { hard: '10' } },
        'string into Go struct field ResourceQuotaSpec.spec.hard of type v1.ResourceList',
      ],
    ];
    for (const [plural, kind, body, detail] of cases) {
      const res = await raw('POST', `/api/v1/namespaces/${namespace}/${plural}`, body);
      expect([plural, res.status, res.json.message]).toEqual([plural, 400, unrecognized(kind, detail)]);
    }
    expect(standIn.objects('pods', namespace)).toEqual([]);
    expect(standIn.objects('resourcequotas', namespace)).toEqual([]);
    expect(standIn.objects('configmaps', namespace).map((c) => c.metadata.name)).toEqual(['kube-root-ca.crt']);

    // an update is decoded the same way
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'c' }, data: { a: 'x' } } });
    const update = await raw('PUT', `/api/v1/namespaces/${namespace}/configmaps/c`, {
      metadata: { name: 'c', labels: { a: ['x'] } },
      data: { a: 'y' },
    });
    expect([update.status, update.json.message]).toEqual([
      400,
      unrecognized('ConfigMap', 'array into Go struct field ObjectMeta.metadata.labels of type string'),
    ]);
    expect(standIn.objects('configmaps', namespace).find((c) => c.metadata.name === 'c')?.data).toEqual({ a: 'x' });

    // null decodes as Go does: no map at all, or an empty string in it
    const nulls = await raw('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      metadata: { name: 'n', labels: { a: null }, annotations: null },
      data: { k: null },
    });
    expect(nulls.status).toBe(201);
    expect(nulls.json.metadata).toMatchObject({ labels: { a: '' } });
    expect((nulls.json.metadata as Record<string, unknown>).annotations).toBeUndefined();
    expect(nulls.json.data).toEqual({ k: '' });
  });

  it('refuses an unparseable resource quantity with 422, as the apiserver words it', async () => {
    const namespace = freshNamespace();
    const body = pod('p', {
      spec: {
        containers: [
          { name: 'main', image: 'spark:3.5.1', resources: { limits: { memory: 'lots' }, requests: { memory: '1Gi', cpu: '1 core' } } },
        ],
      },
    });
    const res = await raw('POST', `/api/v1/namespaces/${namespace}/pods`, body);
    expect(res.status).toBe(422);
    const regex = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    expect(res.json.message).toBe(
      `Pod "p" is invalid: [spec.containers[0].resources.limits[memory]: Invalid value: "lots": ${regex}, spec.containers[0].resources.requests[cpu]: Invalid value: "1 core": ${regex}]`,
    );
    expect(standIn.objects('pods', namespace)).toEqual([]);
  });

  it('refuses a JSON patch operation without op or path (422), never reading a missing path as the whole document', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'c' }, data: { a: '1' } } });
    const before = standIn.objects('configmaps', namespace).find((c) => c.metadata.name === 'c');
    const cases: [unknown[], string][] = [
      [
        [{ op: 'replace', value: { metadata: { name: 'c' } } }],
        'replace operation failed to decode path: operation missing path field: missing value',
      ],
      [[{ op: 'add', value: {} }], 'add operation failed to decode path: missing value'],
      [[{ op: 'remove', path: null }], 'remove operation failed to decode path: missing value'],
      [
        [{ op: 'test', path: 3, value: 1 }],
        'test operation failed to decode path: json: cannot unmarshal number into Go value of type string',
      ],
      [[{ op: 'move', path: '/data/b' }], 'move operation failed to decode from: operation, missing from field: missing value'],
      [[{ path: '/data/a', value: '2' }], 'Unexpected kind: unknown'],
      [
        [
          { op: 'add', path: '/data/b', value: '2' },
          { op: 'copy', from: '/data/a' },
        ],
        'copy operation failed to decode path: missing value',
      ],
    ];
    for (const [patch, cause] of cases) {
      const res = await raw('PATCH', `/api/v1/namespaces/${namespace}/configmaps/c`, patch, 'application/json-patch+json');
      expect([res.status, (res.json.details as { causes: { message: string }[] }).causes[0]?.message]).toEqual([422, cause]);
    }
    expect(standIn.objects('configmaps', namespace).find((c) => c.metadata.name === 'c')).toEqual(before);
  });

  it('refuses integer query parameters that are not integers with 400, echoing the text sent', async () => {
    const namespace = freshNamespace();
    await core.createNamespacedPod({ namespace, body: pod('driver') });
    standIn.setPodLog(namespace, 'driver', 'a\nb\n');
    const cases: [string, string, string][] = [
      ['GET', `/api/v1/namespaces/${namespace}/pods?limit=ten`, 'strconv.ParseInt: parsing "ten": invalid syntax'],
      ['GET', `/api/v1/namespaces/${namespace}/pods?limit=1.5`, 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['GET', `/api/v1/namespaces/${namespace}/pods?limit=-1`, 'limit: Invalid value: -1: must be greater than or equal to 0'],
      ['GET', `/api/v1/namespaces/${namespace}/pods?watch=true&timeoutSeconds=soon`, 'strconv.ParseInt: parsing "soon": invalid syntax'],
      ['GET', `/api/v1/namespaces/${namespace}/pods/driver/log?tailLines=x`, 'strconv.ParseInt: parsing "x": invalid syntax'],
      [
        'GET',
        `/api/v1/namespaces/${namespace}/pods/driver/log?tailLines=-2`,
        'tailLines: Invalid value: -2: must be greater than or equal to 0',
      ],
      ['GET', `/api/v1/namespaces/${namespace}/pods/driver/log?limitBytes=0`, 'limitBytes: Invalid value: 0: must be greater than 0'],
      [
        'DELETE',
        `/api/v1/namespaces/${namespace}/pods/driver?gracePeriodSeconds=later`,
        'strconv.ParseInt: parsing "later": invalid syntax',
      ],
      [
        'DELETE',
        `/api/v1/namespaces/${namespace}/pods/driver?gracePeriodSeconds=-5`,
        'gracePeriodSeconds: Invalid value: -5: must be greater than or equal to 0',
      ],
    ];
    for (const [method, path, message] of cases) {
      const res = await raw(method, path);
      expect([path, res.status, res.json.message]).toEqual([path, 400, message]);
    }
    expect((await raw('GET', `/api/v1/namespaces/${namespace}/pods?limit=1`)).status).toBe(200);
    expect(await core.readNamespacedPodLog({ namespace, name: 'driver', tailLines: 1, limitBytes: 1 })).toBe('b');
    // a watch with a valid timeout ends by itself
    const watch = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods?watch=true&timeoutSeconds=1`);
    expect(watch.status).toBe(200);
    expect((await watch.text()).split('\n').filter(Boolean)).toHaveLength(1);
  });
});
