/**
 * The sweeper against the stand-in, through the real client, with the ledger in Azurite: a mixed
 * population of healthy and stalled drivers, finished ones, leftovers and pods that are not ours.
 * The sweep's clock runs two hours ahead of the stand-in's, so creation times are "old" and each
 * pod's status timestamps decide how long its condition has lasted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { PAGE_SIZE } from '../../src/usecases/listPages.js';
import { FinalsRecorded } from '../../src/usecases/finalsRecorded.js';
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';
import { jsonLogger, SILENT } from '../../src/shared/logger.js';
import { sweep, type SweepDeps } from '../../src/usecases/sweep.js';
import type { PodStatusPatch } from '../../dev/kube-standin/index.js';
import { eventually } from '../support/eventually.js';
import { resolved } from '../support/fixtures.js';
import { intakeEnv, key, type IntakeEnv } from '../support/intakeEnv.js';

let env: IntakeEnv;
const NOW = new Date(Date.now() + 2 * 3600_000);
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const NS = 'spark-jobs';

const scheduled = (secondsAgo: number) => ({ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(secondsAgo) });
const driver = (state: NonNullable<PodStatusPatch['containerStatuses']>[number]['state']) => [{ name: 'spark-kubernetes-driver', state }];

interface Case {
  readonly key: string;
  readonly status?: PodStatusPatch;
  readonly executors?: { count: number; phase: 'Pending' | 'Running'; status?: PodStatusPatch };
  /** Log lines, each received `ago` seconds before the sweep. */
  readonly log?: readonly { readonly ago: number; readonly text: string }[];
  readonly spec?: Record<string, unknown>;
}

// What each driver looks like when the sweep runs, and what the sweep must do with it.
const POPULATION: Record<string, Case & { expect: 'keep' | string }> = {
  healthyRunning: {
    key: 'healthy-running',
    status: {
      phase: 'Running',
      startTime: ago(100),
      conditions: [scheduled(110)],
      containerStatuses: driver({ running: { startedAt: ago(100) } }),
    },
    executors: { count: 2, phase: 'Running' },
    expect: 'keep',
  },
  healthyStarting: {
    key: 'healthy-starting',
    status: { phase: 'Pending', conditions: [scheduled(30)], containerStatuses: driver({ waiting: { reason: 'ContainerCreating' } }) },
    expect: 'keep',
  },
  healthyQueued: {
    key: 'healthy-queued',
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: ago(120) }],
    },
    expect: 'keep',
  },
  imagePull: {
    key: 'bad-image',
    status: {
      phase: 'Pending',
      conditions: [scheduled(1000)],
      containerStatuses: driver({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } }),
    },
    expect: 'image-pull-failed',
  },
  unschedulable: {
    key: 'too-big',
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
  // Its last words 2500 s ago (grace 1800): no executor, nothing since.
  noExecutors: {
    key: 'hangs',
    status: {
      phase: 'Running',
      startTime: ago(3000),
      conditions: [scheduled(3010)],
      containerStatuses: driver({ running: { startedAt: ago(3000) } }),
    },
    log: [
      { ago: 2990, text: 'reading abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/etl/config.json' },
      { ago: 2500, text: 'Traceback (most recent call last):\n  org.apache.hadoop.fs.azurebfs.contracts.exceptions.AbfsAuthException' },
    ],
    expect: 'no-executors',
  },
  // Same pod, but it logged a minute ago: Python working before its SparkSession.
  quietPython: {
    key: 'python-first',
    status: {
      phase: 'Running',
      startTime: ago(3000),
      conditions: [scheduled(3010)],
      containerStatuses: driver({ running: { startedAt: ago(3000) } }),
    },
    log: [{ ago: 60, text: 'building features: 80 % done' }],
    expect: 'keep',
  },
  executorsPending: {
    key: 'starved',
    status: {
      phase: 'Running',
      startTime: ago(3000),
      conditions: [scheduled(3010)],
      containerStatuses: driver({ running: { startedAt: ago(3000) } }),
    },
    executors: {
      count: 2,
      phase: 'Pending',
      status: {
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
    },
    expect: 'executors-pending',
  },
  deadline: {
    key: 'overdue',
    spec: { deadlineSeconds: 600 },
    status: {
      phase: 'Running',
      startTime: ago(700),
      conditions: [scheduled(710)],
      containerStatuses: driver({ running: { startedAt: ago(700) } }),
    },
    executors: { count: 1, phase: 'Running' },
    expect: 'deadline-exceeded',
  },
  finishedRecently: {
    key: 'done-recently',
    status: {
      phase: 'Succeeded',
      startTime: ago(500),
      conditions: [scheduled(510)],
      containerStatuses: driver({ terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(60) } }),
    },
    expect: 'keep',
  },
  finishedLongAgo: {
    key: 'oom-long-ago',
    status: {
      phase: 'Failed',
      startTime: ago(100_500),
      conditions: [scheduled(100_510)],
      containerStatuses: driver({ terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(100_000) } }),
    },
    log: [{ ago: 100_001, text: 'java.lang.OutOfMemoryError: Java heap space' }],
    expect: 'finished-retention',
  },
};

/** What the population's stalled drivers and leftovers are cleared as. */
const STALLED = {
  'image-pull-failed': 1,
  unschedulable: 1,
  'no-executors': 1,
  'executors-pending': 1,
  'deadline-exceeded': 1,
  'finished-retention': 1,
  'orphaned-companion': 1,
};

const jobs: Record<string, ResolvedJob> = {};
const podsNamed = (name: string) => env.kube.standIn.objects('pods', NS).filter((p) => p.metadata.name === name);
const deps = (overrides: Partial<SweepDeps> = {}): SweepDeps => ({
  settings: env.settings,
  cluster: env.kube.cluster,
  ledger: env.runtime.deps.ledger,
  events: env.runtime.deps.events,
  now: () => NOW,
  log: SILENT,
  ...overrides,
});

beforeAll(async () => {
  env = await intakeEnv();
  for (const [name, c] of Object.entries(POPULATION)) {
    const job = resolved({ name, jobKey: c.key, ...c.spec });
    jobs[name] = job;
    expect((await launchJob(job, env.kube.cluster)).kind).toBe('launched');
    if (c.status) env.kube.standIn.setPodStatus(NS, job.names.driverPod, c.status);
    if (c.executors) {
      const names = env.kube.standIn.spawnExecutors(NS, job.names.driverPod, c.executors.count, c.executors.phase);
      for (const name of names) if (c.executors.status) env.kube.standIn.setPodStatus(NS, name, c.executors.status);
    }
    if (c.log)
      env.kube.standIn.appendPodLog(
        NS,
        job.names.driverPod,
        c.log.map((l) => ({ text: l.text, at: ago(l.ago) })),
      );
  }
  // Not ours: the same stalled signature, but no spark-dispatch labels. Must never be touched.
  const foreign = renderNative(resolved({ name: 'foreign', jobKey: 'foreign' })).pod;
  await env.kube.cluster.create({
    ...foreign,
    metadata: { name: 'someone-elses-driver', namespace: NS, labels: { 'spark-role': 'driver' } },
  });
  env.kube.standIn.setPodStatus(NS, 'someone-elses-driver', POPULATION.unschedulable!.status!);
  // A ConfigMap of ours whose launch died before the pod existed: no owner.
  const orphan = renderNative(resolved({ name: 'orphan', jobKey: 'orphan' })).configMap;
  await env.kube.cluster.create(orphan);
}, 60_000);
afterAll(async () => env?.close());

describe('sweep', () => {
  it('a dry run reports what it would clear and changes nothing', async () => {
    const before = env.kube.standIn.objects('pods', NS).length;
    const report = await sweep(deps(), { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.actions.filter((a) => a.kind === 'delete').every((a) => !a.done)).toBe(true);
    expect(env.kube.standIn.objects('pods', NS).length).toBe(before);
    // These jobs were launched directly (not through the intake), so a dry run must leave them unrecorded.
    expect(await env.runtime.deps.ledger.get(key('bad-image'))).toBeUndefined();
    expect(await env.runtime.deps.ledger.get(key('done-recently'))).toBeUndefined();
  });

  it('in observe mode clears nothing, records each would-clear once (ledger, metric, log line) and reports it', async () => {
    const observing = { ...env.settings, sweeper: { ...env.settings.sweeper, mode: 'observe' as const } };
    const lines: string[] = [];
    const log = jsonLogger({ info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) });
    const before = env.kube.standIn.objects('pods', NS).length;
    const first = await sweep(deps({ settings: observing, log }));
    expect(first.errors).toEqual([]);
    expect(first.mode).toBe('observe');
    expect(Object.values(first.cleared).every((n) => n === 0)).toBe(true);
    expect(Object.fromEntries(Object.entries(first.wouldClear).filter(([, n]) => n > 0))).toEqual(STALLED);
    expect(first.actions.filter((a) => a.kind === 'delete').every((a) => a.observed === true && !a.done)).toBe(true);
    expect(env.kube.standIn.objects('pods', NS).length).toBe(before);
    const hangs = (await env.runtime.deps.ledger.get(key('hangs')))!;
    expect(hangs.history.map((h) => h.state)).toEqual(['would-clear']);
    expect(hangs.history[0]?.detail).toMatch(/^no-executors: no executor and no log line or heartbeat for 2500 s/);
    expect(hangs.history[0]?.detail).toContain('"lastLogLine":"  org.apache.hadoop.fs.azurebfs.contracts.exceptions.AbfsAuthException"');
    expect(lines.filter((l) => l.includes('would clear (observe mode)'))).toHaveLength(Object.values(STALLED).reduce((a, b) => a + b, 0));
    // The next run sees the same drivers: another log line, no second ledger entry.
    await sweep(deps({ settings: observing }));
    expect((await env.runtime.deps.ledger.get(key('hangs')))!.history.filter((h) => h.state === 'would-clear')).toHaveLength(1);
    expect(await env.runtime.deps.ledger.get(key('python-first'))).toBeUndefined();
  });

  it('clears every stalled driver with the right reason, keeps every healthy one, never touches pods that are not ours', async () => {
    const report = await sweep(deps());
    expect(report.errors).toEqual([]);
    expect(report.examined).toBe(Object.keys(POPULATION).length);
    expect(report.healthy).toBe(4);
    // Read for their verdicts: the two silent drivers' logs, the unschedulable driver's and the starved executors' events.
    expect(report.evidenceRead).toBe(4);
    expect(Object.fromEntries(Object.entries(report.cleared).filter(([, n]) => n > 0))).toEqual(STALLED);
    for (const [name, c] of Object.entries(POPULATION)) {
      const pods = podsNamed(jobs[name]!.names.driverPod);
      if (c.expect === 'keep') expect(pods, name).toHaveLength(1);
      else
        expect(
          pods.filter((p) => !p.metadata.deletionTimestamp),
          name,
        ).toHaveLength(0);
    }
    expect(podsNamed('someone-elses-driver')).toHaveLength(1);
    expect(
      env.kube.standIn
        .objects('configmaps', NS)
        .find((c) => c.metadata.name === renderNative(resolved({ name: 'orphan', jobKey: 'orphan' })).configMap.metadata.name),
    ).toBeUndefined();
  });

  it("the driver's executors, ConfigMap and Service go with it", async () => {
    const starved = jobs.executorsPending!;
    await eventually(() => {
      const left = env.kube.standIn
        .objects('pods', NS)
        .filter((p) => (p.metadata.labels as Record<string, string>)['spark-app-selector'] === starved.names.appId);
      expect(left).toHaveLength(0);
      expect(env.kube.standIn.objects('configmaps', NS).find((c) => c.metadata.name === starved.names.configMap)).toBeUndefined();
      expect(env.kube.standIn.objects('services', NS).find((s) => s.metadata.name === starved.names.service)).toBeUndefined();
    });
  });

  it("the ledger says why each job was cleared, with the evidence, and keeps the driver's log", async () => {
    const hangs = (await env.runtime.deps.ledger.get(key('hangs')))!;
    expect(hangs.state).toBe('swept');
    expect(hangs.reasons?.[0]).toMatch(/^no-executors: no executor and no log line or heartbeat for 2500 s/);
    expect(hangs.history.at(-1)?.detail).toContain('"thresholdSeconds":1800');
    // As the kubelet stamped the line (RFC3339Nano).
    expect(hangs.history.at(-1)?.detail).toContain(`"lastSignOfLife":"${ago(2500).replace(/Z$/, '000000Z')}"`);
    expect(await env.runtime.deps.ledger.readLog(key('hangs'))).toContain('AbfsAuthException');
    expect(await env.runtime.deps.ledger.readLog(key('hangs'))).toMatch(
      /^# pod\/noexecutors-[0-9a-f]{16}-driver in spark-jobs, saved by the sweeper at .* before clearing it: no-executors\n/,
    );
    const badImage = (await env.runtime.deps.ledger.get(key('bad-image')))!;
    expect(badImage.reasons?.[0]).toMatch(/^image-pull-failed: the driver image cannot be pulled \(ImagePullBackOff\)/);
    expect(await env.runtime.deps.ledger.readLog(key('bad-image'))).toBeDefined();
  });

  it('finished jobs get their final state recorded, before and after retention removes the pod', async () => {
    expect(await env.runtime.deps.ledger.get(key('done-recently'))).toMatchObject({
      state: 'finished',
      final: { phase: 'Succeeded', exitCode: 0, durationSeconds: 440 },
    });
    const oom = (await env.runtime.deps.ledger.get(key('oom-long-ago')))!;
    expect(oom).toMatchObject({ state: 'finished', final: { phase: 'Failed', exitCode: 137, reason: 'OOMKilled' } });
    // Recorded finished by the observing run, which would have cleared it; swept by the next.
    expect(oom.history.map((h) => h.state)).toEqual(['finished', 'would-clear', 'swept']);
    expect(await env.runtime.deps.ledger.readLog(key('oom-long-ago'))).toContain('OutOfMemoryError');
  });

  it('lifecycle events say swept and finished', async () => {
    const events = env.broker.messages('spark-dispatch-events/subscriptions/audit').map((m) => m.body as { type: string; jobKey: string });
    expect(events).toContainEqual(expect.objectContaining({ type: 'swept', jobKey: key('starved') }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'finished', jobKey: key('done-recently') }));
  });

  it('a second (or overlapping, or late) run is harmless: nothing new to clear, finals not recorded twice', async () => {
    const [a, b] = await Promise.all([sweep(deps()), sweep(deps())]);
    for (const report of [a, b]) {
      expect(report.errors).toEqual([]);
      expect(report.actions.filter((x) => x.kind === 'delete' && x.done && x.reason !== 'finished-retention')).toEqual([]);
    }
    const done = (await env.runtime.deps.ledger.get(key('done-recently')))!;
    expect(done.history.filter((h) => h.state === 'finished')).toHaveLength(1);
  });
});

describe('sweep across runs', () => {
  it('a process that saw a final state in the ledger does not read the ledger for that job again', async () => {
    const real = env.runtime.deps.ledger;
    let reads = 0;
    const ledger: LedgerPort = { ...real, get: (jobKey) => (reads++, real.get(jobKey)) };
    const finalsRecorded = new FinalsRecorded();
    const first = await sweep(deps({ ledger, finalsRecorded }), { dryRun: true });
    expect(first.errors).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    reads = 0;
    const second = await sweep(deps({ ledger, finalsRecorded }), { dryRun: true });
    expect(second.errors).toEqual([]);
    expect(reads).toBe(0);
    expect(second.finishedRecorded).toBe(first.finishedRecorded);
  });
});

describe('sweep limits', () => {
  it('stops at the deletion cap and reports it; the next run continues', async () => {
    const stalled = await Promise.all(
      [1, 2, 3, 4].map(async (i) => {
        const job = resolved({ name: 'capped', jobKey: `capped-${i}` });
        await launchJob(job, env.kube.cluster);
        env.kube.standIn.setPodStatus(NS, job.names.driverPod, POPULATION.imagePull!.status!);
        return job;
      }),
    );
    const capped = { ...env.settings, sweeper: { ...env.settings.sweeper, maxDeletionsPerRun: 3 } };
    const first = await sweep(deps({ settings: capped }));
    expect(first.capReached).toBe(true);
    expect(first.actions.filter((a) => a.kind === 'delete' && a.done)).toHaveLength(3);
    expect(first.actions.filter((a) => a.kind === 'delete' && !a.done)[0]?.error).toMatch(/cap of 3 deletions per run was reached/);
    const second = await sweep(deps({ settings: capped }));
    expect(second.capReached).toBe(false);
    const remaining = stalled.filter((j) => podsNamed(j.names.driverPod).some((p) => !p.metadata.deletionTimestamp));
    expect(remaining).toHaveLength(0);
  });

  it('a deletion that fails is reported as an error and not counted as cleared; the next run clears it', async () => {
    const job = resolved({ name: 'undeletable', jobKey: 'undeletable' });
    expect((await launchJob(job, env.kube.cluster)).kind).toBe('launched');
    env.kube.standIn.setPodStatus(NS, job.names.driverPod, POPULATION.imagePull!.status!);
    env.kube.standIn.setFaults([{ verb: 'delete', resource: 'pods', rate: 1, kinds: ['500'] }]);
    let report: Awaited<ReturnType<typeof sweep>>;
    try {
      report = await sweep(deps());
    } finally {
      env.kube.standIn.setFaults([]);
    }
    const action = report.actions.find((a) => a.target.name === job.names.driverPod);
    expect(action).toMatchObject({
      kind: 'delete',
      reason: 'image-pull-failed',
      done: false,
      error: expect.stringMatching(/^pod\/.*undeletable.*: delete pod/),
    });
    expect(report.cleared['image-pull-failed']).toBe(report.actions.filter((a) => a.reason === 'image-pull-failed' && a.done).length);
    const next = await sweep(deps());
    expect(next.actions.find((a) => a.target.name === job.names.driverPod)).toMatchObject({ done: true });
    expect(next.cleared['image-pull-failed']).toBeGreaterThanOrEqual(1);
  });

  it("a list that keeps failing fails that namespace's sweep with the reason, retried first, and clears nothing", async () => {
    env.kube.standIn.setFaults([{ verb: 'list', resource: 'configmaps', rate: 1, kinds: ['503'] }]);
    env.kube.standIn.resetStats();
    try {
      const report = await sweep(deps());
      expect(report.errors).toEqual([expect.stringMatching(/^namespace spark-jobs: list configmaps in spark-jobs: /)]);
      expect(report.actions.filter((a) => a.kind === 'delete')).toEqual([]);
      expect(env.kube.standIn.stats().requests['list configmaps']).toBe(env.settings.kubernetes.retry.maxAttempts);
      expect(env.kube.standIn.stats().requests['delete pods'] ?? 0).toBe(0);
    } finally {
      env.kube.standIn.setFaults([]);
    }
  });

  it('reads every page of a large namespace and judges every driver on them', async () => {
    await Promise.all(
      Array.from({ length: PAGE_SIZE + 20 }, async (_, i) => {
        const pod = renderNative(resolved({ name: 'bulk', jobKey: `bulk-${i}` })).pod;
        return env.kube.cluster.create(pod);
      }),
    );
    const ours = env.kube.standIn
      .objects('pods', NS)
      .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'spark-dispatch');
    const drivers = ours.filter((p) => p.metadata.labels?.['spark-role'] === 'driver').length;
    const executors = ours.filter((p) => p.metadata.labels?.['spark-role'] === 'executor').length;
    expect(drivers).toBeGreaterThan(PAGE_SIZE);
    env.kube.standIn.resetStats();
    const report = await sweep(deps({ now: () => new Date() }), { dryRun: true });
    expect(report.errors).toEqual([]);
    expect(report.examined).toBe(drivers);
    expect(env.kube.standIn.stats().requests['list pods']).toBe(
      Math.ceil(drivers / PAGE_SIZE) + Math.max(1, Math.ceil(executors / PAGE_SIZE)),
    );
  });
});
