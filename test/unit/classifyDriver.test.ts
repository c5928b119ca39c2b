/**
 * The sweeper's judgement of a driver pod from the pod alone, signature by signature (the state
 * diagram at the top of src/domain/sweep/classifyDriver.ts, from the "Failure signatures" table of
 * the driver contract): a verdict, or a suspect whose evidence decides (decideSuspect.test.ts).
 * Each boundary table checks one second before, exactly at, and one second after its grace, with
 * `since` proving which timestamp the clock started from.
 */
import { describe, expect, it } from 'vitest';
import { classifyDriver, type Judgement } from '../../src/domain/sweep/classifyDriver.js';
import { ANNOTATIONS } from '../../src/domain/render/naming.js';
import { executorView, type PodView } from '../../src/domain/sweep/podView.js';
import {
  DRIVER_CONTAINER,
  DRIVER_POD,
  DRIVER_IMAGE,
  NOW,
  SCHEDULER_MESSAGE,
  GRACE,
  THRESHOLDS,
  ago,
  around,
  cond,
  driverPod,
  executorPod,
  finishedDriver,
  runningDriver,
  unschedulableDriver,
  unseenDriver,
  waitingDriver,
  withGrace,
} from '../support/podBuilders.js';

const classify = (pod: PodView, executors: readonly PodView[] = [], now: Date = NOW, thresholds = THRESHOLDS): Judgement =>
  classifyDriver(pod, executors, thresholds, now);

const KEEP_PENDING = { action: 'keep', state: 'pending' } as const;
const KEEP_RUNNING = { action: 'keep', state: 'running' } as const;

/** Two executors that started fine: no executor rule fires, so the deadline is the only question. */
const HEALTHY_EXECUTORS = [executorPod(1, 'Running', 3000), executorPod(2, 'Running', 3000)];

describe('Pending: the driver image cannot be pulled', () => {
  const REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'] as const;

  // A typo in the image tag, a registry the node cannot authenticate to, a malformed reference, or
  // imagePullPolicy Never on a node without the image: the kubelet retries, but it never heals.
  it.each(REASONS.flatMap((waiting) => around(GRACE.imagePullFailed).map((row) => ({ waiting, ...row }))))(
    '$waiting $age s after scheduling: $outcome',
    ({ waiting, age, outcome }) => {
      const pod = waitingDriver(age, { reason: waiting, message: `Back-off pulling image "${DRIVER_IMAGE}"` });
      expect(classify(pod)).toMatchObject(
        outcome === 'keep'
          ? KEEP_PENDING
          : {
              action: 'delete',
              reason: 'image-pull-failed',
              message: expect.stringContaining(waiting),
              evidence: { phase: 'Pending', since: ago(age), ageSeconds: age, thresholdSeconds: 180 },
            },
      );
    },
  );

  // Where the clock starts: PodScheduled=True's transition; a condition without a time falls back to
  // status.startTime; a pod with no PodScheduled condition at all (bound by nodeName) to its creation.
  it.each(
    [
      {
        clock: 'PodScheduled without lastTransitionTime → startTime',
        build: (age: number) => withScheduled(age, 'no-time'),
        since: (age: number) => ago(age),
      },
      {
        clock: 'no PodScheduled condition → creationTimestamp',
        build: (age: number) => withScheduled(age, 'absent'),
        since: (age: number) => ago(age),
      },
    ].flatMap((c) => [
      { ...c, age: 179, outcome: 'keep' as const },
      { ...c, age: 181, outcome: 'delete' as const },
    ]),
  )('$clock, $age s: $outcome', ({ build, since, age, outcome }) => {
    expect(classify(build(age))).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : { action: 'delete', reason: 'image-pull-failed', evidence: { since: since(age), thresholdSeconds: 180 } },
    );
  });

  /** ErrImagePull with the measured timestamp `age` s ago and the other candidates 50 s either side. */
  function withScheduled(age: number, scheduled: 'no-time' | 'absent'): PodView {
    const container = {
      waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${DRIVER_IMAGE}": 401 Unauthorized` },
    };
    return scheduled === 'no-time'
      ? driverPod({ createdAgo: age + 50, startTimeAgo: age, conditions: [cond('PodScheduled', 'True', undefined)], container })
      : driverPod({ createdAgo: age, startTimeAgo: age - 50, container });
  }
});

describe('Pending: the driver container cannot be created', () => {
  // A key missing from the conf ConfigMap or a Secret (CreateContainerConfigError), or the runtime
  // refusing the container, e.g. runAsNonRoot with a named user (CreateContainerError).
  it.each(
    (['CreateContainerConfigError', 'CreateContainerError'] as const).flatMap((waiting) =>
      around(GRACE.containerConfigError).map((row) => ({ waiting, ...row })),
    ),
  )('$waiting $age s after scheduling: $outcome', ({ waiting, age, outcome }) => {
    const pod = waitingDriver(age, {
      reason: waiting,
      message: "couldn't find key spark.properties in ConfigMap analytics/spark-drv-3f2a9c1d8e7b6a54-conf-map",
    });
    expect(classify(pod)).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : {
            action: 'delete',
            reason: 'container-config-error',
            message: expect.stringContaining(waiting),
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 170 },
          },
    );
  });
});

describe('Pending: no node can run the driver', () => {
  // The cluster is full and the autoscaler cannot (or may not) add a node that fits the driver.
  // activeDeadlineSeconds never fires here: there is no status.startTime until a node takes the pod.
  // Past the grace it is a suspect: the pod's events say whether a node is being added for it.
  it.each(around(GRACE.unschedulable))('PodScheduled=False for $age s: $outcome', ({ age, outcome }) => {
    expect(classify(unschedulableDriver(age))).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : {
            action: 'suspect',
            kind: 'blocked',
            reason: 'unschedulable',
            needs: { eventsOf: DRIVER_POD },
            message: `no node can run the driver (Unschedulable: ${SCHEDULER_MESSAGE})`,
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 900 },
          },
    );
  });
});

describe('Pending: held by scheduling gates (Kueue), which is not Unschedulable', () => {
  // Kueue's webhook gates a pod (kueue.x-k8s.io/admission) until its queue admits it; the scheduler
  // then reports PodScheduled=False with reason SchedulingGated. The pod waits its turn.
  const gated = (age: number, gates = true): PodView => {
    const pod = driverPod({
      createdAgo: age + 1,
      conditions: [cond('PodScheduled', 'False', age, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates')],
    });
    return gates ? { ...pod, spec: { ...pod.spec, schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }] } } : pod;
  };

  it('by default (never) a gated driver waits as long as the queue holds it, days past every other grace', () => {
    expect(classify(gated(5 * 86400), [], NOW, withGrace({ schedulingGated: null }))).toEqual({
      action: 'keep',
      state: 'waiting',
      why: 'held by scheduling gates (kueue.x-k8s.io/admission): queued, not unschedulable',
    });
  });

  it.each(around(GRACE.schedulingGated))('with a grace set, gated for $age s: $outcome', ({ age, outcome }) => {
    expect(classify(gated(age))).toMatchObject(
      outcome === 'keep'
        ? { action: 'keep', state: 'waiting' }
        : { action: 'delete', reason: 'scheduling-gated', evidence: { since: ago(age), thresholdSeconds: 7200 } },
    );
  });

  it('the condition alone (the gates already read by another view), or the gates alone (the scheduler has not reported yet), count as gated', () => {
    expect(classify(gated(5000, false))).toMatchObject({ action: 'keep', state: 'waiting' });
    const onlyGates: PodView = { ...unseenDriver(5000), spec: { schedulingGates: [{ name: 'example.com/quota' }] } };
    expect(classify(onlyGates)).toMatchObject({ action: 'keep', state: 'waiting', why: expect.stringContaining('example.com/quota') });
  });
});

describe('Pending: scheduled, but the container never starts', () => {
  // The conf ConfigMap or another volume cannot be mounted (FailedMount events): the container stays
  // ContainerCreating. Without any container status the kubelet never reported on the pod at all.
  it.each(
    [
      { waiting: 'ContainerCreating', build: (age: number) => waitingDriver(age, { reason: 'ContainerCreating' }) },
      { waiting: 'PodInitializing', build: (age: number) => waitingDriver(age, { reason: 'PodInitializing' }) },
      { waiting: '(no container status)', build: (age: number) => waitingDriver(age) },
    ].flatMap((c) => around(GRACE.stuckCreating).map((row) => ({ ...c, ...row }))),
  )('$waiting $age s after scheduling: $outcome', ({ build, age, outcome }) => {
    // A large image may still be pulling (the kubelet reports ContainerCreating meanwhile): the events decide.
    expect(classify(build(age))).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : {
            action: 'suspect',
            reason: 'stuck-creating',
            needs: { eventsOf: DRIVER_POD },
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 600 },
          },
    );
  });
});

describe('Pending: never looked at by the scheduler', () => {
  // No PodScheduled condition at all: the scheduler is down, or the pod names a schedulerName nobody serves.
  it.each(around(GRACE.pendingTooLong))('created $age s ago: $outcome', ({ age, outcome }) => {
    expect(classify(unseenDriver(age))).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : { action: 'delete', reason: 'pending-too-long', evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 910 } },
    );
  });
});

describe('Running: past the job deadline', () => {
  // A job that hangs or loops: our annotation carries the job's deadline (the operator backend has no
  // activeDeadlineSeconds), it wins over the pod's own, and the sweeper allows the grace on top.
  // The clock is status.startTime; the container started 30 s later (image pull).
  it.each([
    ...around(7200 + 60).map((row) => ({
      deadlines: 'annotation 7200 over activeDeadlineSeconds 3600',
      annotation: '7200',
      active: 3600,
      limit: 7260,
      ...row,
    })),
    ...around(3600 + 60).map((row) => ({
      deadlines: 'activeDeadlineSeconds 3600 alone',
      annotation: undefined,
      active: 3600,
      limit: 3660,
      ...row,
    })),
    ...around(3600 + 60).map((row) => ({
      deadlines: 'an unreadable annotation falls back to activeDeadlineSeconds',
      annotation: 'one hour',
      active: 3600,
      limit: 3660,
      ...row,
    })),
  ])('$deadlines, started $age s ago: $outcome', ({ annotation, active, limit, age, outcome }) => {
    const pod = runningDriver({
      startTimeAgo: age,
      annotations: { [ANNOTATIONS.deadlineSeconds]: annotation },
      activeDeadlineSeconds: active,
    });
    expect(classify(pod, HEALTHY_EXECUTORS)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : {
            action: 'delete',
            reason: 'deadline-exceeded',
            evidence: { phase: 'Running', since: ago(age), ageSeconds: age, thresholdSeconds: limit },
          },
    );
  });

  // A pod with neither the annotation nor activeDeadlineSeconds (created by hand, or by an older
  // release) runs as long as it likes.
  it('without any deadline, a driver running for ten days is kept', () => {
    const pod = runningDriver({ startTimeAgo: 10 * 86400, annotations: { [ANNOTATIONS.deadlineSeconds]: undefined } });
    expect(classify(pod, HEALTHY_EXECUTORS)).toEqual(KEEP_RUNNING);
  });
});

describe('Running: no live executor, nothing on the pod shows life', () => {
  // Python before its SparkSession, a driver after spark.stop(), dynamic allocation at zero, a quota
  // refusing executors, a script that hangs: the pod looks the same. Once its own signs of life
  // (the container's start, a heartbeat) are older than the shortest grace that could apply
  // (executors-refused 650 s here), its log is read. The clock is the container's start, not
  // status.startTime (100 s earlier here: a slow image pull).
  it.each(around(GRACE.executorsRefused))('container started $age s ago, no executor: $outcome', ({ age, outcome }) => {
    const pod = runningDriver({ startTimeAgo: age + 100, containerStartedAgo: age });
    expect(classify(pod)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : {
            action: 'suspect',
            kind: 'silent',
            needs: { log: true },
            lastSign: { at: ago(age), what: 'container start' },
            evidence: {
              since: ago(age),
              ageSeconds: age,
              thresholdSeconds: 650,
              executors: { total: 0, pending: 0, running: 0 },
              executorsPlan: 'static:2',
            },
          },
    );
  });

  // The annotation says what the dispatcher asked for; Spark may run otherwise (an earlier release
  // wrote static:2 for a conf of " true", which Spark trims and reads as true). It is evidence shown
  // to a person, never a reason: every spelling gives the same judgement.
  it.each([
    { plan: 'static:2', read: 'static:2' },
    { plan: 'dynamic', read: 'dynamic' },
    { plan: 'static:0', read: 'static:0' },
    { plan: undefined, read: 'not annotated' },
    { plan: ' true', read: 'unreadable " true"' },
    { plan: 'true', read: 'unreadable "true"' },
    { plan: 'static: 2', read: 'unreadable "static: 2"' },
    { plan: 'dynamic ', read: 'unreadable "dynamic "' },
    { plan: 'static:02', read: 'unreadable "static:02"' },
  ])('executors annotation $plan: the same suspect, the annotation shown as $read', ({ plan, read }) => {
    const pod = runningDriver({ startTimeAgo: 800, containerStartedAgo: 700, annotations: { [ANNOTATIONS.executors]: plan } });
    const reference = classify(runningDriver({ startTimeAgo: 800, containerStartedAgo: 700 }));
    const judged = classify(pod);
    expect(judged).toMatchObject({ action: 'suspect', kind: 'silent', evidence: { executorsPlan: read } });
    expect({ ...judged, evidence: undefined }).toEqual({ ...reference, evidence: undefined });
  });

  // A heartbeat annotation is a sign of life: it moves the clock, unless it is unreadable or from the future.
  it.each([
    { heartbeat: ago(100), expected: 'keep', what: undefined, why: 'a heartbeat 100 s ago' },
    { heartbeat: ago(651), expected: 'suspect', what: 'heartbeat', why: 'a heartbeat older than the grace' },
    { heartbeat: ago(-3600), expected: 'suspect', what: 'container start', why: 'a heartbeat an hour in the future (ignored)' },
    { heartbeat: '2026-03-10 11:58:00', expected: 'suspect', what: 'container start', why: 'not RFC 3339 (ignored)' },
    { heartbeat: 'yes', expected: 'suspect', what: 'container start', why: 'not a time (ignored)' },
  ])('$why: $expected', ({ heartbeat, expected, what }) => {
    const pod = runningDriver({ startTimeAgo: 5000, annotations: { [ANNOTATIONS.heartbeat]: heartbeat } });
    expect(classify(pod)).toMatchObject(expected === 'keep' ? KEEP_RUNNING : { action: 'suspect', kind: 'silent', lastSign: { what } });
  });

  it('a heartbeat newer than the start is the last sign of life', () => {
    const pod = runningDriver({ startTimeAgo: 5000, annotations: { [ANNOTATIONS.heartbeat]: ago(900) } });
    expect(classify(pod)).toMatchObject({
      action: 'suspect',
      lastSign: { at: ago(900), what: 'heartbeat' },
      evidence: { since: ago(900), ageSeconds: 900 },
    });
  });

  it('with every reason of this branch off ("never"), nothing is read and the driver is kept', () => {
    const pod = runningDriver({ startTimeAgo: 50000 });
    expect(classify(pod, [], NOW, withGrace({ noExecutors: null, hungAfterStop: null, executorsRefused: null }))).toEqual(KEEP_RUNNING);
    expect(classify(pod, [], NOW, withGrace({ noExecutors: null, executorsRefused: null }))).toMatchObject({
      action: 'suspect',
      evidence: { thresholdSeconds: GRACE.hungAfterStop },
    });
  });

  // Executors that came and went prove the SparkContext started, but not that it still runs: with
  // none live, the log decides (a driver after spark.stop() looks like this).
  it.each([
    { executors: 'one Failed executor', list: [executorPod(1, 'Failed', 250)] },
    { executors: 'one Succeeded executor', list: [executorPod(1, 'Succeeded', 250)] },
    { executors: 'one executor being deleted', list: [executorPod(1, 'Running', 250, true)] },
  ])('$executors, long after the start: a suspect whose log decides', ({ list }) => {
    const pod = runningDriver({ startTimeAgo: 5000, containerStartedAgo: 4970 });
    expect(classify(pod, list)).toMatchObject({
      action: 'suspect',
      kind: 'silent',
      evidence: { executors: { total: 1, pending: 0, running: 0 } },
    });
  });
});

describe('Running: every executor is Pending', () => {
  // The driver got a node but its executors cannot start: Spark waits for them forever. Measured from
  // when the oldest blocked executor became Unschedulable (its condition's transition, 1 s after its
  // creation here); the second came 100 s later. The executors' events decide (a scale-up under way).
  it.each(around(GRACE.executorsPending))('oldest executor Unschedulable for $age s: $outcome', ({ age, outcome }) => {
    const executors = [executorPod(1, 'Pending', age + 1), executorPod(2, 'Pending', age - 100)];
    expect(classify(runningDriver({ startTimeAgo: 5000 }), executors)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : {
            action: 'suspect',
            kind: 'blocked',
            reason: 'executors-pending',
            needs: { eventsOf: `${DRIVER_POD.replace(/-driver$/, '')}-exec-1` },
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 800, executors: { total: 2, pending: 2, running: 0 } },
          },
    );
  });

  // Which executors count: finished ones and ones being deleted are not live; a live one that can
  // still start (gated by a queue, its container being created, not looked at yet) means waiting.
  it.each([
    { executors: 'one Pending, one Running', list: [executorPod(1, 'Pending', 5000), executorPod(2, 'Running', 5000)], expected: 'keep' },
    {
      executors: 'one Unschedulable for 801 s, one Failed before it',
      list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 802)],
      expected: 'suspect',
    },
    {
      executors: 'one Unschedulable for 801 s, one Succeeded before it',
      list: [executorPod(1, 'Succeeded', 5000), executorPod(2, 'Pending', 802)],
      expected: 'suspect',
    },
    {
      executors: 'one Unschedulable for 801 s, one Running being deleted',
      list: [executorPod(1, 'Running', 5000, true), executorPod(2, 'Pending', 802)],
      expected: 'suspect',
    },
    { executors: 'one ImagePullBackOff for 801 s', list: [executorPod(1, 'Pending', 802, false, 'ImagePullBackOff')], expected: 'suspect' },
    {
      executors: 'one Unschedulable for 799 s, one Failed long before',
      list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 800)],
      expected: 'keep',
    },
    {
      executors: 'one Unschedulable, one held by a queue (SchedulingGated)',
      list: [executorPod(1, 'Pending', 5000), executorPod(2, 'Pending', 5000, false, 'SchedulingGated')],
      expected: 'keep',
    },
    {
      executors: 'one Unschedulable, one ContainerCreating',
      list: [executorPod(1, 'Pending', 5000), executorPod(2, 'Pending', 5000, false, 'ContainerCreating')],
      expected: 'keep',
    },
    { executors: 'one not looked at by the scheduler yet', list: [executorPod(1, 'Pending', 5000, false, 'unseen')], expected: 'keep' },
  ])('$executors: $expected', ({ list, expected }) => {
    expect(classify(runningDriver({ startTimeAgo: 6000 }), list)).toMatchObject(
      expected === 'keep'
        ? KEEP_RUNNING
        : { action: 'suspect', reason: 'executors-pending', evidence: { since: ago(801), ageSeconds: 801 } },
    );
  });

  it('only a Pending executor being deleted: none live, so the log decides', () => {
    expect(classify(runningDriver({ startTimeAgo: 6000 }), [executorPod(1, 'Pending', 5000, true)])).toMatchObject({
      action: 'suspect',
      kind: 'silent',
    });
  });
});

describe('Running: the node stopped reporting', () => {
  // The node lifecycle controller marks the pods of a node that stopped reporting Ready=False and
  // leaves ContainersReady as the kubelet last wrote it (True): that pair is never the kubelet's own.
  const lost = (age: number, phase = 'Running'): PodView =>
    driverPod({
      phase,
      createdAgo: 9000,
      startTimeAgo: 8990,
      conditions: [
        cond('Initialized', 'True', 8990),
        cond('Ready', 'False', age),
        cond('ContainersReady', 'True', 8950),
        cond('PodScheduled', 'True', 8991),
      ],
      container: { running: { startedAt: ago(8960) } },
    });

  it.each(around(GRACE.nodeLost))('Ready=False while ContainersReady=True for $age s: $outcome', ({ age, outcome }) => {
    expect(classify(lost(age), HEALTHY_EXECUTORS)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : {
            action: 'suspect',
            kind: 'node-lost',
            needs: { log: true },
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 700 },
          },
    );
  });

  it.each(around(GRACE.nodeLost))('phase Unknown, not ready for $age s: $outcome', ({ age, outcome }) => {
    expect(classify(lost(age, 'Unknown'))).toMatchObject(
      outcome === 'keep' ? { action: 'keep', state: 'unknown' } : { action: 'suspect', kind: 'node-lost' },
    );
  });

  it("Ready=False because the kubelet says a container is not ready is the kubelet's own report: not this signature", () => {
    const pod = driverPod({
      phase: 'Running',
      createdAgo: 9000,
      startTimeAgo: 8990,
      conditions: [
        cond('Ready', 'False', 5000, 'ContainersNotReady'),
        cond('ContainersReady', 'False', 5000, 'ContainersNotReady'),
        cond('PodScheduled', 'True', 8991),
      ],
      container: { running: { startedAt: ago(8960) } },
    });
    expect(classify(pod, HEALTHY_EXECUTORS)).toEqual(KEEP_RUNNING);
  });
});

describe('Succeeded and Failed: kept for the retention time, then deleted', () => {
  // Finished drivers stay for their logs; Failed ones longer, for a person to look at.
  it.each([
    ...around(THRESHOLDS.succeededRetentionSeconds).map((row) => ({
      phase: 'Succeeded' as const,
      exitCode: 0,
      containerReason: 'Completed',
      retention: 3600,
      ...row,
    })),
    ...around(THRESHOLDS.failedRetentionSeconds).map((row) => ({
      phase: 'Failed' as const,
      exitCode: 1,
      containerReason: 'Error',
      retention: 86400,
      ...row,
    })),
  ])('$phase, finished $age s ago: $outcome', ({ phase, exitCode, containerReason, retention, age, outcome }) => {
    const final = { phase, exitCode, finishedAt: ago(age), durationSeconds: 1200, ...(phase === 'Failed' ? { reason: 'Error' } : {}) };
    expect(classify(finishedDriver({ phase, exitCode, containerReason, finishedAgo: age }))).toMatchObject(
      outcome === 'keep'
        ? { action: 'keep', state: 'finished', final }
        : {
            action: 'delete',
            reason: 'finished-retention',
            message: `${phase} ${age} s ago, past the ${retention} s retention`,
            final,
            evidence: { phase, since: ago(age), ageSeconds: age, thresholdSeconds: retention },
          },
    );
  });

  // Where the retention clock starts when the container did not record its end: a pod evicted while
  // its container was still being created (last condition change = the eviction), or one the kubelet
  // rejected at admission (no conditions, no containers: only startTime).
  it.each(
    [
      { clock: 'the latest condition transition', pod: (age: number) => evictedWhileCreating(age) },
      { clock: 'status.startTime', pod: (age: number) => rejectedAtAdmission(age) },
    ].flatMap((c) => around(THRESHOLDS.failedRetentionSeconds).map((row) => ({ ...c, ...row }))),
  )('Failed without finishedAt, $clock $age s ago: $outcome', ({ pod, age, outcome }) => {
    expect(classify(pod(age))).toMatchObject(
      outcome === 'keep'
        ? { action: 'keep', state: 'finished' }
        : { action: 'delete', reason: 'finished-retention', evidence: { since: ago(age), thresholdSeconds: 86400 } },
    );
  });

  /** Evicted `age` s ago; the pod started 60 s before and its other conditions changed earlier still. */
  function evictedWhileCreating(age: number): PodView {
    return driverPod({
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: ephemeral-storage.',
      createdAgo: age + 63,
      startTimeAgo: age + 60,
      conditions: [
        cond('Initialized', 'True', age + 60),
        cond('Ready', 'False', age, 'PodFailed'),
        cond('ContainersReady', 'False', age + 60, 'ContainersNotReady'),
        cond('PodScheduled', 'True', age + 61),
      ],
      container: { waiting: { reason: 'ContainerCreating' } },
    });
  }

  function rejectedAtAdmission(age: number): PodView {
    return driverPod({
      phase: 'Failed',
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 7200, capacity: 8000",
      createdAgo: age + 2,
      startTimeAgo: age,
    });
  }
});

describe('Succeeded and Failed: the final state recorded in the ledger', () => {
  // What the contract says a person should learn from a finished driver (finished 100 s ago, after 1200 s).
  it.each([
    { situation: 'a clean run', phase: 'Succeeded', exitCode: 0, containerReason: 'Completed', podReason: undefined, reason: undefined },
    {
      situation: 'the driver ran out of memory',
      phase: 'Failed',
      exitCode: 137,
      containerReason: 'OOMKilled',
      podReason: undefined,
      reason: 'OOMKilled',
    },
    { situation: 'a script error', phase: 'Failed', exitCode: 1, containerReason: 'Error', podReason: undefined, reason: 'Error' },
    {
      situation: 'node pressure evicted it',
      phase: 'Failed',
      exitCode: 137,
      containerReason: 'Error',
      podReason: 'Evicted',
      reason: 'Evicted',
    },
    {
      situation: 'activeDeadlineSeconds fired',
      phase: 'Failed',
      exitCode: 143,
      containerReason: 'Error',
      podReason: 'DeadlineExceeded',
      reason: 'DeadlineExceeded',
    },
    {
      situation: 'an evicted driver that was OOMKilled too',
      phase: 'Failed',
      exitCode: 137,
      containerReason: 'OOMKilled',
      podReason: 'Evicted',
      reason: 'Evicted',
    },
    // Spark 3.5+ exits 11 after too many executor failures; the kubelet reports any non-zero exit as "Error".
    {
      situation: 'too many executor failures',
      phase: 'Failed',
      exitCode: 11,
      containerReason: 'Error',
      podReason: undefined,
      reason: 'TooManyExecutorFailures',
    },
  ] as const)('$situation: $phase, reason $reason', ({ phase, exitCode, containerReason, podReason, reason }) => {
    const pod = finishedDriver({ phase, exitCode, containerReason, finishedAgo: 100, ...(podReason ? { podReason } : {}) });
    expect(classify(pod)).toEqual({
      action: 'keep',
      state: 'finished',
      final: { phase, exitCode, ...(reason ? { reason } : {}), finishedAt: ago(100), durationSeconds: 1200 },
    });
  });

  it('exit 11 with no container reason is also TooManyExecutorFailures', () => {
    const pod = driverPod({
      phase: 'Failed',
      createdAgo: 1303,
      startTimeAgo: 1300,
      container: { terminated: { exitCode: 11, startedAt: ago(1270), finishedAt: ago(100) } },
    });
    expect(classify(pod)).toMatchObject({
      action: 'keep',
      final: { phase: 'Failed', exitCode: 11, reason: 'TooManyExecutorFailures', durationSeconds: 1200 },
    });
  });

  // With a sidecar (a service mesh), the statuses are sorted by name: the driver is not the first.
  it("reads the driver container's end, not a sidecar's", () => {
    const pod = finishedDriver({ phase: 'Failed', exitCode: 137, containerReason: 'OOMKilled', finishedAgo: 100 });
    const withSidecar: PodView = {
      ...pod,
      status: {
        ...pod.status,
        containerStatuses: [
          { name: 'istio-proxy', state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(95) } } },
          ...(pod.status?.containerStatuses ?? []),
        ],
      },
    };
    expect(classify(withSidecar)).toMatchObject({ final: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(100) } });
  });
});

describe('kept whatever it shows', () => {
  // A delete is already under way (the grace period runs): nothing to judge, not even a finished pod.
  it.each([
    { pod: 'a Running driver past its deadline', driver: runningDriver({ startTimeAgo: 200000 }) },
    { pod: 'an unschedulable driver', driver: unschedulableDriver(5000) },
    {
      pod: 'a Failed driver past retention',
      driver: finishedDriver({ phase: 'Failed', exitCode: 1, containerReason: 'Error', finishedAgo: 200000 }),
    },
  ])('$pod, being deleted: terminating', ({ driver }) => {
    const deleting: PodView = { ...driver, metadata: { ...driver.metadata, deletionTimestamp: ago(-30) } };
    expect(classify(deleting)).toEqual({ action: 'keep', state: 'terminating' });
  });

  // A phase this code does not know; phase Unknown with no time to measure from.
  it.each([
    { phase: 'Terminating', conditions: [cond('PodScheduled', 'True', 199995)] },
    { phase: 'Unknown', conditions: [] },
  ])('phase $phase, long past every threshold: unknown', ({ phase, conditions }) => {
    const pod = driverPod({ phase, createdAgo: 200000, startTimeAgo: 199990, conditions });
    expect(classify(pod)).toEqual({ action: 'keep', state: 'unknown' });
  });
});

describe('evidence: what the ledger keeps so a person can check the judgement', () => {
  it('an image that cannot be pulled: every condition and the container, as the pod showed them', () => {
    const message = `Back-off pulling image "${DRIVER_IMAGE}"`;
    expect(classify(waitingDriver(181, { reason: 'ImagePullBackOff', message }))).toEqual({
      action: 'delete',
      reason: 'image-pull-failed',
      message: 'the driver image cannot be pulled (ImagePullBackOff): a wrong image or registry credentials rarely heal',
      evidence: {
        phase: 'Pending',
        since: ago(181),
        ageSeconds: 181,
        thresholdSeconds: 180,
        conditions: [
          'Initialized=True',
          'Ready=False (ContainersNotReady)',
          'ContainersReady=False (ContainersNotReady)',
          'PodScheduled=True',
        ],
        containers: [`${DRIVER_CONTAINER}: waiting ImagePullBackOff (${message})`],
      },
    });
  });

  it('executors that never got a node: the executor counts, the plan as annotated, and the age rounded to the second', () => {
    const executors = [executorPod(1, 'Pending', 802), executorPod(2, 'Pending', 700), executorPod(3, 'Failed', 900)];
    const later = new Date(NOW.getTime() + 600); // 801.6 s after the oldest live executor became Unschedulable
    expect(classify(runningDriver({ startTimeAgo: 1000, containerStartedAgo: 970 }), executors, later)).toEqual({
      action: 'suspect',
      kind: 'blocked',
      reason: 'executors-pending',
      message: `all 2 executors are Pending and none can start (${DRIVER_POD.replace(/-driver$/, '')}-exec-1: Unschedulable): the driver waits for them forever`,
      needs: { eventsOf: `${DRIVER_POD.replace(/-driver$/, '')}-exec-1` },
      evidence: {
        phase: 'Running',
        since: ago(801),
        ageSeconds: 802,
        thresholdSeconds: 800,
        conditions: ['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
        containers: [`${DRIVER_CONTAINER}: running since ${ago(970)}`],
        executors: { total: 3, pending: 2, running: 0 },
        executorsPlan: 'static:2',
      },
    });
  });

  it('a finished driver past retention: the terminated container, and the final state beside the evidence', () => {
    const verdict = classify(finishedDriver({ phase: 'Failed', exitCode: 137, containerReason: 'OOMKilled', finishedAgo: 90000 }));
    expect(verdict).toEqual({
      action: 'delete',
      reason: 'finished-retention',
      message: 'Failed 90000 s ago, past the 86400 s retention',
      evidence: {
        phase: 'Failed',
        since: ago(90000),
        ageSeconds: 90000,
        thresholdSeconds: 86400,
        conditions: ['Initialized=True', 'Ready=False (PodFailed)', 'ContainersReady=False (PodFailed)', 'PodScheduled=True'],
        containers: [`${DRIVER_CONTAINER}: terminated OOMKilled exit 137`],
      },
      final: { phase: 'Failed', exitCode: 137, reason: 'OOMKilled', finishedAt: ago(90000), durationSeconds: 1200 },
    });
  });

  it('past the deadline: the threshold is the deadline plus the grace', () => {
    const pod = runningDriver({ startTimeAgo: 7261, annotations: { [ANNOTATIONS.deadlineSeconds]: '7200' } });
    expect(classify(pod, HEALTHY_EXECUTORS)).toMatchObject({
      message: "running for 7261 s, past the job's deadline of 7200 s",
      evidence: { since: ago(7261), ageSeconds: 7261, thresholdSeconds: 7260 },
    });
  });
});

describe('executorView: what the sweep keeps of an executor is enough for every verdict', () => {
  // The sweep drops all but a few fields of each listed executor; the verdict must not change.
  const drivers = [
    runningDriver({ startTimeAgo: 6000 }),
    runningDriver({ startTimeAgo: 400, containerStartedAgo: 301 }),
    runningDriver({ startTimeAgo: 700, activeDeadlineSeconds: 600 }),
  ];
  it.each([
    { executors: 'none', list: [] },
    { executors: 'two Running', list: [executorPod(1, 'Running', 3000), executorPod(2, 'Running', 3000)] },
    { executors: 'two Pending past the grace', list: [executorPod(1, 'Pending', 900), executorPod(2, 'Pending', 850)] },
    { executors: 'Pending before the grace', list: [executorPod(1, 'Pending', 700)] },
    { executors: 'Failed and Pending', list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 802)] },
    { executors: 'Running being deleted and Pending', list: [executorPod(1, 'Running', 5000, true), executorPod(2, 'Pending', 802)] },
    { executors: 'ImagePullBackOff', list: [executorPod(1, 'Pending', 5000, false, 'ImagePullBackOff')] },
    {
      executors: 'gated and Unschedulable',
      list: [executorPod(1, 'Pending', 5000, false, 'SchedulingGated'), executorPod(2, 'Pending', 5000)],
    },
    { executors: 'ContainerCreating', list: [executorPod(1, 'Pending', 5000, false, 'ContainerCreating')] },
    { executors: 'only Succeeded', list: [executorPod(1, 'Succeeded', 250)] },
  ])('$executors', ({ list }) => {
    for (const driver of drivers) expect(classify(driver, list.map(executorView))).toEqual(classify(driver, list));
  });

  it('keeps the name, creation and deletion times, the phase, PodScheduled and why a container waits, nothing else', () => {
    const full = executorPod(3, 'Running', 100, true);
    expect(executorView(full)).toEqual({
      metadata: {
        name: full.metadata.name,
        creationTimestamp: full.metadata.creationTimestamp,
        deletionTimestamp: full.metadata.deletionTimestamp,
      },
      status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(99) }] },
    });
    expect(executorView(executorPod(4, 'Pending', 100, false, 'ImagePullBackOff')).status).toEqual({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(99) }],
      containerStatuses: [{ name: 'spark-kubernetes-executor', state: { waiting: { reason: 'ImagePullBackOff' } } }],
    });
    expect(executorView({ metadata: { name: 'bare' } })).toEqual({ metadata: { name: 'bare' } });
  });
});
