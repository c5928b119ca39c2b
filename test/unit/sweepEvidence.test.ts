/** Reading a suspect's evidence: one log read (a second when limitBytes cut the tail), or one events list; failures handed on as unreadable. */
import { describe, expect, it } from 'vitest';
import type { Suspect } from '../../src/domain/sweep/classifyDriver.js';
import { DispatchError } from '../../src/shared/errors.js';
import type { ClusterPort, ListQuery } from '../../src/usecases/clusterPort.js';
import { gatherEvidence, mapConcurrently } from '../../src/usecases/sweepEvidence.js';

const POD = { apiVersion: 'v1', kind: 'Pod', namespace: 'analytics', name: 'etl-0123456789abcdef-driver' } as const;
const RETRY = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
const silent: Suspect = {
  action: 'suspect',
  kind: 'silent',
  reason: 'no-executors',
  needs: { log: true },
  evidence: {},
  lastSign: { at: '2026-03-10T11:00:00Z', what: 'container start' },
};
const blocked: Suspect = {
  action: 'suspect',
  kind: 'blocked',
  reason: 'unschedulable',
  message: 'm',
  needs: { eventsOf: 'etl-0123456789abcdef-exec-1' },
  evidence: {},
};
const unused = (): never => {
  throw new Error('not called');
};

function fakeCluster(parts: Partial<ClusterPort>): ClusterPort {
  return { create: unused, read: unused, remove: unused, list: unused, readLog: unused, ...parts };
}

describe('gatherEvidence', () => {
  it('reads the log tail with the kubelet timestamps, and the newest line again when limitBytes cut the tail', async () => {
    const calls: unknown[] = [];
    const long = `2026-03-10T11:59:00.000000000Z ${'x'.repeat(300 * 1024)}\n`;
    const cluster = fakeCluster({
      readLog: async (_ref, options) => {
        calls.push(options);
        return options.tailLines === 1 ? '2026-03-10T11:59:59.000000000Z newest\n' : long.slice(0, 256 * 1024);
      },
    });
    const gathered = await gatherEvidence(cluster, POD, silent, RETRY);
    expect(calls).toEqual([
      { tailLines: 200, limitBytes: 256 * 1024, timestamps: true },
      { tailLines: 1, limitBytes: 256 * 1024, timestamps: true },
    ]);
    expect(gathered.log?.ok && gathered.log.lines.at(-1)).toEqual({ at: '2026-03-10T11:59:59.000000000Z', text: 'newest' });
  });

  it('a pod gone, or a read that fails, is handed on as such', async () => {
    expect(await gatherEvidence(fakeCluster({ readLog: async () => undefined }), POD, silent, RETRY)).toEqual({
      log: { ok: false, error: 'the pod is gone', gone: true },
    });
    const failing = fakeCluster({
      readLog: async () =>
        Promise.reject(new DispatchError('unavailable', 'read the log of pod/x: 500 dial tcp 10.0.0.12:10250: i/o timeout')),
    });
    expect(await gatherEvidence(failing, POD, silent, RETRY)).toEqual({
      log: { ok: false, error: 'read the log of pod/x: 500 dial tcp 10.0.0.12:10250: i/o timeout' },
    });
  });

  it('lists the Events of the one pod named, by field selector; a 403 (a Role without events) is unreadable, not fatal', async () => {
    const queries: ListQuery[] = [];
    const cluster = fakeCluster({
      list: async (query) => {
        queries.push(query);
        return {
          items: [
            {
              apiVersion: 'v1',
              kind: 'Event',
              metadata: { name: 'e', uid: 'u' },
              reason: 'NotTriggerScaleUp',
              type: 'Normal',
              message: 'no',
              lastTimestamp: '2026-03-10T11:50:00Z',
              source: { component: 'cluster-autoscaler' },
            },
          ],
        };
      },
    });
    expect(await gatherEvidence(cluster, POD, blocked, RETRY)).toEqual({
      events: {
        ok: true,
        events: [
          { type: 'Normal', reason: 'NotTriggerScaleUp', message: 'no', component: 'cluster-autoscaler', lastSeen: '2026-03-10T11:50:00Z' },
        ],
      },
    });
    expect(queries).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Event',
        namespace: 'analytics',
        fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=etl-0123456789abcdef-exec-1',
        limit: 200,
      },
    ]);
    const forbidden = fakeCluster({
      list: async () => Promise.reject(new DispatchError('forbidden', 'list events in analytics: forbidden')),
    });
    expect(await gatherEvidence(forbidden, POD, blocked, RETRY)).toEqual({
      events: { ok: false, error: 'list events in analytics: forbidden' },
    });
  });
});

describe('mapConcurrently', () => {
  it('keeps the order of the items and never has more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapConcurrently([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
    expect(await mapConcurrently([], 3, (n: number) => n)).toEqual([]);
  });
});
