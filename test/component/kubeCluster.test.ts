/**
 * The Kubernetes adapter (client-node's configuration, JSON text both ways: kubeRequest): against
 * the stand-in, and against a bare HTTP server that shows what goes on the wire (method, path,
 * authentication, parameters, bodies) and answers what a proxy in front of an API server may.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster } from '../../src/adapters/kubernetes/connectCluster.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { KubernetesSettingsSchema } from '../../src/settings/settingsSchema.js';
import { kubeconfigYaml } from '../../dev/kube-standin/kubeconfig.js';
import type { ClusterPort, ListQuery } from '../../src/usecases/clusterPort.js';
import { resolved } from '../support/fixtures.js';
import { standInCluster, type StandInCluster } from '../support/standInCluster.js';

const PODS: ListQuery = { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs' };

describe('list against the stand-in', () => {
  let kube: StandInCluster;
  beforeAll(async () => {
    kube = await standInCluster();
    for (let i = 0; i < 5; i++) await kube.cluster.create(renderNative(resolved({ jobKey: `list-${i}` })).pod);
  });
  afterAll(() => kube.close());

  it('pages with limit and continue, and gives each item as the server wrote it (plain JSON, timestamps as strings)', async () => {
    const first = await kube.cluster.list({ ...PODS, labelSelector: 'spark-role=driver', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.continueToken).toEqual(expect.any(String));
    const rest = await kube.cluster.list({ ...PODS, labelSelector: 'spark-role=driver', limit: 3, continueToken: first.continueToken });
    expect(rest.items).toHaveLength(2);
    expect(rest.continueToken).toBeUndefined();
    const names = [...first.items, ...rest.items].map((p) => p.metadata.name);
    expect(new Set(names).size).toBe(5);
    const served = kube.standIn.objects('pods', 'spark-jobs').find((p) => p.metadata.name === names[0]);
    const { apiVersion: _a, kind: _k, ...servedItem } = served ?? { apiVersion: '', kind: '' };
    expect(first.items[0]).toEqual(servedItem);
    expect(typeof first.items[0]?.metadata.creationTimestamp).toBe('string');
  });

  it("a selector the server refuses is an invalid request with the server's message, not retried", async () => {
    const error = await kube.cluster.list({ ...PODS, labelSelector: 'spark-role in driver' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'invalid', retryable: false, status: 400 });
    expect((error as Error).message).toBe("list pods in spark-jobs: unable to parse requirement: found 'driver' expected: '('");
  });
});

describe('on the wire', () => {
  let server: Server;
  let cluster: ClusterPort;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(answer.status, { 'content-type': answer.type });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'sd-list-')), 'kubeconfig');
    writeFileSync(
      kubeconfigPath,
      kubeconfigYaml(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { token: 'token-for-the-list' }),
    );
    const settings = KubernetesSettingsSchema.parse({ requestTimeoutMs: 2_000 });
    cluster = await connectCluster(settings, { kubeconfigPath });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends the kubeconfig's credentials and the list parameters to the collection's path", async () => {
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [] }),
    };
    seen.length = 0;
    const page = await cluster.list({
      ...PODS,
      labelSelector: 'a=b,c',
      fieldSelector: 'status.phase=Running',
      limit: 500,
      continueToken: 'tok==',
    });
    expect(page).toEqual({ items: [], continueToken: undefined });
    const url = new URL(seen[0]?.url ?? '', 'http://x');
    expect(url.pathname).toBe('/api/v1/namespaces/spark-jobs/pods');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      labelSelector: 'a=b,c',
      fieldSelector: 'status.phase=Running',
      limit: '500',
      continue: 'tok==',
    });
    expect(seen[0]?.headers.authorization).toBe('Bearer token-for-the-list');
    expect(seen[0]?.headers.accept).toBe('application/json');
  });

  it('SparkApplications are listed under their group and version', async () => {
    seen.length = 0;
    await cluster.list({ apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', namespace: 'team-a' });
    expect(new URL(seen[0]?.url ?? '', 'http://x').pathname).toBe('/apis/sparkoperator.k8s.io/v1beta2/namespaces/team-a/sparkapplications');
  });

  it("a Status answer keeps the server's kind of failure and message", async () => {
    answer = {
      status: 429,
      type: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'too many requests, please try again later',
        reason: 'TooManyRequests',
        code: 429,
      }),
    };
    await expect(cluster.list(PODS)).rejects.toMatchObject({
      kind: 'throttled',
      retryable: true,
      message: 'list pods in spark-jobs: too many requests, please try again later',
    });
    answer = {
      status: 404,
      type: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        code: 404,
      }),
    };
    await expect(
      cluster.list({ apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', namespace: 'spark-jobs' }),
    ).rejects.toMatchObject({ kind: 'not-found', retryable: false });
  });

  it("a page that is not a Kubernetes list (a proxy's HTML, a cut-off body) is a failure worth retrying, quoting the answer", async () => {
    answer = { status: 200, type: 'text/html', body: '<html><body>Sign in to continue</body></html>' };
    await expect(cluster.list(PODS)).rejects.toMatchObject({
      kind: 'unavailable',
      retryable: true,
      message: 'list pods in spark-jobs: the answer is not a Kubernetes object: <html><body>Sign in to continue</body></html>',
    });
    answer = { status: 200, type: 'application/json', body: '{"kind":"Status","status":"Success"}' };
    await expect(cluster.list(PODS)).rejects.toMatchObject({
      kind: 'unavailable',
      retryable: true,
      message: 'list pods in spark-jobs: the answer is not a Kubernetes list: {"kind":"Status","status":"Success"}',
    });
    answer = { status: 200, type: 'application/json', body: '{"kind":"PodList","items":[{"metadata":' };
    await expect(cluster.list(PODS)).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
    answer = { status: 502, type: 'text/html', body: '<html>Bad Gateway</html>' };
    await expect(cluster.list(PODS)).rejects.toMatchObject({
      kind: 'unavailable',
      retryable: true,
      status: 502,
      message: 'list pods in spark-jobs: <html>Bad Gateway</html>',
    });
  });

  it('create POSTs the object as JSON to its collection (dryRun=All when asked), asks for the stored metadata alone, and gives back its kind with that metadata', async () => {
    const pod = renderNative(resolved({ jobKey: 'wire-1' })).pod;
    const metadata = { ...pod.metadata, uid: 'u-1', resourceVersion: '7', creationTimestamp: '2026-11-24T10:00:00Z' };
    // What kube-apiserver answers to that Accept (test/realkube/apiErrors.test.ts shows it on the real one)…
    answer = {
      status: 201,
      type: 'application/json',
      body: JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata }),
    };
    seen.length = 0;
    expect(await cluster.create(pod)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata });
    // …and what a server that cannot transform answers instead (the Accept's fallback): the same.
    answer = { status: 201, type: 'application/json', body: JSON.stringify({ ...pod, metadata }) };
    expect(await cluster.create(pod, { dryRun: true })).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata });
    expect(seen[0]?.headers.accept).toBe('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json');
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/v1/namespaces/spark-jobs/pods',
      'POST /api/v1/namespaces/spark-jobs/pods?dryRun=All',
    ]);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(pod);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.headers.authorization).toBe('Bearer token-for-the-list');
  });

  it('read GETs the object by name; 404 is "not there"', async () => {
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'spark-jobs' } }),
    };
    seen.length = 0;
    expect(await cluster.read({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'spark-jobs', name: 'cm' })).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
    });
    expect(`${seen[0]?.method} ${seen[0]?.url}`).toBe('GET /api/v1/namespaces/spark-jobs/configmaps/cm');
    answer = {
      status: 404,
      type: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'configmaps "cm" not found',
        reason: 'NotFound',
        code: 404,
      }),
    };
    expect(await cluster.read({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'spark-jobs', name: 'cm' })).toBeUndefined();
  });

  it('remove DELETEs with DeleteOptions carrying the uid precondition and the propagation policy; 404 is "already gone", and so is a failed uid precondition', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success' }) };
    seen.length = 0;
    const ref = { apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', namespace: 'spark-jobs', name: 'app-1' };
    expect(await cluster.remove(ref, { uid: 'u-9', propagation: 'Foreground' })).toBe(true);
    expect(`${seen[0]?.method} ${seen[0]?.url}`).toBe(
      'DELETE /apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-jobs/sparkapplications/app-1',
    );
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: 'u-9' },
      propagationPolicy: 'Foreground',
    });
    answer = {
      status: 404,
      type: 'application/json',
      body: JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'gone' }),
    };
    expect(await cluster.remove(ref)).toBe(false);
    answer = {
      status: 409,
      type: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        code: 409,
        reason: 'Conflict',
        message: 'Precondition failed: UID in precondition: u-9, UID in object meta: u-10',
      }),
    };
    expect(await cluster.remove(ref, { uid: 'u-9' })).toBe(false);
    await expect(cluster.remove(ref)).rejects.toMatchObject({ kind: 'conflict', retryable: false });
  });

  it('readLog GETs the log subresource as text, with the tail and byte limits', async () => {
    answer = { status: 200, type: 'text/plain', body: 'line 1\n{"not":"json"}\n' };
    seen.length = 0;
    const text = await cluster.readLog(
      { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: 'd-driver' },
      { tailLines: 200, limitBytes: 65536 },
    );
    expect(text).toBe('line 1\n{"not":"json"}\n');
    expect(`${seen[0]?.method} ${seen[0]?.url}`).toBe('GET /api/v1/namespaces/spark-jobs/pods/d-driver/log?tailLines=200&limitBytes=65536');
    expect(seen[0]?.headers.accept).toBe('text/plain');
  });
});
