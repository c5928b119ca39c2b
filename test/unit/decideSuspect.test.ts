/**
 * The second step of the sweeper's judgement: a suspect (the pod alone pointed at a reason) and the
 * evidence read for it (the driver's log tail with the kubelet's timestamps, or one pod's Events)
 * give a verdict. Then the drivers the issue says were killed on the wrong signal, each judged from
 * its pod and its evidence as the sweep would read them: none is deleted.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyDriver,
  decideSuspect,
  type Gathered,
  type Judgement,
  type Suspect,
  type Verdict,
} from '../../src/domain/sweep/classifyDriver.js';
import {
  byNewest,
  eventView,
  newestLine,
  parseTimestampedLog,
  quantity,
  quotaRefusal,
  sparkStopped,
  type EventView,
  type LogLine,
} from '../../src/domain/sweep/evidence.js';
import { ANNOTATIONS } from '../../src/domain/render/naming.js';
import type { PodView } from '../../src/domain/sweep/podView.js';
import {
  DRIVER_POD,
  GRACE,
  NOW,
  THRESHOLDS,
  ago,
  cond,
  driverPod,
  executorPod,
  runningDriver,
  unschedulableDriver,
  waitingDriver,
  withGrace,
} from '../support/podBuilders.js';

const suspectOf = (judgement: Judgement): Suspect => {
  if (judgement.action !== 'suspect') throw new Error(`expected a suspect, got ${JSON.stringify(judgement)}`);
  return judgement;
};
const decide = (suspect: Suspect, gathered: Gathered, thresholds = THRESHOLDS): Verdict =>
  decideSuspect(suspect, gathered, thresholds, NOW);
const line = (secondsAgo: number, text: string): LogLine => ({ at: ago(secondsAgo), text });
const log = (...lines: LogLine[]): Gathered => ({ log: { ok: true, lines } });
const event = (
  secondsAgo: number,
  reason: string,
  message: string,
  type = 'Normal',
  component = 'cluster-autoscaler',
  count = 1,
): EventView => ({ type, reason, message, component, count, lastSeen: ago(secondsAgo) });
const events = (...list: EventView[]): Gathered => ({ events: { ok: true, events: list } });

const EXEC = DRIVER_POD.replace(/-driver$/, '-exec');
/** Spark's log4j2 layout: `%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n`. */
const spark = (secondsAgo: number, level: string, logger: string, message: string): LogLine =>
  line(
    secondsAgo,
    `${new Date(NOW.getTime() - secondsAgo * 1000).toISOString().slice(2, 19).replace(/-/g, '/').replace('T', ' ')} ${level} ${logger}: ${message}`,
  );
const QUOTA_FITS = `io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: https://kubernetes.default.svc/api/v1/namespaces/analytics/pods. Message: pods "${EXEC}-3" is forbidden: exceeded quota: compute, requested: requests.cpu=1,requests.memory=2867Mi, used: requests.cpu=16,requests.memory=40Gi, limited: requests.cpu=16,requests.memory=48Gi.`;
const QUOTA_NEVER = `io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: https://kubernetes.default.svc/api/v1/namespaces/analytics/pods. Message: pods "${EXEC}-1" is forbidden: exceeded quota: compute, requested: requests.cpu=8, used: requests.cpu=0, limited: requests.cpu=4. Received status: Status(apiVersion=v1, code=403).`;

describe('the evidence as read', () => {
  it('splits the kubelet timestamps from the lines; a line without one keeps its text', () => {
    expect(
      parseTimestampedLog(
        '2026-03-10T11:59:00.123456789Z 26/03/10 11:59:00 INFO SparkContext: Running Spark version 3.5.3\n2026-03-10T11:59:30Z step 2\nno stamp here\n',
      ),
    ).toEqual([
      { at: '2026-03-10T11:59:00.123456789Z', text: '26/03/10 11:59:00 INFO SparkContext: Running Spark version 3.5.3' },
      { at: '2026-03-10T11:59:30Z', text: 'step 2' },
      { text: 'no stamp here' },
    ]);
    expect(parseTimestampedLog('')).toEqual([]);
  });

  it('the newest line is the last sign of life; a line from the future (beyond clock skew) is not', () => {
    expect(newestLine([line(300, 'a'), line(20, 'b'), { text: 'c' }], NOW)).toEqual({ at: ago(20), text: 'b' });
    expect(newestLine([line(300, 'a'), line(-3600, 'from the future')], NOW)).toEqual({ at: ago(300), text: 'a' });
    expect(newestLine([{ text: 'no time' }], NOW)).toBeUndefined();
  });

  it("Spark's stop, in 3.5 and 4.0 wording", () => {
    expect(
      sparkStopped([
        spark(10, 'INFO', 'SparkContext', 'SparkContext is stopping with exitCode 0 from stop at NativeMethodAccessorImpl.java:0.'),
      ]),
    ).toBe(true);
    expect(sparkStopped([spark(10, 'INFO', 'SparkContext', 'Successfully stopped SparkContext')])).toBe(true);
    expect(sparkStopped([spark(10, 'INFO', 'SparkContext', 'Running Spark version 3.5.3')])).toBe(false);
  });

  it('a quota refusal: which resources can never fit (the request alone above the hard limit)', () => {
    expect(quotaRefusal([line(10, QUOTA_FITS)])).toEqual({
      at: ago(10),
      quota: 'compute',
      text: expect.stringMatching(/^exceeded quota: compute, requested/),
      neverFits: [],
    });
    expect(quotaRefusal([line(10, QUOTA_NEVER)])?.neverFits).toEqual(['requests.cpu']);
    expect(
      quotaRefusal([
        line(10, 'exceeded quota: mem, requested: requests.memory=80Gi, used: requests.memory=0, limited: requests.memory=64Gi'),
      ])?.neverFits,
    ).toEqual(['requests.memory']);
    expect(quotaRefusal([line(10, 'nothing about quotas')])).toBeUndefined();
    expect([quantity('1500m'), quantity('2867Mi'), quantity('4'), quantity('x')]).toEqual([1.5, 2867 * 2 ** 20, 4, undefined]);
  });

  it('an Event as core/v1 or events.k8s.io writers leave it, newest first', () => {
    const legacy = eventView({
      type: 'Warning',
      reason: 'FailedMount',
      message: 'm',
      source: { component: 'kubelet' },
      count: 7,
      firstTimestamp: ago(900),
      lastTimestamp: ago(30),
    });
    const series = eventView({
      type: 'Normal',
      reason: 'TriggeredScaleUp',
      message: 's',
      reportingComponent: 'cluster-autoscaler',
      eventTime: ago(400),
      series: { count: 2, lastObservedTime: ago(10) },
    });
    expect(legacy).toEqual({ type: 'Warning', reason: 'FailedMount', message: 'm', component: 'kubelet', count: 7, lastSeen: ago(30) });
    expect(series).toEqual({
      type: 'Normal',
      reason: 'TriggeredScaleUp',
      message: 's',
      component: 'cluster-autoscaler',
      lastSeen: ago(10),
    });
    expect(byNewest([legacy, series]).map((e) => e.reason)).toEqual(['TriggeredScaleUp', 'FailedMount']);
  });
});

describe('blocked: no node, no room for executors, a container never created — do the events show help on its way?', () => {
  const unschedulable = suspectOf(classifyDriver(unschedulableDriver(1000), [], THRESHOLDS, NOW));
  const starved = suspectOf(
    classifyDriver(
      runningDriver({ startTimeAgo: 5000 }),
      [executorPod(1, 'Pending', 1000), executorPod(2, 'Pending', 990)],
      THRESHOLDS,
      NOW,
    ),
  );
  const creating = suspectOf(classifyDriver(waitingDriver(700, { reason: 'ContainerCreating' }), [], THRESHOLDS, NOW));

  // The cluster autoscaler writes TriggeredScaleUp on a pending pod it adds a node for, and
  // NotTriggerScaleUp when no node group can help (max size reached, the pod fits no node shape).
  it.each([
    {
      situation: 'a scale-up triggered 300 s ago',
      gathered: events(event(300, 'TriggeredScaleUp', 'pod triggered scale-up: [{aks-spark-12345678-vmss 2->4 (max: 10)}]')),
      expected: 'keep',
    },
    {
      situation: 'a scale-up exactly a grace ago',
      gathered: events(event(900, 'TriggeredScaleUp', 'pod triggered scale-up')),
      expected: 'keep',
    },
    {
      situation: 'a scale-up longer ago than the grace',
      gathered: events(event(901, 'TriggeredScaleUp', 'pod triggered scale-up')),
      expected: 'delete',
    },
    {
      situation: 'a scale-up, then the autoscaler backed off after it failed',
      gathered: events(
        event(600, 'TriggeredScaleUp', 'pod triggered scale-up'),
        event(120, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 1 in backoff after failed scale-up"),
      ),
      expected: 'delete',
    },
    {
      situation: 'backed off, then a new scale-up',
      gathered: events(
        event(600, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 1 in backoff after failed scale-up"),
        event(120, 'TriggeredScaleUp', 'pod triggered scale-up'),
      ),
      expected: 'keep',
    },
    {
      situation: 'the autoscaler will not help',
      gathered: events(
        event(20, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 1 max node group size reached, 2 Insufficient memory"),
        event(30, 'FailedScheduling', '0/3 nodes are available: 3 Insufficient memory.', 'Warning', 'default-scheduler', 14),
      ),
      expected: 'delete',
    },
    { situation: 'no events (expired, or no autoscaler)', gathered: events(), expected: 'delete' },
    {
      situation: 'events unreadable (a Role without events)',
      gathered: { events: { ok: false as const, error: 'list events in analytics: forbidden' } },
      expected: 'delete',
    },
  ])('unschedulable driver, $situation: $expected', ({ gathered, expected }) => {
    expect(decide(unschedulable, gathered)).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'waiting', why: expect.stringMatching(/^a node is being added for it: Normal TriggeredScaleUp/) }
        : { action: 'delete', reason: 'unschedulable' },
    );
  });

  it('the events go into the evidence, newest first, with who reported them, how often and when', () => {
    const verdict = decide(
      unschedulable,
      events(
        event(20, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 1 max node group size reached"),
        event(30, 'FailedScheduling', '0/3 nodes are available: 3 Insufficient memory.', 'Warning', 'default-scheduler', 14),
      ),
    );
    expect(verdict).toMatchObject({
      action: 'delete',
      evidence: {
        since: ago(1000),
        thresholdSeconds: 900,
        events: [
          "Normal NotTriggerScaleUp (cluster-autoscaler, 20 s before): pod didn't trigger scale-up: 1 max node group size reached",
          'Warning FailedScheduling (default-scheduler, ×14, 30 s before): 0/3 nodes are available: 3 Insufficient memory.',
        ],
      },
    });
    expect(decide(unschedulable, events())).toMatchObject({ evidence: { events: ['none (events expire after an hour by default)'] } });
    expect(decide(unschedulable, { events: { ok: false, error: 'forbidden' } })).toMatchObject({
      evidence: { events: ['unreadable: forbidden'] },
    });
  });

  it.each([
    {
      situation: 'a scale-up for its executors',
      gathered: events(event(120, 'TriggeredScaleUp', 'pod triggered scale-up')),
      expected: 'keep',
    },
    {
      situation: 'no help coming',
      gathered: events(event(120, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 2 node(s) didn't match Pod's node affinity/selector")),
      expected: 'delete',
    },
  ])('executors Pending, $situation: $expected', ({ gathered, expected }) => {
    expect(starved).toMatchObject({ needs: { eventsOf: `${EXEC}-1` } });
    expect(decide(starved, gathered)).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'waiting' }
        : { action: 'delete', reason: 'executors-pending', evidence: { executors: { total: 2, pending: 2, running: 0 } } },
    );
  });

  // While the kubelet pulls, the container waits in ContainerCreating; containerd gives up on a pull
  // with no progress (5 min) and the pod turns to ErrImagePull, which has its own rule.
  it.each([
    {
      situation: 'a large image still being pulled',
      gathered: events(
        event(690, 'Scheduled', 'Successfully assigned', 'Normal', 'default-scheduler'),
        event(680, 'Pulling', `Pulling image "spark-py:3.5.3"`, 'Normal', 'kubelet'),
      ),
      expected: 'keep',
    },
    {
      situation: 'pulled, then a volume cannot be mounted',
      gathered: events(
        event(600, 'Pulled', 'Successfully pulled image', 'Normal', 'kubelet'),
        event(680, 'Pulling', 'Pulling image', 'Normal', 'kubelet'),
        event(
          40,
          'FailedMount',
          'MountVolume.SetUp failed for volume "spark-conf-volume-driver" : configmap "spark-drv-3f2a9c1d8e7b6a54-conf-map" not found',
          'Warning',
          'kubelet',
          9,
        ),
      ),
      expected: 'delete',
    },
    {
      situation: 'the sandbox cannot be created',
      gathered: events(event(30, 'FailedCreatePodSandBox', 'Failed to create pod sandbox: rpc error', 'Warning', 'kubelet', 20)),
      expected: 'delete',
    },
  ])('stuck creating, $situation: $expected', ({ gathered, expected }) => {
    expect(decide(creating, gathered)).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'waiting', why: expect.stringMatching(/^its image is still being pulled/) }
        : { action: 'delete', reason: 'stuck-creating' },
    );
  });
});

describe('silent: no live executor, and only the log can tell a working driver from a hung one', () => {
  const started = (containerStartedAgo: number, annotations: Record<string, string> = {}) =>
    suspectOf(
      classifyDriver(runningDriver({ startTimeAgo: containerStartedAgo + 30, containerStartedAgo, annotations }), [], THRESHOLDS, NOW),
    );
  const suspect = started(4000);

  it.each([
    { situation: 'logged 60 s ago', lines: [line(3990, 'reading config'), line(60, 'processed 4000 rows')], expected: 'keep' },
    { situation: 'logged exactly a grace ago', lines: [line(1800, 'last words')], expected: 'keep' },
    { situation: 'silent for a grace and a second', lines: [line(1801, 'last words')], expected: 'no-executors' },
    { situation: 'nothing in the log at all since its start 4000 s ago', lines: [], expected: 'no-executors' },
    { situation: 'only lines without a time', lines: [{ text: 'no stamp' }], expected: 'no-executors' },
  ])('$situation: $expected', ({ lines, expected }) => {
    expect(decide(suspect, log(...lines))).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'running', why: expect.stringMatching(/^alive: its last sign of life \(log line\)/) }
        : { action: 'delete', reason: expected },
    );
  });

  it('silent: the evidence names the last sign of life, the silence and the last line', () => {
    expect(
      decide(
        suspect,
        log(line(3990, 'reading abfss://jobs@acct.dfs.core.windows.net/etl/config.json'), line(2500, 'still waiting for the config')),
      ),
    ).toMatchObject({
      action: 'delete',
      reason: 'no-executors',
      message: expect.stringMatching(/^no executor and no log line or heartbeat for 2500 s/),
      evidence: {
        since: ago(2500),
        ageSeconds: 2500,
        thresholdSeconds: 1800,
        lastSignOfLife: ago(2500),
        signOfLife: 'log line',
        lastLogLine: 'still waiting for the config',
        executorsPlan: 'static:2',
      },
    });
  });

  // After spark.stop() Spark deletes its executors (ExecutorPodsAllocator.stop) and the Python
  // script runs on. A JVM kept up by a non-daemon thread, or a script that hangs, is silent.
  it.each([
    {
      situation: 'writing its report after spark.stop()',
      lines: [spark(1500, 'INFO', 'SparkContext', 'Successfully stopped SparkContext'), line(100, 'wrote report.csv part 7')],
      expected: 'keep',
    },
    {
      situation: 'silent since spark.stop() for the grace and a second',
      lines: [spark(1501, 'INFO', 'SparkContext', 'Successfully stopped SparkContext')],
      expected: 'hung-after-stop',
    },
    {
      situation: 'silent since spark.stop() for 1499 s, within its grace',
      lines: [spark(1499, 'INFO', 'SparkContext', 'Successfully stopped SparkContext')],
      expected: 'keep',
    },
  ])('$situation: $expected', ({ lines, expected }) => {
    expect(decide(suspect, log(...lines))).toMatchObject(
      expected === 'keep'
        ? { action: 'keep' }
        : { action: 'delete', reason: expected, evidence: { thresholdSeconds: GRACE.hungAfterStop } },
    );
  });

  // The allocator logs the API server's 403 and tries again on the next snapshot. Executors that fit
  // once others finish: waiting. Executors bigger than the whole quota: refused forever.
  it.each([
    { situation: 'refused for now (others use the quota)', lines: [line(3000, QUOTA_FITS), line(20, QUOTA_FITS)], expected: 'keep' },
    { situation: 'refused for ever, since 651 s', lines: [line(651, QUOTA_NEVER), line(5, QUOTA_NEVER)], expected: 'executors-refused' },
    { situation: 'refused for ever, but only for 649 s', lines: [line(649, QUOTA_NEVER), line(5, QUOTA_NEVER)], expected: 'keep' },
  ])('a quota refuses its executors, $situation: $expected', ({ lines, expected }) => {
    expect(decide(suspect, log(...lines))).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'running' }
        : {
            action: 'delete',
            reason: 'executors-refused',
            message: 'the ResourceQuota compute refuses every executor: each asks for more requests.cpu than the quota allows in all',
            evidence: {
              since: ago(651),
              thresholdSeconds: GRACE.executorsRefused,
              quotaRefusal: expect.stringMatching(/^exceeded quota: compute, requested: requests.cpu=8/),
            },
          },
    );
    if (expected === 'keep' && lines[0]!.text === QUOTA_FITS)
      expect(decide(suspect, log(...lines))).toMatchObject({
        why: expect.stringMatching(/^waiting for executors a quota refuses for now/),
      });
  });

  it('a heartbeat newer than the log keeps the driver; an unreadable log is no evidence; a pod gone is left alone', () => {
    const beating = started(4000, { [ANNOTATIONS.heartbeat]: ago(1000) });
    expect(beating).toMatchObject({ lastSign: { at: ago(1000), what: 'heartbeat' } });
    expect(decide(beating, log(line(3000, 'old')))).toMatchObject({ action: 'keep', why: expect.stringContaining('(heartbeat)') });
    expect(decide(suspect, { log: { ok: false, error: 'read the log of pod/x: 500' } })).toMatchObject({
      action: 'keep',
      state: 'running',
      why: expect.stringMatching(/^its log could not be read/),
    });
    expect(decide(suspect, { log: { ok: false, error: 'the pod is gone', gone: true } })).toMatchObject({
      action: 'keep',
      state: 'terminating',
    });
    expect(decide(suspect, {})).toMatchObject({ action: 'keep', why: 'its log was not read this run' });
  });

  it('a reason set to never keeps what it would have cleared', () => {
    expect(decide(suspect, log(line(5000, 'x')), withGrace({ noExecutors: null }))).toMatchObject({ action: 'keep' });
    expect(
      decide(suspect, log(spark(5000, 'INFO', 'SparkContext', 'Successfully stopped SparkContext')), withGrace({ hungAfterStop: null })),
    ).toMatchObject({ action: 'keep' });
  });
});

describe('node lost: can the kubelet still be reached?', () => {
  const lost = suspectOf(
    classifyDriver(
      driverPod({
        phase: 'Running',
        createdAgo: 9000,
        startTimeAgo: 8990,
        conditions: [cond('Ready', 'False', 800), cond('ContainersReady', 'True', 8950), cond('PodScheduled', 'True', 8991)],
        container: { running: { startedAt: ago(8960) } },
      }),
      [],
      THRESHOLDS,
      NOW,
    ),
  );
  it.each([
    {
      situation: 'its log cannot be read (the proxy cannot dial the kubelet)',
      gathered: {
        log: {
          ok: false as const,
          error: 'Get "https://10.0.0.12:10250/containerLogs/analytics/x/spark-kubernetes-driver": dial tcp 10.0.0.12:10250: i/o timeout',
        },
      },
      expected: 'delete',
    },
    {
      situation: 'its log says it is alive (the node only lost the control plane for a while)',
      gathered: log(line(30, 'Finished task 3.0 in stage 7.0')),
      expected: 'keep',
    },
    { situation: 'its log is readable but silent for the grace', gathered: log(line(701, 'last')), expected: 'delete' },
  ])('$situation: $expected', ({ gathered, expected }) => {
    expect(decide(lost, gathered)).toMatchObject(
      expected === 'keep'
        ? { action: 'keep', state: 'running' }
        : { action: 'delete', reason: 'node-lost', evidence: { since: ago(800), thresholdSeconds: GRACE.nodeLost } },
    );
  });
});

/**
 * The drivers the issue names, judged end to end by the two pure steps with the evidence the sweep
 * would read for them. Each was deleted by the earlier rules; none may be now.
 */
describe('the healthy drivers the earlier sweeper killed: kept', () => {
  const allocatorRetries = (from: number, to: number): LogLine[] => {
    const lines: LogLine[] = [];
    for (let t = from; t >= to; t -= 30)
      lines.push(spark(t, 'WARN', 'ExecutorPodsSnapshotsStoreImpl', 'Exception when notifying snapshot subscriber.'), line(t, QUOTA_FITS));
    for (let t = from; t >= to; t -= 15)
      lines.push(
        spark(
          t,
          'WARN',
          'TaskSchedulerImpl',
          'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources',
        ),
      );
    return lines.sort((a, b) => Date.parse(a.at!) - Date.parse(b.at!));
  };

  it.each([
    {
      driver: 'executors refused by a compute ResourceQuota: the driver waits, the allocator retries',
      pod: runningDriver({ startTimeAgo: 2400 }),
      executors: [],
      gathered: log(...allocatorRetries(2300, 10)),
    },
    {
      driver: 'ten minutes of Python before the SparkSession exists, printing progress',
      pod: runningDriver({ startTimeAgo: 700, containerStartedAgo: 660 }),
      executors: [],
      gathered: log(line(650, 'loading reference tables'), line(300, 'joined 1.2M rows in pandas'), line(45, 'building features')),
    },
    {
      driver: 'twenty-five quiet minutes of Python (no output) before the SparkSession',
      pod: runningDriver({ startTimeAgo: 1530, containerStartedAgo: 1500 }),
      executors: [],
      gathered: log(),
    },
    {
      driver: 'a driver after spark.stop() finishing its Python (executors deleted by Spark)',
      pod: runningDriver({ startTimeAgo: 4000 }),
      executors: [executorPod(1, 'Running', 3500, true)],
      gathered: log(
        spark(900, 'INFO', 'SparkContext', 'SparkContext is stopping with exitCode 0 from stop at NativeMethodAccessorImpl.java:0.'),
        spark(899, 'INFO', 'SparkContext', 'Successfully stopped SparkContext'),
        line(120, 'uploading report.pdf'),
      ),
    },
    {
      driver: 'a pod held by a Kueue scheduling gate for two hours (SchedulingGated is not Unschedulable)',
      pod: {
        ...driverPod({
          createdAgo: 7201,
          conditions: [cond('PodScheduled', 'False', 7200, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates')],
        }),
        spec: { schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }] },
      },
      executors: [],
      gathered: {},
      thresholds: withGrace({ schedulingGated: null }),
    },
    {
      driver: 'dynamic allocation written as " true" (annotated static:2 by an earlier release), scaled to zero between stages',
      pod: runningDriver({ startTimeAgo: 5000, annotations: { [ANNOTATIONS.executors]: 'static:2' } }),
      executors: [executorPod(1, 'Succeeded', 3000), executorPod(2, 'Succeeded', 3000)],
      gathered: log(
        spark(
          200,
          'INFO',
          'ExecutorAllocationManager',
          'Removing executor 2 because it has been idle for 60 seconds (new desired total will be 0)',
        ),
        line(50, 'computing weekly aggregates in pandas'),
      ),
    },
  ])(
    '$driver',
    ({
      pod,
      executors,
      gathered,
      thresholds,
    }: {
      pod: PodView;
      executors: readonly PodView[];
      gathered: Gathered;
      thresholds?: typeof THRESHOLDS;
    }) => {
      const first = classifyDriver(pod, executors, thresholds ?? THRESHOLDS, NOW);
      const verdict = first.action === 'suspect' ? decideSuspect(first, gathered, thresholds ?? THRESHOLDS, NOW) : first;
      expect(verdict.action).toBe('keep');
    },
  );
});
