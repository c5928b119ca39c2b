/**
 * The sweeper's judgement of a driver pod, signature by signature (the state diagram at the top of
 * src/domain/classifyDriver.ts, from the "Failure signatures" table of the driver contract).
 * Each boundary table checks one second before, exactly at, and one second after its threshold,
 * with `since` proving which timestamp the clock started from.
 */
import { describe, expect, it } from 'vitest';
import { classifyDriver, type Verdict } from '../../src/domain/sweep/classifyDriver.js';
import { ANNOTATIONS } from '../../src/domain/render/naming.js';
import { executorView, type PodView } from '../../src/domain/sweep/podView.js';
import {
  DRIVER_CONTAINER,
  DRIVER_IMAGE,
  NOW,
  SCHEDULER_MESSAGE,
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
} from '../support/podBuilders.js';

const classify = (pod: PodView, executors: readonly PodView[] = [], now: Date = NOW): Verdict => classifyDriver(pod, executors, THRESHOLDS, now);

const KEEP_PENDING = { action: 'keep', state: 'pending' } as const;
const KEEP_RUNNING = { action: 'keep', state: 'running' } as const;

/** Two executors that started fine: no executor rule fires, so the deadline is the only question. */
const HEALTHY_EXECUTORS = [executorPod(1, 'Running', 3000), executorPod(2, 'Running', 3000)];

describe('Pending: the driver image cannot be pulled', () => {
  const REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'] as const;

  // A typo in the image tag, a registry the node cannot authenticate to, a malformed reference, or
  // imagePullPolicy Never on a node without the image: the kubelet retries, but it never heals.
  it.each(REASONS.flatMap((waiting) => around(THRESHOLDS.imagePullGraceSeconds).map((row) => ({ waiting, ...row }))))(
    '$waiting $age s after scheduling: $outcome',
    ({ waiting, age, outcome }) => {
      const pod = waitingDriver(age, { reason: waiting, message: `Back-off pulling image "${DRIVER_IMAGE}"` });
      expect(classify(pod)).toMatchObject(
        outcome === 'keep'
          ? KEEP_PENDING
          : { action: 'delete', reason: 'image-pull-failed', message: expect.stringContaining(waiting), evidence: { phase: 'Pending', since: ago(age), ageSeconds: age, thresholdSeconds: 180 } },
      );
    },
  );

  // Where the clock starts: PodScheduled=True's transition; a condition without a time falls back to
  // status.startTime; a pod with no PodScheduled condition at all (bound by nodeName) to its creation.
  it.each([
    { clock: 'PodScheduled without lastTransitionTime → startTime', build: (age: number) => withScheduled(age, 'no-time'), since: (age: number) => ago(age) },
    { clock: 'no PodScheduled condition → creationTimestamp', build: (age: number) => withScheduled(age, 'absent'), since: (age: number) => ago(age) },
  ].flatMap((c) => [
    { ...c, age: 179, outcome: 'keep' as const },
    { ...c, age: 181, outcome: 'delete' as const },
  ]))('$clock, $age s: $outcome', ({ build, since, age, outcome }) => {
    expect(classify(build(age))).toMatchObject(
      outcome === 'keep' ? KEEP_PENDING : { action: 'delete', reason: 'image-pull-failed', evidence: { since: since(age), thresholdSeconds: 180 } },
    );
  });

  /** ErrImagePull with the measured timestamp `age` s ago and the other candidates 50 s either side. */
  function withScheduled(age: number, scheduled: 'no-time' | 'absent'): PodView {
    const container = { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${DRIVER_IMAGE}": 401 Unauthorized` } };
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
      around(THRESHOLDS.containerConfigGraceSeconds).map((row) => ({ waiting, ...row })),
    ),
  )('$waiting $age s after scheduling: $outcome', ({ waiting, age, outcome }) => {
    const pod = waitingDriver(age, { reason: waiting, message: 'couldn\'t find key spark.properties in ConfigMap analytics/spark-drv-3f2a9c1d8e7b6a54-conf-map' });
    expect(classify(pod)).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : { action: 'delete', reason: 'container-config-error', message: expect.stringContaining(waiting), evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 170 } },
    );
  });
});

describe('Pending: no node can run the driver', () => {
  // The cluster is full and the autoscaler cannot (or may not) add a node that fits the driver.
  // activeDeadlineSeconds never fires here: there is no status.startTime until a node takes the pod.
  it.each(around(THRESHOLDS.pendingTimeoutSeconds))('PodScheduled=False for $age s: $outcome', ({ age, outcome }) => {
    expect(classify(unschedulableDriver(age))).toMatchObject(
      outcome === 'keep'
        ? KEEP_PENDING
        : {
            action: 'delete',
            reason: 'unschedulable',
            message: `no node can run the driver (Unschedulable: ${SCHEDULER_MESSAGE})`,
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 900 },
          },
    );
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
    ].flatMap((c) => around(THRESHOLDS.creatingTimeoutSeconds).map((row) => ({ ...c, ...row }))),
  )('$waiting $age s after scheduling: $outcome', ({ build, age, outcome }) => {
    expect(classify(build(age))).toMatchObject(
      outcome === 'keep' ? KEEP_PENDING : { action: 'delete', reason: 'stuck-creating', evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 600 } },
    );
  });
});

describe('Pending: never looked at by the scheduler', () => {
  // No PodScheduled condition at all: the scheduler is down, or the pod names a schedulerName nobody serves.
  it.each(around(THRESHOLDS.pendingTimeoutSeconds))('created $age s ago: $outcome', ({ age, outcome }) => {
    expect(classify(unseenDriver(age))).toMatchObject(
      outcome === 'keep' ? KEEP_PENDING : { action: 'delete', reason: 'pending-too-long', evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 900 } },
    );
  });
});

describe('Running: past the job deadline', () => {
  // A job that hangs or loops: our annotation carries the job's deadline (the operator backend has no
  // activeDeadlineSeconds), it wins over the pod's own, and the sweeper allows the grace on top.
  // The clock is status.startTime; the container started 30 s later (image pull).
  it.each([
    ...around(7200 + 60).map((row) => ({ deadlines: 'annotation 7200 over activeDeadlineSeconds 3600', annotation: '7200', active: 3600, limit: 7260, ...row })),
    ...around(3600 + 60).map((row) => ({ deadlines: 'activeDeadlineSeconds 3600 alone', annotation: undefined, active: 3600, limit: 3660, ...row })),
    ...around(3600 + 60).map((row) => ({ deadlines: 'an unreadable annotation falls back to activeDeadlineSeconds', annotation: 'one hour', active: 3600, limit: 3660, ...row })),
  ])('$deadlines, started $age s ago: $outcome', ({ annotation, active, limit, age, outcome }) => {
    const pod = runningDriver({ startTimeAgo: age, annotations: { [ANNOTATIONS.deadlineSeconds]: annotation }, activeDeadlineSeconds: active });
    expect(classify(pod, HEALTHY_EXECUTORS)).toMatchObject(
      outcome === 'keep' ? KEEP_RUNNING : { action: 'delete', reason: 'deadline-exceeded', evidence: { phase: 'Running', since: ago(age), ageSeconds: age, thresholdSeconds: limit } },
    );
  });

  // A pod with neither the annotation nor activeDeadlineSeconds (created by hand, or by an older
  // release) runs as long as it likes.
  it('without any deadline, a driver running for ten days is kept', () => {
    const pod = runningDriver({ startTimeAgo: 10 * 86400, annotations: { [ANNOTATIONS.deadlineSeconds]: undefined } });
    expect(classify(pod, HEALTHY_EXECUTORS)).toEqual(KEEP_RUNNING);
  });
});

describe('Running: the driver never created an executor', () => {
  // The script hangs before its SparkContext, or cannot read its files over abfss: the driver runs,
  // but no executor pod ever appears. The clock is the container's start, not status.startTime
  // (which is 100 s earlier here: a slow image pull).
  it.each(around(THRESHOLDS.executorStartTimeoutSeconds))('container started $age s ago, no executor: $outcome', ({ age, outcome }) => {
    const pod = runningDriver({ startTimeAgo: age + 100, containerStartedAgo: age });
    expect(classify(pod)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : { action: 'delete', reason: 'no-executors', evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 300, executors: { total: 0, pending: 0, running: 0 } } },
    );
  });

  // Only a job that asked for executors is expected to have some: dynamic allocation may sit at
  // zero, and static:0 runs everything in the driver.
  it.each([
    { plan: undefined, expected: 'no-executors' },
    { plan: 'static:2', expected: 'no-executors' },
    { plan: 'dynamic', expected: 'keep' },
    { plan: 'static:0', expected: 'keep' },
  ])('executors annotation $plan, 301 s without an executor: $expected', ({ plan, expected }) => {
    const pod = runningDriver({ startTimeAgo: 400, containerStartedAgo: 301, annotations: { [ANNOTATIONS.executors]: plan } });
    expect(classify(pod)).toMatchObject(expected === 'keep' ? KEEP_RUNNING : { action: 'delete', reason: 'no-executors' });
  });

  // Executors that came and went prove the SparkContext started: not this signature.
  it.each([
    { executors: 'one Failed executor', list: [executorPod(1, 'Failed', 250)] },
    { executors: 'one Succeeded executor', list: [executorPod(1, 'Succeeded', 250)] },
    { executors: 'one executor being deleted', list: [executorPod(1, 'Running', 250, true)] },
  ])('$executors, long after the start timeout: kept', ({ list }) => {
    const pod = runningDriver({ startTimeAgo: 5000, containerStartedAgo: 4970 });
    expect(classify(pod, list)).toEqual(KEEP_RUNNING);
  });
});

describe('Running: every executor is Pending', () => {
  // The driver got a node but its executors do not fit: the driver waits for them forever.
  // Measured from the oldest live executor's creation (the second one came 100 s later).
  it.each(around(THRESHOLDS.executorPendingTimeoutSeconds))('oldest Pending executor created $age s ago: $outcome', ({ age, outcome }) => {
    const executors = [executorPod(1, 'Pending', age), executorPod(2, 'Pending', age - 100)];
    expect(classify(runningDriver({ startTimeAgo: 5000 }), executors)).toMatchObject(
      outcome === 'keep'
        ? KEEP_RUNNING
        : { action: 'delete', reason: 'executors-pending', evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: 800, executors: { total: 2, pending: 2, running: 0 } } },
    );
  });

  // Which executors are live: finished ones and ones being deleted do not count, neither for the
  // "all Pending" test nor for the oldest creation time (they are all older than the Pending one).
  it.each([
    { executors: 'one Pending, one Running', list: [executorPod(1, 'Pending', 5000), executorPod(2, 'Running', 5000)], expected: 'keep' },
    { executors: 'one Pending for 801 s, one Failed before it', list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 801)], expected: 'delete' },
    { executors: 'one Pending for 801 s, one Succeeded before it', list: [executorPod(1, 'Succeeded', 5000), executorPod(2, 'Pending', 801)], expected: 'delete' },
    { executors: 'one Pending for 801 s, one Running being deleted', list: [executorPod(1, 'Running', 5000, true), executorPod(2, 'Pending', 801)], expected: 'delete' },
    { executors: 'one Pending for 799 s, one Failed long before', list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 799)], expected: 'keep' },
    { executors: 'only a Pending executor being deleted', list: [executorPod(1, 'Pending', 5000, true)], expected: 'keep' },
  ])('$executors: $expected', ({ list, expected }) => {
    expect(classify(runningDriver({ startTimeAgo: 6000 }), list)).toMatchObject(
      expected === 'keep' ? KEEP_RUNNING : { action: 'delete', reason: 'executors-pending', evidence: { since: ago(801), ageSeconds: 801 } },
    );
  });
});

describe('Succeeded and Failed: kept for the retention time, then deleted', () => {
  // Finished drivers stay for their logs; Failed ones longer, for a person to look at.
  it.each([
    ...around(THRESHOLDS.succeededRetentionSeconds).map((row) => ({ phase: 'Succeeded' as const, exitCode: 0, containerReason: 'Completed', retention: 3600, ...row })),
    ...around(THRESHOLDS.failedRetentionSeconds).map((row) => ({ phase: 'Failed' as const, exitCode: 1, containerReason: 'Error', retention: 86400, ...row })),
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
  it.each([
    { clock: 'the latest condition transition', pod: (age: number) => evictedWhileCreating(age) },
    { clock: 'status.startTime', pod: (age: number) => rejectedAtAdmission(age) },
  ].flatMap((c) => around(THRESHOLDS.failedRetentionSeconds).map((row) => ({ ...c, ...row }))))(
    'Failed without finishedAt, $clock $age s ago: $outcome',
    ({ pod, age, outcome }) => {
      expect(classify(pod(age))).toMatchObject(
        outcome === 'keep' ? { action: 'keep', state: 'finished' } : { action: 'delete', reason: 'finished-retention', evidence: { since: ago(age), thresholdSeconds: 86400 } },
      );
    },
  );

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
    return driverPod({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 7200, capacity: 8000", createdAgo: age + 2, startTimeAgo: age });
  }
});

describe('Succeeded and Failed: the final state recorded in the ledger', () => {
  // What the contract says a person should learn from a finished driver (finished 100 s ago, after 1200 s).
  it.each([
    { situation: 'a clean run', phase: 'Succeeded', exitCode: 0, containerReason: 'Completed', podReason: undefined, reason: undefined },
    { situation: 'the driver ran out of memory', phase: 'Failed', exitCode: 137, containerReason: 'OOMKilled', podReason: undefined, reason: 'OOMKilled' },
    { situation: 'a script error', phase: 'Failed', exitCode: 1, containerReason: 'Error', podReason: undefined, reason: 'Error' },
    { situation: 'node pressure evicted it', phase: 'Failed', exitCode: 137, containerReason: 'Error', podReason: 'Evicted', reason: 'Evicted' },
    { situation: 'activeDeadlineSeconds fired', phase: 'Failed', exitCode: 143, containerReason: 'Error', podReason: 'DeadlineExceeded', reason: 'DeadlineExceeded' },
    { situation: 'an evicted driver that was OOMKilled too', phase: 'Failed', exitCode: 137, containerReason: 'OOMKilled', podReason: 'Evicted', reason: 'Evicted' },
    // Spark 3.5+ exits 11 after too many executor failures; the kubelet reports any non-zero exit as "Error".
    { situation: 'too many executor failures', phase: 'Failed', exitCode: 11, containerReason: 'Error', podReason: undefined, reason: 'TooManyExecutorFailures' },
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
    expect(classify(pod)).toMatchObject({ action: 'keep', final: { phase: 'Failed', exitCode: 11, reason: 'TooManyExecutorFailures', durationSeconds: 1200 } });
  });

  // With a sidecar (a service mesh), the statuses are sorted by name: the driver is not the first.
  it("reads the driver container's end, not a sidecar's", () => {
    const pod = finishedDriver({ phase: 'Failed', exitCode: 137, containerReason: 'OOMKilled', finishedAgo: 100 });
    const withSidecar: PodView = {
      ...pod,
      status: {
        ...pod.status,
        containerStatuses: [{ name: 'istio-proxy', state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(95) } } }, ...(pod.status?.containerStatuses ?? [])],
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
    { pod: 'a Failed driver past retention', driver: finishedDriver({ phase: 'Failed', exitCode: 1, containerReason: 'Error', finishedAgo: 200000 }) },
  ])('$pod, being deleted: terminating', ({ driver }) => {
    const deleting: PodView = { ...driver, metadata: { ...driver.metadata, deletionTimestamp: ago(-30) } };
    expect(classify(deleting)).toEqual({ action: 'keep', state: 'terminating' });
  });

  // The node stopped reporting (phase Unknown), or a phase this code does not know.
  it.each(['Unknown', 'Terminating'])('phase %s, long past every threshold: unknown', (phase) => {
    const pod = driverPod({ phase, createdAgo: 200000, startTimeAgo: 199990, conditions: [cond('PodScheduled', 'True', 199995)] });
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
        conditions: ['Initialized=True', 'Ready=False (ContainersNotReady)', 'ContainersReady=False (ContainersNotReady)', 'PodScheduled=True'],
        containers: [`${DRIVER_CONTAINER}: waiting ImagePullBackOff (${message})`],
      },
    });
  });

  it('executors that never got a node: the executor counts, and the age rounded to the second', () => {
    const executors = [executorPod(1, 'Pending', 801), executorPod(2, 'Pending', 700), executorPod(3, 'Failed', 900)];
    const later = new Date(NOW.getTime() + 600); // 801.6 s after the oldest live executor
    expect(classify(runningDriver({ startTimeAgo: 1000, containerStartedAgo: 970 }), executors, later)).toEqual({
      action: 'delete',
      reason: 'executors-pending',
      message: 'all 2 executors are Pending: no room for them, and the driver would wait forever',
      evidence: {
        phase: 'Running',
        since: ago(801),
        ageSeconds: 802,
        thresholdSeconds: 800,
        conditions: ['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
        containers: [`${DRIVER_CONTAINER}: running since ${ago(970)}`],
        executors: { total: 3, pending: 2, running: 0 },
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
  const drivers = [runningDriver({ startTimeAgo: 6000 }), runningDriver({ startTimeAgo: 400, containerStartedAgo: 301 }), runningDriver({ startTimeAgo: 700, activeDeadlineSeconds: 600 })];
  it.each([
    { executors: 'none', list: [] },
    { executors: 'two Running', list: [executorPod(1, 'Running', 3000), executorPod(2, 'Running', 3000)] },
    { executors: 'two Pending past the timeout', list: [executorPod(1, 'Pending', 900), executorPod(2, 'Pending', 850)] },
    { executors: 'Pending before the timeout', list: [executorPod(1, 'Pending', 700)] },
    { executors: 'Failed and Pending', list: [executorPod(1, 'Failed', 5000), executorPod(2, 'Pending', 801)] },
    { executors: 'Running being deleted and Pending', list: [executorPod(1, 'Running', 5000, true), executorPod(2, 'Pending', 801)] },
    { executors: 'only Succeeded', list: [executorPod(1, 'Succeeded', 250)] },
  ])('$executors', ({ list }) => {
    for (const driver of drivers) expect(classify(driver, list.map(executorView))).toEqual(classify(driver, list));
  });

  it('keeps the name, creation and deletion times and the phase, nothing else', () => {
    const full = executorPod(3, 'Running', 100, true);
    expect(executorView(full)).toEqual({
      metadata: { name: full.metadata.name, creationTimestamp: full.metadata.creationTimestamp, deletionTimestamp: full.metadata.deletionTimestamp },
      status: { phase: 'Running' },
    });
    expect(executorView({ metadata: { name: 'bare' } })).toEqual({ metadata: { name: 'bare' } });
  });
});
