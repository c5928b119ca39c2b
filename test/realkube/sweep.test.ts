/**
 * The sweeper's reads and judgement against both API servers: paging (limit and continue, items in
 * key order), label and field selectors and the server's words when it refuses one, and a sweep
 * of a small population whose pod phases are written through pods/status (no kubelet on either).
 */
import { describe, expect, it } from 'vitest';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { listAll, pagesOf } from '../../src/usecases/listPages.js';
import { SILENT } from '../../src/shared/logger.js';
import { sweep } from '../../src/usecases/sweep.js';
import type { ListQuery } from '../../src/usecases/clusterPort.js';
import type { PodStatusPatch } from '../../dev/kube-standin/index.js';
import { resolved, settingsWith } from '../support/fixtures.js';
import { memoryLedger } from '../support/memoryPorts.js';
import { contractServers, useContractServer } from '../support/contractServers.js';

const MANAGED = 'app.kubernetes.io/managed-by=spark-dispatch';
const NOW = new Date(Date.now() + 2 * 3600_000);
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const scheduled = (secondsAgo: number) => ({ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(secondsAgo) });
const driver = (state: NonNullable<PodStatusPatch['containerStatuses']>[number]['state']) => [{ name: 'spark-kubernetes-driver', state }];

describe.each(contractServers())('the sweeper on $name', (choice) => {
  const server = useContractServer(choice, 'sweep');
  const jobIn = (namespace: string, jobKey: string) => resolved({ namespace, name: jobKey, jobKey }, { namespaces: { [namespace]: {} } });
  const pods = (namespace: string): ListQuery => ({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: MANAGED });

  it('pages with limit and continue, each page in name order, and every item once', async () => {
    const ns = await server.namespace();
    const names: string[] = [];
    for (const key of ['gamma', 'alpha', 'epsilon', 'beta', 'zeta', 'delta', 'eta']) {
      const job = jobIn(ns, key);
      names.push(job.names.driverPod);
      await server.cluster.create(renderNative(job).pod);
    }
    const sorted = [...names].sort();
    const first = await server.cluster.list({ ...pods(ns), limit: 3 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(sorted.slice(0, 3));
    expect(first.continueToken).toEqual(expect.any(String));
    const second = await server.cluster.list({ ...pods(ns), limit: 3, continueToken: first.continueToken });
    expect(second.items.map((p) => p.metadata.name)).toEqual(sorted.slice(3, 6));
    const last = await server.cluster.list({ ...pods(ns), limit: 3, continueToken: second.continueToken });
    expect(last.items.map((p) => p.metadata.name)).toEqual(sorted.slice(6));
    expect(last.continueToken).toBeUndefined();
    const pageSizes: number[] = [];
    for await (const page of pagesOf(server.cluster, { ...pods(ns), limit: 2 })) pageSizes.push(page.length);
    expect(pageSizes).toEqual([2, 2, 2, 1]);
    expect(await listAll(server.cluster, { ...pods(ns), limit: 2 }, (p) => p.metadata.name)).toEqual(sorted);
  });

  it("selects by label and by status.phase; a refused selector or continue token is invalid, in the server's words", async () => {
    const ns = await server.namespace();
    const running = jobIn(ns, 'running');
    const waiting = jobIn(ns, 'waiting');
    for (const job of [running, waiting]) await server.cluster.create(renderNative(job).pod);
    await server.setPodStatus(ns, running.names.driverPod, { phase: 'Running' });
    const phase = await server.cluster.list({ ...pods(ns), fieldSelector: 'status.phase=Running' });
    expect(phase.items.map((p) => p.metadata.name)).toEqual([running.names.driverPod]);
    const notRunning = await server.cluster.list({
      ...pods(ns),
      fieldSelector: 'status.phase!=Running',
      labelSelector: `${MANAGED},spark-role in (driver)`,
    });
    expect(notRunning.items.map((p) => p.metadata.name)).toEqual([waiting.names.driverPod]);
    const refusal = async (query: Partial<ListQuery>) => {
      const error = await server.cluster.list({ ...pods(ns), ...query }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: 'invalid', retryable: false, status: 400 });
      return (error as Error).message;
    };
    expect(await refusal({ labelSelector: 'spark-role in driver' })).toBe(
      `list pods in ${ns}: unable to parse requirement: found 'driver' expected: '('`,
    );
    expect(await refusal({ fieldSelector: 'spec.image=spark' })).toBe(`list pods in ${ns}: field label not supported: spec.image`);
  });

  // The server's words for selectors and continue tokens it refuses; each was different on the
  // stand-in (docs/testing.md), and is the same in 1.20 and in today's apimachinery source.
  const token = (json: string) => Buffer.from(json).toString('base64url');
  it.each([
    ['labelSelector', 'a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['labelSelector', 'a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['labelSelector', 'a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['labelSelector', '!', "unable to parse requirement: found '', expected: identifier"],
    ['labelSelector', '=x', "found '=', expected: !, identifier, or 'end of string'"],
    ['labelSelector', 'a=b,', "found '', expected: identifier after ','"],
    ['labelSelector', '!a=b', "found '=', expected: ',' or 'end of string'"],
    ['labelSelector', 'a >x', "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"],
    [
      'continue',
      'not-a-token',
      "invalid continue token: continue key is not valid: invalid character '\\u009e' looking for beginning of value",
    ],
    ['continue', 'a.b', 'invalid continue token: continue key is not valid: illegal base64 data at input byte 1'],
    ['continue', 'abcde', 'invalid continue token: continue key is not valid: illegal base64 data at input byte 4'],
    ['continue', token('{"v":"meta.k8s.io/v1","rv":1'), 'invalid continue token: continue key is not valid: unexpected end of JSON input'],
    [
      'continue',
      token('[1]'),
      'invalid continue token: continue key is not valid: json: cannot unmarshal array into Go value of type etcd3.continueToken',
    ],
    [
      'continue',
      token('{"v":"x","rv":1,"start":"a"}'),
      'invalid continue token: continue key is not valid: server does not recognize this encoded version "x"',
    ],
    [
      'continue',
      token('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}'),
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    ],
    [
      'continue',
      token('{"v":"meta.k8s.io/v1","rv":1,"start":""}'),
      'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
    ],
    ['continue', token('{"v":"meta.k8s.io/v1","rv":1,"start":"../a"}'), 'invalid continue token: continue key is not valid: ../a'],
  ])('%s=%s is refused (400): %s', async (parameter, value, message) => {
    const answer = await server.raw('GET', `/api/v1/namespaces/default/pods?limit=1&${new URLSearchParams({ [parameter]: value })}`);
    expect(answer).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400, message } });
  });

  it('a continue token whose start key begins with "/" is accepted; a page tells how many items remain unless a selector filters', async () => {
    const ns = await server.namespace();
    for (const key of ['one', 'two', 'three']) await server.cluster.create(renderNative(jobIn(ns, key)).pod);
    const first = await server.raw('GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
    expect(first.body.metadata).toMatchObject({ remainingItemCount: 2, continue: expect.any(String) });
    const filtered = await server.raw('GET', `/api/v1/namespaces/${ns}/pods?limit=1&labelSelector=spark-role%3Ddriver`);
    expect(filtered.body.metadata).not.toHaveProperty('remainingItemCount');
    const { rv, start } = JSON.parse(
      Buffer.from(String((first.body.metadata as { continue: string }).continue), 'base64url').toString(),
    ) as { rv: number; start: string };
    const slashed = await server.raw(
      'GET',
      `/api/v1/namespaces/${ns}/pods?limit=1&continue=${token(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `/${start}` }))}`,
    );
    expect(slashed.status).toBe(200);
    expect((slashed.body.items as { metadata: { name: string } }[]).map((p) => p.metadata.name)).toEqual([
      (await server.cluster.list({ ...pods(ns), limit: 1, continueToken: String((first.body.metadata as { continue: string }).continue) }))
        .items[0]?.metadata.name,
    ]);
  });

  it('a sweep clears the finished and the stalled, keeps the healthy, never touches what is not ours', async () => {
    const ns = await server.namespace();
    const settings = settingsWith({ namespaces: { [ns]: {} } });
    const population: Record<string, { status: PodStatusPatch; expect: string }> = {
      'healthy-running': {
        status: {
          phase: 'Running',
          startTime: ago(100),
          conditions: [scheduled(110)],
          containerStatuses: driver({ running: { startedAt: ago(100) } }),
        },
        expect: 'keep',
      },
      'done-recently': {
        status: {
          phase: 'Succeeded',
          startTime: ago(500),
          conditions: [scheduled(510)],
          containerStatuses: driver({ terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(60) } }),
        },
        expect: 'keep',
      },
      'oom-long-ago': {
        status: {
          phase: 'Failed',
          startTime: ago(100_500),
          conditions: [scheduled(100_510)],
          containerStatuses: driver({ terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(100_000) } }),
        },
        expect: 'finished-retention',
      },
      'too-big': {
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient memory.',
              lastTransitionTime: ago(2000),
            },
          ],
        },
        expect: 'unschedulable',
      },
    };
    const driverOf: Record<string, string> = {};
    for (const [key, c] of Object.entries(population)) {
      const job = resolved({ namespace: ns, name: key, jobKey: key }, { namespaces: { [ns]: {} } });
      driverOf[key] = job.names.driverPod;
      expect((await launchJob(job, server.cluster)).kind).toBe('launched');
      await server.setPodStatus(ns, job.names.driverPod, c.status);
    }
    // Not ours: the same stalled signature without spark-dispatch's labels.
    const foreign = renderNative(jobIn(ns, 'foreign')).pod;
    await server.cluster.create({
      ...foreign,
      metadata: { name: 'someone-elses-driver', namespace: ns, labels: { 'spark-role': 'driver' } },
    });
    await server.setPodStatus(ns, 'someone-elses-driver', population['too-big']!.status);
    const report = await sweep({
      settings,
      cluster: server.cluster,
      ledger: memoryLedger(),
      events: { publish: async () => undefined },
      now: () => NOW,
      log: SILENT,
    });
    expect(report.errors).toEqual([]);
    expect(Object.fromEntries(Object.entries(report.cleared).filter(([, n]) => n > 0))).toEqual({
      'finished-retention': 1,
      unschedulable: 1,
    });
    const left = (await server.objects('pods', ns)).map((p) => p.metadata.name).sort();
    expect(left).toEqual([driverOf['done-recently'], driverOf['healthy-running'], 'someone-elses-driver'].sort());
  });
});
