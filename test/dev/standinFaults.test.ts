/** Fault injection and the /_standin control endpoints of the Kubernetes API stand-in. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type FaultRule, type StandIn } from '../../dev/kube-standin/index.js';
import { useStandIn } from '../support/standInHarness.js';

const harness = useStandIn('faults', { seed: 7 });
const freshNamespace = (): string => harness.freshNamespace();
let standIn: StandIn;

beforeAll(() => {
  standIn = harness.standIn;
});

afterEach(() => {
  standIn.setFaults([]);
});

const podBody = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });

function createPod(namespace: string, name: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: podBody(name),
    ...(signal ? { signal } : {}),
  });
}

const always = (kind: FaultRule['kinds'][number], extra: Partial<FaultRule> = {}): FaultRule[] => [
  { verb: 'create', resource: 'pods', rate: 1, kinds: [kind], ...extra },
];

describe('faults', () => {
  it('answers 500, 503 and 429 (with Retry-After) Status bodies, and a faulted create stores nothing', async () => {
    const namespace = freshNamespace();
    const before = standIn.stats().faultsInjected;
    standIn.setFaults(always('500'));
    const r500 = await createPod(namespace, 'a');
    expect(r500.status).toBe(500);
    expect(await r500.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });

    standIn.setFaults(always('503'));
    const r503 = await createPod(namespace, 'a');
    expect(r503.status).toBe(503);
    expect(await r503.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });

    standIn.setFaults(always('429', { retryAfterSeconds: 3 }));
    const r429 = await createPod(namespace, 'a');
    expect(r429.status).toBe(429);
    expect(r429.headers.get('retry-after')).toBe('3');
    expect(await r429.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 3 } });

    expect(standIn.objects('pods', namespace)).toEqual([]);
    expect(standIn.stats().faultsInjected - before).toBe(3);
    // rules match by verb and resource: a list of pods and a create of configmaps are untouched
    expect((await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods`)).status).toBe(200);

    standIn.setFaults([]);
    expect((await createPod(namespace, 'a')).status).toBe(201);
  });

  it('resets the connection without an answer', async () => {
    const namespace = freshNamespace();
    standIn.setFaults(always('reset'));
    await expect(createPod(namespace, 'r')).rejects.toThrow();
    expect(standIn.objects('pods', namespace)).toEqual([]);
  });

  it('never answers a timed-out request (the client gives up), and stores nothing', async () => {
    const namespace = freshNamespace();
    standIn.setFaults(always('timeout'));
    const started = Date.now();
    await expect(createPod(namespace, 't', AbortSignal.timeout(150))).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(standIn.objects('pods', namespace)).toEqual([]);
  });

  it('adds latency to matching requests even when no fault fires', async () => {
    const namespace = freshNamespace();
    standIn.setFaults([{ verb: 'get', resource: 'pods', rate: 0, kinds: [], latencyMs: 120 }]);
    await createPod(namespace, 'slow');
    const started = Date.now();
    const res = await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/slow`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('is deterministic for a seed', async () => {
    const outcomes = async (seed: number) => {
      const s = await startStandIn({ seed });
      try {
        s.setFaults([{ resource: 'namespaces', rate: 0.5, kinds: ['500', '503'] }]);
        const codes: number[] = [];
        for (let i = 0; i < 12; i++) codes.push((await fetch(`${s.url}/api/v1/namespaces/default`)).status);
        return codes;
      } finally {
        await s.close();
      }
    };
    const first = await outcomes(99);
    expect(await outcomes(99)).toEqual(first);
    expect(first.some((c) => c === 200)).toBe(true);
    expect(first.some((c) => c !== 200)).toBe(true);
  });

  it('refuses malformed rules', () => {
    expect(() => standIn.setFaults([{ rate: 2, kinds: ['500'] }])).toThrow(/rate/);
    expect(() => standIn.setFaults([{ rate: 1, kinds: ['418' as never] }])).toThrow(/kinds/);
  });
});

describe('control endpoints over HTTP', () => {
  const control = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
    fetch(`${standIn.url}/_standin${path}`, {
      method,
      headers: { 'content-type': contentType },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  it('sets faults, pod status, executors and logs, and serves and resets stats; faults never touch them', async () => {
    const namespace = freshNamespace();
    expect((await createPod(namespace, 'app-driver')).status).toBe(201);

    expect((await control('PUT', '/faults', [{ rate: 1, kinds: ['503'] }])).status).toBe(200);
    expect((await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/app-driver`)).status).toBe(503);

    const status = await control('POST', `/namespaces/${namespace}/pods/app-driver/status`, { phase: 'Running' });
    expect(status.status).toBe(200);
    const executors = await control('POST', `/namespaces/${namespace}/pods/app-driver/executors`, { count: 2, phase: 'Pending' });
    expect(await executors.json()).toEqual({ names: ['app-exec-1', 'app-exec-2'] });
    expect((await control('PUT', `/namespaces/${namespace}/pods/app-driver/log`, 'hello\nworld\n', 'text/plain')).status).toBe(200);
    expect((await control('POST', `/namespaces/${namespace}/pods/missing/status`, { phase: 'Running' })).status).toBe(404);

    const stats = (await (await control('GET', '/stats')).json()) as { requests: Record<string, number>; faultsInjected: number };
    expect(stats.requests['get pods']).toBeGreaterThanOrEqual(1);
    expect(stats.faultsInjected).toBeGreaterThanOrEqual(1);

    expect((await control('PUT', '/faults', [])).status).toBe(200);
    const driver = (await (await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/app-driver`)).json()) as {
      status: { phase: string };
    };
    expect(driver.status.phase).toBe('Running');
    expect(await (await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/app-driver/log?tailLines=1`)).text()).toBe('world\n');
    const exec = (await (await fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods/app-exec-1`)).json()) as {
      status: { phase: string };
    };
    expect(exec.status.phase).toBe('Pending');

    expect((await control('POST', '/stats/reset')).status).toBe(200);
    const reset = (await (await control('GET', '/stats')).json()) as { requests: Record<string, number>; faultsInjected: number };
    expect(reset).toMatchObject({ requests: {}, faultsInjected: 0 });
    expect((await control('PUT', '/faults', [{ rate: 5, kinds: ['500'] }])).status).toBe(400);
  });
  it('serves stored objects filtered by label selector, copying only the matches', async () => {
    const namespace = freshNamespace();
    const labelled = (name: string, role: string) =>
      fetch(`${standIn.url}/api/v1/namespaces/${namespace}/pods`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name, labels: { 'spark-role': role } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } }),
      });
    for (const [name, role] of [
      ['a-driver', 'driver'],
      ['a-exec-1', 'executor'],
      ['b-driver', 'driver'],
    ] as const)
      expect((await labelled(name, role)).status).toBe(201);
    expect(standIn.objects('pods', namespace, { labelSelector: 'spark-role=driver' }).map((p) => p.metadata.name)).toEqual([
      'a-driver',
      'b-driver',
    ]);
    expect(standIn.objects('pods', namespace).map((p) => p.metadata.name)).toEqual(['a-driver', 'a-exec-1', 'b-driver']);
    const copy = standIn.objects('pods', namespace, { labelSelector: 'spark-role=executor' })[0];
    if (!copy) throw new Error('no executor');
    copy.metadata.name = 'changed';
    expect(standIn.objects('pods', namespace, { labelSelector: 'spark-role=executor' })[0]?.metadata.name).toBe('a-exec-1');
    const overHttp = await fetch(`${standIn.url}/_standin/objects/pods?namespace=${namespace}&labelSelector=spark-role%21%3Ddriver`);
    expect(((await overHttp.json()) as { metadata: { name: string } }[]).map((p) => p.metadata.name)).toEqual(['a-exec-1']);
    expect((await fetch(`${standIn.url}/_standin/objects/pods?labelSelector=%3D%3D`)).status).toBe(400);
  });
});
