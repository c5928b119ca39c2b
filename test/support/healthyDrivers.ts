/**
 * The healthy-drivers scenario: a population of realistic Spark drivers (healthy ones that look
 * stalled to a naive rule, stalled ones that look busy, and drivers that end on their own), played
 * by the stand-in's SparkDriverSimulation over three hours of cluster time, with the real sweeper
 * (the shipped default graces) running every five minutes of that time through the real client.
 * It counts what matters: healthy drivers killed (must be 0), stalled drivers cleared with the right
 * reason after their grace and not before (must be all), and in observe mode the drivers the
 * sweeper would have killed (the stalled ones only) while it deletes nothing.
 */
import { memoryLedger } from './memoryPorts.js';
import { graceKey, type GracedReason, type SweepReason } from '../../src/domain/sweep/reasons.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { SILENT } from '../../src/shared/logger.js';
import { NO_EVENTS } from '../../src/usecases/queuePort.js';
import { sweep, type SweepReport } from '../../src/usecases/sweep.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import { SparkDriverSimulation, type Behaviour } from '../../dev/kube-standin/sparkDrivers.js';
import * as spark from '../../dev/kube-standin/sparkBehaviours.js';
import { resolved, settingsWith } from './fixtures.js';
import { standInCluster } from './standInCluster.js';

const JOBS = 'spark-jobs';
/** A namespace with a compute quota (requests.cpu 6) that three of the drivers share. */
const QUOTA = 'spark-quota';
const NAMESPACE_DEFAULTS = {
  defaults: { driver: { cores: 1, memory: '2g' }, executor: { cores: 1, memory: '2g', instances: 2 }, deadlineSeconds: 3600 },
};

type Expected =
  | { readonly kind: 'healthy' }
  /** The driver ends on its own (Spark or the kubelet ends it); the sweeper records how. */
  | { readonly kind: 'ends'; readonly final: string }
  /** Stalled from `at` (seconds after creation): cleared as `reason` once its grace has passed. */
  | { readonly kind: 'stalled'; readonly reason: SweepReason; readonly at: number };

export interface PopulationDriver {
  readonly name: string;
  readonly namespace: string;
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly behaviour: Behaviour;
  readonly expect: Expected;
}

/** 25 drivers: 10 healthy, 3 that end on their own, 12 stalled. Times in seconds after creation. */
export const POPULATION: readonly PopulationDriver[] = [
  // Healthy, and killed by the earlier rules (the five first).
  { name: 'quota-waiting', namespace: QUOTA, behaviour: spark.quotaWaiting(), expect: { kind: 'healthy' } },
  { name: 'python-first', namespace: JOBS, behaviour: spark.pythonFirst(), expect: { kind: 'healthy' } },
  { name: 'after-stop', namespace: JOBS, behaviour: spark.afterStop(), expect: { kind: 'healthy' } },
  { name: 'kueue-gated', namespace: JOBS, behaviour: spark.kueueGated(), expect: { kind: 'healthy' } },
  { name: 'dynamic-true', namespace: JOBS, behaviour: spark.dynamicAtZero(), expect: { kind: 'healthy' } },
  // Healthy, from Spark's and Kubernetes' behaviour.
  {
    name: 'quota-neighbour',
    namespace: QUOTA,
    spec: { executor: { instances: 3 } },
    behaviour: spark.quotaNeighbour(3, 2400),
    expect: { kind: 'healthy' },
  },
  { name: 'quiet-python', namespace: JOBS, behaviour: spark.quietPython(), expect: { kind: 'healthy' } },
  { name: 'slow-scale-up', namespace: JOBS, behaviour: spark.slowScaleUp(), expect: { kind: 'healthy' } },
  { name: 'big-image', namespace: JOBS, behaviour: spark.bigImage(), expect: { kind: 'healthy' } },
  { name: 'long-runner', namespace: JOBS, spec: { deadlineSeconds: 14400 }, behaviour: spark.longRunner(), expect: { kind: 'healthy' } },
  // They end on their own.
  {
    name: 'executors-oom',
    namespace: JOBS,
    behaviour: spark.crashLoopingExecutors(),
    expect: { kind: 'ends', final: 'TooManyExecutorFailures' },
  },
  { name: 'driver-oom', namespace: JOBS, behaviour: spark.driverOomKilled(), expect: { kind: 'ends', final: 'OOMKilled' } },
  { name: 'evicted', namespace: JOBS, behaviour: spark.driverEvicted(), expect: { kind: 'ends', final: 'Evicted' } },
  // Stalled: `at` is when the condition each reason measures began (the simulation acts every 15 s).
  {
    name: 'bad-image-tag',
    namespace: JOBS,
    behaviour: spark.badImageTag(),
    expect: { kind: 'stalled', reason: 'image-pull-failed', at: 15 },
  },
  {
    name: 'run-as-non-root',
    namespace: JOBS,
    behaviour: spark.containerConfigError(),
    expect: { kind: 'stalled', reason: 'container-config-error', at: 15 },
  },
  {
    name: 'driver-too-big',
    namespace: JOBS,
    behaviour: spark.driverNeverFits(),
    expect: { kind: 'stalled', reason: 'unschedulable', at: 15 },
  },
  { name: 'mount-fails', namespace: JOBS, behaviour: spark.mountFails(), expect: { kind: 'stalled', reason: 'stuck-creating', at: 15 } },
  { name: 'no-scheduler', namespace: JOBS, behaviour: spark.noScheduler(), expect: { kind: 'stalled', reason: 'pending-too-long', at: 0 } },
  {
    name: 'hangs-on-abfss',
    namespace: JOBS,
    behaviour: spark.hangsBeforeSession(),
    expect: { kind: 'stalled', reason: 'no-executors', at: 120 },
  },
  {
    name: 'hung-after-stop',
    namespace: JOBS,
    behaviour: spark.hungAfterStop(),
    expect: { kind: 'stalled', reason: 'hung-after-stop', at: 900 },
  },
  {
    name: 'executors-too-big',
    namespace: QUOTA,
    spec: { executor: { cores: 8, instances: 1 } },
    behaviour: spark.executorsNeverFitQuota(),
    expect: { kind: 'stalled', reason: 'executors-refused', at: 30 },
  },
  {
    name: 'executors-nowhere',
    namespace: JOBS,
    behaviour: spark.executorsNeverScheduled(),
    expect: { kind: 'stalled', reason: 'executors-pending', at: 60 },
  },
  { name: 'node-lost', namespace: JOBS, behaviour: spark.nodeLost(), expect: { kind: 'stalled', reason: 'node-lost', at: 1200 } },
  {
    name: 'loops-forever',
    namespace: JOBS,
    spec: { deadlineSeconds: 1800 },
    behaviour: spark.loopsPastDeadline(),
    expect: { kind: 'stalled', reason: 'deadline-exceeded', at: 30 + 1800 },
  },
  {
    name: 'deadlock-at-zero',
    namespace: JOBS,
    behaviour: spark.deadlocksAtZero(),
    expect: { kind: 'stalled', reason: 'no-executors', at: 705 },
  },
];

const SWEEP_EVERY = 300;
const HOURS = 3;
/** The simulation acts every 15 s: a condition starts up to that much after the behaviour's time. */
const TICK = 15;

export interface DriverOutcome {
  readonly name: string;
  readonly expected: string;
  /** What the sweeper did: `kept`, or the reason, with the time (seconds after creation). */
  readonly outcome: string;
  readonly ok: boolean;
}

export interface HealthyDriversResult {
  readonly mode: 'delete' | 'observe';
  readonly drivers: number;
  readonly healthy: number;
  readonly ends: number;
  readonly stalled: number;
  /** Healthy drivers (or drivers that end on their own) the sweeper cleared, or would have, while they lived. */
  readonly healthyKilled: number;
  /** Stalled drivers cleared (observe: would-clear) with the right reason, after their grace and at most a sweep later. */
  readonly stalledCleared: number;
  readonly stalledEarly: number;
  readonly stalledLate: number;
  readonly stalledMissed: number;
  readonly wrongReason: number;
  /** Observe mode: distinct drivers recorded as would-clear; pods the sweeper deleted (must be 0). */
  readonly wouldHaveKilled: number;
  readonly podsDeleted: number;
  /** Drivers that ended on their own whose end the ledger recorded with the right reason. */
  readonly endsRecorded: number;
  readonly sweeps: number;
  readonly evidenceReads: number;
  readonly deferred: number;
  readonly simulatedHours: number;
  readonly seconds: number;
  readonly outcomes: readonly DriverOutcome[];
  readonly errors: readonly string[];
  /** Wall time spent simulating the drivers, and in the sweeps. */
  readonly simMs: number;
  readonly sweepMs: number;
}

export async function healthyDriversScenario(mode: 'delete' | 'observe' = 'delete'): Promise<HealthyDriversResult> {
  const started = performance.now();
  // Retries as fast as the stand-in answers: a lost node's log read fails on every attempt.
  const overrides = {
    namespaces: { [JOBS]: NAMESPACE_DEFAULTS, [QUOTA]: NAMESPACE_DEFAULTS },
    sweeper: { mode },
    kubernetes: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
  };
  const settings = settingsWith(overrides);
  const kube = await standInCluster({ namespaces: [JOBS, QUOTA] });
  try {
    const simulation = new SparkDriverSimulation(kube.standIn);
    const byPod = new Map<string, PopulationDriver>();
    for (const driver of POPULATION) {
      const job = resolved(
        { name: driver.name, jobKey: `healthy-drivers/${driver.name}`, namespace: driver.namespace, ...driver.spec },
        overrides,
      );
      const outcome = await launchJob(job, kube.cluster);
      if (outcome.kind !== 'launched') throw new Error(`${driver.name}: ${JSON.stringify(outcome)}`);
      byPod.set(job.names.driverPod, driver);
      simulation.add(driver.namespace, job.names.driverPod, driver.behaviour);
    }
    // After the launches: the drivers in the quota namespace count toward it from the start.
    await postObject(kube.standIn.url, `/api/v1/namespaces/${QUOTA}/resourcequotas`, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute', namespace: QUOTA },
      spec: { hard: { 'requests.cpu': '6' } },
    });

    const ledger = memoryLedger();
    const t0 = kube.standIn.now().getTime();
    const first = new Map<string, { reason: SweepReason; t: number }>();
    const reports: SweepReport[] = [];
    let simMs = 0;
    let sweepMs = 0;
    for (let t = SWEEP_EVERY; t <= HOURS * 3600; t += SWEEP_EVERY) {
      const a = performance.now();
      await simulation.advance(SWEEP_EVERY, TICK);
      simMs += performance.now() - a;
      const b = performance.now();
      const report = await sweep({
        settings,
        cluster: kube.cluster,
        ledger,
        events: NO_EVENTS,
        now: () => kube.standIn.now(),
        log: SILENT,
      });
      sweepMs += performance.now() - b;
      reports.push(report);
      for (const action of report.actions) {
        if (action.kind !== 'delete' || action.target.kind !== 'Pod' || !action.reason || first.has(action.target.name)) continue;
        if (action.done || action.observed)
          first.set(action.target.name, { reason: action.reason, t: Math.round((kube.standIn.now().getTime() - t0) / 1000) });
      }
    }

    const outcomes: DriverOutcome[] = [];
    let healthyKilled = 0;
    let stalledCleared = 0;
    let stalledEarly = 0;
    let stalledLate = 0;
    let stalledMissed = 0;
    let wrongReason = 0;
    let endsRecorded = 0;
    for (const [pod, driver] of byPod) {
      const done = first.get(pod);
      const what = done ? `${done.reason} at ${done.t} s` : 'kept';
      const exp = driver.expect;
      if (exp.kind === 'stalled') {
        const grace = settings.sweeper.grace[graceKey(exp.reason as GracedReason)] ?? 0;
        const due = exp.at + grace;
        let ok = false;
        if (!done) stalledMissed++;
        else if (done.reason !== exp.reason) wrongReason++;
        else if (done.t < due - TICK) stalledEarly++;
        else if (done.t > due + SWEEP_EVERY + TICK) stalledLate++;
        else {
          stalledCleared++;
          ok = true;
        }
        outcomes.push({ name: driver.name, expected: `${exp.reason} after ${due} s`, outcome: what, ok });
        continue;
      }
      const killed = done !== undefined && done.reason !== 'finished-retention';
      if (killed) healthyKilled++;
      let ok = !killed;
      if (exp.kind === 'ends') {
        const record = ledger.records.get(`default/healthy-drivers/${driver.name}`);
        const recorded = record?.final?.reason === exp.final;
        if (recorded) endsRecorded++;
        ok = ok && recorded;
        outcomes.push({
          name: driver.name,
          expected: `ends on its own (${exp.final})`,
          outcome: `${what}; final ${record?.final?.reason ?? 'not recorded'}`,
          ok,
        });
      } else {
        outcomes.push({ name: driver.name, expected: 'healthy', outcome: what, ok });
      }
    }
    const podsDeleted = reports.reduce((n, r) => n + r.actions.filter((a) => a.kind === 'delete' && a.done).length, 0);
    const wouldHaveKilled = new Set(
      reports.flatMap((r) =>
        r.actions.filter((a) => a.observed && a.reason !== 'finished-retention' && a.target.kind === 'Pod').map((a) => a.target.name),
      ),
    ).size;
    return {
      mode,
      drivers: POPULATION.length,
      healthy: POPULATION.filter((d) => d.expect.kind === 'healthy').length,
      ends: POPULATION.filter((d) => d.expect.kind === 'ends').length,
      stalled: POPULATION.filter((d) => d.expect.kind === 'stalled').length,
      healthyKilled,
      stalledCleared,
      stalledEarly,
      stalledLate,
      stalledMissed,
      wrongReason,
      wouldHaveKilled,
      podsDeleted,
      endsRecorded,
      sweeps: reports.length,
      evidenceReads: reports.reduce((n, r) => n + r.evidenceRead, 0),
      deferred: reports.reduce((n, r) => n + r.deferred, 0),
      simulatedHours: HOURS,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      outcomes,
      errors: reports.flatMap((r) => r.errors),
      simMs: Math.round(simMs),
      sweepMs: Math.round(sweepMs),
    };
  } finally {
    await kube.close();
  }
}
