/**
 * The ledger against the cluster, end to end: jobs launched through the job-message function
 * (ledger in Azurite, drivers in the stand-in), then the sweeper's reconciler with a moved clock.
 * A driver that vanishes makes its job lost, with evidence; a launch whose "launched" write failed
 * is adopted by the redelivery, never launched twice; lifecycle events that could not be
 * published are owed by the ledger and sent by the next sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchError } from '../../src/shared/errors.js';
import type { EventsPort } from '../../src/usecases/queuePort.js';
import type { IntakeDeps } from '../../src/usecases/intakeDeps.js';
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';
import type { ClusterPort } from '../../src/usecases/clusterPort.js';
import { handleJobMessage } from '../../src/usecases/handleJobMessage.js';
import { SILENT } from '../../src/shared/logger.js';
import { sweep, type SweepDeps, type SweepOptions } from '../../src/usecases/sweep.js';
import { intakeEnv, key, QUEUE, TOPIC, type IntakeEnv } from '../support/intakeEnv.js';
import { jobNames } from '../../src/domain/tenant/jobIdentity.js';
import { countedLedger } from '../support/countedLedger.js';

let env: IntakeEnv;
const NS = 'spark-jobs';
const spec = (name: string, jobKey: string) => ({
  name,
  jobKey,
  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py',
});
const ledger = (k: string) => env.runtime.deps.ledger.get(k);
const events = () => env.broker.messages(`${TOPIC}/subscriptions/audit`).map((m) => m.body as { type: string; jobKey: string });
const sweepAt = (seconds: number, overrides: Partial<SweepDeps> = {}, options: SweepOptions = {}) =>
  sweep(
    {
      settings: env.settings,
      cluster: env.kube.cluster,
      ledger: env.runtime.deps.ledger,
      events: env.runtime.deps.events,
      now: () => new Date(Date.now() + seconds * 1000),
      log: SILENT,
      ...overrides,
    },
    options,
  );
let sequence = 0;
const deliver = (body: unknown, deps: IntakeDeps = env.runtime.deps) =>
  handleJobMessage({ body, queue: QUEUE, messageId: `rc-${++sequence}`, deliveryCount: 1, applicationProperties: {} }, deps);

beforeAll(async () => {
  env = await intakeEnv();
}, 60_000);
afterAll(async () => env?.close());

describe('the reconciler', () => {
  it('a driver deleted by hand: after the grace, the job is lost, with evidence, and a lost event', async () => {
    expect((await deliver(spec('vanishes', 'gone-1'))).kind).toBe('launched');
    const pod = jobNames('vanishes', key('gone-1')).driverPod;
    await env.kube.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: NS, name: pod });
    // Within the grace nothing is concluded: the pod may be a moment from showing up.
    expect((await sweepAt(60)).lost).toBe(0);
    expect((await ledger(key('gone-1')))?.state).toBe('launched');
    const report = await sweepAt(env.settings.sweeper.lostGraceSeconds + 60);
    expect(report.actions).toContainEqual(expect.objectContaining({ kind: 'record-lost', jobKey: key('gone-1'), done: true }));
    const record = (await ledger(key('gone-1')))!;
    expect(record.state).toBe('lost');
    expect(record.reasons?.[0]).toMatch(new RegExp(`the driver ${NS}/${pod} is gone and nothing recorded how it ended`));
    expect(record.history.at(-1)?.detail).toMatch(/evidence \{"phase":"launched"/);
    expect(events()).toContainEqual(expect.objectContaining({ type: 'lost', jobKey: key('gone-1') }));
    // Lost is settled: a redelivery launches nothing.
    expect((await deliver(spec('vanishes', 'gone-1'))).kind).toBe('duplicate');
  });

  it('a running driver, and a finished one, are never lost', async () => {
    expect((await deliver(spec('runs', 'stays-1'))).kind).toBe('launched');
    expect((await deliver(spec('ends', 'ends-1'))).kind).toBe('launched');
    env.kube.standIn.setPodStatus(NS, jobNames('ends', key('ends-1')).driverPod, {
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'spark-kubernetes-driver',
          state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: new Date().toISOString() } },
        },
      ],
    });
    await sweepAt(env.settings.sweeper.lostGraceSeconds + 60);
    expect((await ledger(key('stays-1')))?.state).toBe('launched');
    expect((await ledger(key('ends-1')))?.state).toBe('finished');
  });

  it('a dry run says what it would find lost and writes nothing', async () => {
    expect((await deliver(spec('vanishes', 'gone-dry'))).kind).toBe('launched');
    await env.kube.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: NS, name: jobNames('vanishes', key('gone-dry')).driverPod });
    const report = await sweep(
      {
        settings: env.settings,
        cluster: env.kube.cluster,
        ledger: env.runtime.deps.ledger,
        events: env.runtime.deps.events,
        now: () => new Date(Date.now() + 3600_000),
        log: SILENT,
      },
      { dryRun: true },
    );
    expect(report.actions).toContainEqual(expect.objectContaining({ kind: 'record-lost', jobKey: key('gone-dry'), done: false }));
    expect((await ledger(key('gone-dry')))?.state).toBe('launched');
  });

  it('a namespace that could not be listed proves no absence: nothing is lost there', async () => {
    expect((await deliver(spec('vanishes', 'gone-unlisted'))).kind).toBe('launched');
    await env.kube.cluster.remove({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: NS,
      name: jobNames('vanishes', key('gone-unlisted')).driverPod,
    });
    env.kube.standIn.setFaults([{ verb: 'list', resource: 'pods', rate: 1, kinds: ['500'] }]);
    try {
      const report = await sweepAt(3600, {
        settings: {
          ...env.settings,
          kubernetes: { ...env.settings.kubernetes, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } },
        },
      });
      expect(report.errors.length).toBeGreaterThan(0);
      expect(report.actions.filter((a) => a.kind === 'record-lost' && a.jobKey === key('gone-unlisted'))).toHaveLength(0);
    } finally {
      env.kube.standIn.setFaults([]);
    }
    expect((await ledger(key('gone-unlisted')))?.state).toBe('launched');
  });

  it('a request that never came back is lost after staleRequestSeconds', async () => {
    await env.runtime.deps.ledger.update(key('stuck-1'), () => ({
      jobKey: key('stuck-1'),
      state: 'retrying',
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      history: [{ at: new Date().toISOString(), state: 'retrying' }],
    }));
    await sweepAt(env.settings.sweeper.staleRequestSeconds - 60);
    expect((await ledger(key('stuck-1')))?.state).toBe('retrying');
    await sweepAt(env.settings.sweeper.staleRequestSeconds + 60);
    expect((await ledger(key('stuck-1')))?.reasons?.[0]).toMatch(/the request never came back/);
  });
});

describe('write-ahead launch', () => {
  it('the "launched" write fails after the create: the redelivery adopts the driver, never a second one', async () => {
    const real = env.runtime.deps.ledger;
    let failed = false;
    // The ledger's storage fails for the "launched" write only, once: a DispatchError, as the adapter raises.
    const flaky: LedgerPort = {
      ...real,
      update: (k, change) =>
        real.update(k, (current) => {
          const next = change(current);
          if (!failed && next.state === 'launched') {
            failed = true;
            throw new DispatchError('unavailable', 'storage unavailable');
          }
          return next;
        }),
    };
    const first = await deliver(spec('twice', 'wa-1'), { ...env.runtime.deps, ledger: flaky });
    expect(first.kind).toBe('retrying');
    // Written ahead: the record names the driver it was creating.
    expect(await ledger(key('wa-1'))).toMatchObject({
      state: 'retrying',
      namespace: NS,
      driverPod: jobNames('twice', key('wa-1')).driverPod,
    });
    const second = await deliver(spec('twice', 'wa-1'));
    expect(second.kind).toBe('already-launched');
    const drivers = env.kube.standIn
      .objects('pods', NS)
      .filter((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] === key('wa-1'));
    expect(drivers).toHaveLength(1);
    expect((await ledger(key('wa-1')))?.state).toBe('launched');
  });
  it('a new key is claimed with one conditional create and no read; a redelivery finds the claim holder and launches nothing more', async () => {
    const { ledger: counted, calls } = countedLedger(env.runtime.deps.ledger);
    expect((await deliver(spec('claimed', 'wa-2'), { ...env.runtime.deps, ledger: counted })).kind).toBe('launched');
    expect(calls).toEqual(['create launching', 'update']);
    calls.length = 0;
    const again = await deliver(spec('claimed', 'wa-2'), { ...env.runtime.deps, ledger: counted });
    expect(again.kind).toBe('duplicate');
    // The repeat is noted in the job's history: that is its one write.
    expect(calls).toEqual(['create refused: held by launched', 'update']);
    expect((await ledger(key('wa-2')))?.history.map((h) => h.state)).toEqual(['launching', 'launched', 'already-launched']);
  });
});

/**
 * Copy B of a job message with its pod create held back: first copy A is delivered (it reads B's
 * claim, "launching" of the same request, launches and records its driver), then A's driver is
 * removed as a finished one is cleared, and only then does B create its pod under the name, free
 * again. `cluster` wraps B's cluster port further (the API server failing at some point).
 */
function lateCopy(
  name: string,
  jobKey: string,
  cluster: (paused: ClusterPort) => ClusterPort = (paused) => paused,
  deps: Partial<IntakeDeps> = {},
) {
  const body = spec(name, jobKey);
  const podName = jobNames(name, key(jobKey)).driverPod;
  const pods = () =>
    env.kube.standIn
      .objects('pods', NS)
      .filter((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] === key(jobKey));
  const real = env.kube.cluster;
  const first: { outcome?: string; uid?: string } = {};
  // The real cluster port (a class: its methods live on the prototype), with its create paused once.
  const paused: ClusterPort = Object.assign(Object.create(real) as ClusterPort, {
    create: async (object: Parameters<ClusterPort['create']>[0], options?: Parameters<ClusterPort['create']>[1]) => {
      if (object.kind === 'Pod' && first.outcome === undefined) {
        first.outcome = (await deliver(body)).kind;
        first.uid = pods()[0]?.metadata.uid;
        await real.remove({ apiVersion: 'v1', kind: 'Pod', namespace: NS, name: podName });
      }
      return real.create(object, options);
    },
  });
  const wrapped = cluster(paused);
  return {
    body,
    podName,
    pods,
    first,
    deliverLate: () => deliver(body, { ...env.runtime.deps, ...deps, cluster: async () => wrapped }),
  };
}

describe('one driver per job key, even for a late copy', () => {
  it('a copy that read the claim while the first was launching creates its driver after the first was gone: it withdraws it', async () => {
    // Found by the bench's long run, where finished drivers are cleared within a fifth of a second:
    // copy B claims the key; copy A reads B's claim ("launching", same request), launches and
    // records its driver; that driver finishes and is cleared; only then does B create its pod,
    // under the same name, now free. The ledger already names A's driver: B removes its own.
    const { pods, first, deliverLate } = lateCopy('late-copy', 'lc-1');
    const late = await deliverLate();
    expect(first.outcome).toBe('launched');
    expect(late.kind).toBe('duplicate');
    // B's driver is gone again, and the record still names A's.
    expect(pods()).toEqual([]);
    const record = (await ledger(key('lc-1')))!;
    expect(record.state).toBe('launched');
    expect(record.driverUid).toBe(first.uid);
    expect(record.history.at(-1)).toMatchObject({ state: 'already-launched' });
    expect(record.history.at(-1)?.detail).toMatch(/created a second driver, .*it was withdrawn: one driver per job key/);
    expect(record.history.filter((h) => h.state === 'launched')).toHaveLength(1);
  });

  it('when the API server refuses to remove that second driver, the record keeps it and the next sweep removes exactly it', async () => {
    // A retried message would find the job launched and never look at the cluster again: the
    // ledger has to remember the second driver, or it runs to its end beside the first.
    let apiDown = false;
    const { podName, pods, first, deliverLate } = lateCopy('late-copy', 'lc-2', (paused) =>
      Object.assign(Object.create(paused) as ClusterPort, {
        create: async (object: Parameters<ClusterPort['create']>[0], options?: Parameters<ClusterPort['create']>[1]) => {
          const created = await paused.create(object, options);
          if (object.kind === 'Service') apiDown = true; // B's launch is complete: the API server goes away
          return created;
        },
        remove: async (...args: Parameters<ClusterPort['remove']>) => {
          if (apiDown) throw new DispatchError('unavailable', 'the API server is unavailable (503)');
          return paused.remove(...args);
        },
      }),
    );
    const late = await deliverLate();
    expect(first.outcome).toBe('launched');
    expect(late.kind).toBe('duplicate');
    const [second] = pods();
    expect(pods()).toHaveLength(1);
    const kept = (await ledger(key('lc-2')))!;
    expect(kept.driverUid).not.toBe(second!.metadata.uid);
    expect(kept.strays).toEqual([
      { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: podName, uid: second!.metadata.uid, at: expect.any(String) as string },
    ]);
    expect(kept.history.at(-1)?.detail).toMatch(/removing it failed \(.*unavailable.*\): the sweeper removes it/);

    // A dry run says what it would do and does nothing.
    // Within the run's deletion cap, like every deletion: at 0, the next run removes it.
    const capped = await sweepAt(0, { settings: { ...env.settings, sweeper: { ...env.settings.sweeper, maxDeletionsPerRun: 0 } } });
    expect(capped.capReached).toBe(true);
    expect(capped.actions).toContainEqual(
      expect.objectContaining({
        kind: 'remove-second-driver',
        jobKey: key('lc-2'),
        done: false,
        error: expect.stringMatching(/cap of 0/) as unknown,
      }),
    );
    expect(pods()).toHaveLength(1);
    const dry = await sweepAt(0, {}, { dryRun: true });
    expect(dry.actions).toContainEqual(expect.objectContaining({ kind: 'remove-second-driver', jobKey: key('lc-2'), done: false }));
    expect(pods()).toHaveLength(1);

    const report = await sweepAt(1);
    expect(report.actions).toContainEqual(
      expect.objectContaining({
        kind: 'remove-second-driver',
        jobKey: key('lc-2'),
        done: true,
        target: expect.objectContaining({ name: podName }) as unknown,
      }),
    );
    expect(pods()).toEqual([]);
    const after = (await ledger(key('lc-2')))!;
    expect(after.strays).toBeUndefined();
    expect(after.state).toBe('launched');
    expect(after.driverUid).toBe(kept.driverUid);
    expect(after.history.at(-1)?.detail).toBe(
      `the sweeper removed the second driver with uid ${second!.metadata.uid}: one driver per job key`,
    );
    // Nothing is left to do: the next sweep touches nothing of this job.
    expect((await sweepAt(2)).actions.filter((a) => a.jobKey === key('lc-2'))).toEqual([]);
  });

  it('when the copy cannot even record its launch (storage down, or the copy died), the next delivery of the job removes the second driver', async () => {
    // The copy never learns that its driver is a second one, and its message comes back later: the
    // record says launched, with the first driver's uid, and a pod under the job's name has
    // another. That pod is the second driver: the repeat removes it by its uid.
    let down = false;
    const real = env.runtime.deps.ledger;
    const ledger: LedgerPort = {
      ...real,
      update: (k, change) =>
        down ? Promise.reject(new DispatchError('unavailable', 'storage unavailable (503)')) : real.update(k, change),
    };
    const { body, pods, first, deliverLate } = lateCopy(
      'late-copy',
      'lc-3',
      (paused) =>
        Object.assign(Object.create(paused) as ClusterPort, {
          create: async (object: Parameters<ClusterPort['create']>[0], options?: Parameters<ClusterPort['create']>[1]) => {
            const created = await paused.create(object, options);
            if (object.kind === 'Service') down = true; // B's launch is complete: storage goes away
            return created;
          },
        }),
      { ledger },
    );
    await deliverLate().catch(() => undefined);
    expect(first.outcome).toBe('launched');
    const [second] = pods();
    expect(pods()).toHaveLength(1);
    expect(second!.metadata.uid).not.toBe(first.uid);
    down = false;

    const again = await deliver(body);
    expect(again.kind).toBe('duplicate');
    expect(pods()).toEqual([]);
    const record = (await ledger.get(key('lc-3')))!;
    expect(record.driverUid).toBe(first.uid);
    expect(record.history.at(-1)?.detail).toMatch(
      new RegExp(
        `delivered again: pod/.* \\(uid ${second!.metadata.uid}\\) was a second driver, not the key's \\(uid ${first.uid}\\); it was removed`,
      ),
    );
    // A repeat while the job's own driver runs removes nothing.
    const own = await deliver(spec('late-copy', 'lc-4'));
    expect(own.kind).toBe('launched');
    expect((await deliver(spec('late-copy', 'lc-4'))).kind).toBe('duplicate');
    expect(
      env.kube.standIn
        .objects('pods', NS)
        .filter((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] === key('lc-4')),
    ).toHaveLength(1);
  });
});

describe('lifecycle events: the ledger is the outbox', () => {
  it('a publish that fails is owed by the record, and the next sweep sends it', async () => {
    const down: EventsPort = { publish: () => Promise.reject(new Error('topic unavailable')) };
    expect((await deliver(spec('quiet', 'owed-1'), { ...env.runtime.deps, events: down })).kind).toBe('launched');
    const record = (await ledger(key('owed-1')))!;
    expect(record.owed?.map((o) => o.type)).toEqual(['launched']);
    expect(events().filter((e) => e.jobKey === key('owed-1'))).toHaveLength(0);
    const report = await sweepAt(0);
    expect(report.eventsPaid).toBeGreaterThanOrEqual(1);
    expect(events()).toContainEqual(expect.objectContaining({ type: 'launched', jobKey: key('owed-1') }));
    expect((await ledger(key('owed-1')))?.owed).toBeUndefined();
    expect((await ledger(key('owed-1')))?.history.map((h) => h.state)).toEqual(record.history.map((h) => h.state));
  });
});
