/**
 * Driver pods, executor pods, companions and SparkApplications shaped as the API server returns
 * them, for the sweeper's classifiers. Every time is given in seconds before NOW, so that a table
 * row reads as "how long ago", and timestamps are RFC 3339 without a fraction, as Kubernetes writes them.
 */
import type { Thresholds } from '../../src/domain/sweep/classifyDriver.js';
import type { ApplicationView } from '../../src/domain/sweep/classifyLeftovers.js';
import { ANNOTATIONS, LABELS } from '../../src/domain/render/naming.js';
import type { ContainerStateView, PodConditionView, PodView } from '../../src/domain/sweep/podView.js';

export const NOW = new Date('2026-03-10T12:00:00Z');

/** The timestamp `seconds` before NOW. */
export const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Distinct values, so that a rule reading the wrong grace misses its boundary. */
export const GRACE = {
  imagePullFailed: 180,
  containerConfigError: 170,
  unschedulable: 900,
  schedulingGated: 7200,
  stuckCreating: 600,
  pendingTooLong: 910,
  deadlineExceeded: 60,
  noExecutors: 1800,
  hungAfterStop: 1500,
  executorsRefused: 650,
  executorsPending: 800,
  nodeLost: 700,
  orphanedCompanion: 300,
  submissionStuck: 920,
} as const;

export const THRESHOLDS: Thresholds = {
  grace: GRACE,
  succeededRetentionSeconds: 3600,
  failedRetentionSeconds: 86400,
};

/** THRESHOLDS with some graces changed (`null`: never). */
export const withGrace = (changes: Partial<Record<keyof typeof GRACE, number | null>>): Thresholds => ({
  ...THRESHOLDS,
  grace: { ...GRACE, ...changes },
});

/** Just before, exactly at and just after a threshold: the rules compare with `>`, so only the last deletes. */
export const around = (threshold: number) =>
  [
    { age: threshold - 1, outcome: 'keep' },
    { age: threshold, outcome: 'keep' },
    { age: threshold + 1, outcome: 'delete' },
  ] as const;

const PREFIX = 'wordcount-3f2a9c1d8e7b6a54';
const APP_SELECTOR = 'spark-3f2a9c1d8e7b6a54c0ffee1234567890';
export const DRIVER_POD = `${PREFIX}-driver`;
export const DRIVER_UID = '6b1f0c2e-8d4a-4f7b-9a51-2c3e4d5f6a7b';
export const DRIVER_CONTAINER = 'spark-kubernetes-driver';
export const DRIVER_IMAGE = 'sparkdispatch.azurecr.io/spark-py:3.5.3-hadoop3.3.4';
export const SCHEDULER_MESSAGE =
  '0/4 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, 3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.';

/** What renderNative puts on every driver: a day's deadline and two static executors. */
const DRIVER_ANNOTATIONS: Readonly<Record<string, string>> = {
  [ANNOTATIONS.jobKey]: 'blob:landing/wordcount/2026-03-10.json',
  [ANNOTATIONS.jobName]: 'wordcount',
  [ANNOTATIONS.deadlineSeconds]: '86400',
  [ANNOTATIONS.executors]: 'static:2',
};

export const cond = (
  type: string,
  status: 'True' | 'False',
  secondsAgo: number | undefined,
  reason?: string,
  message?: string,
): PodConditionView => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
  ...(secondsAgo !== undefined ? { lastTransitionTime: ago(secondsAgo) } : {}),
});

const NOT_READY = `containers with unready status: [${DRIVER_CONTAINER}]`;

export interface DriverOptions {
  readonly phase?: string;
  readonly createdAgo: number;
  readonly startTimeAgo?: number;
  readonly conditions?: readonly PodConditionView[];
  /** The driver container's state; without it the pod has no containerStatuses. */
  readonly container?: ContainerStateView;
  /** Merged over the annotations renderNative writes; `undefined` removes one. */
  readonly annotations?: Readonly<Record<string, string | undefined>>;
  readonly activeDeadlineSeconds?: number;
  /** Pod-level reason and message (Evicted, DeadlineExceeded, admission rejections). */
  readonly reason?: string;
  readonly message?: string;
}

export function driverPod(o: DriverOptions): PodView {
  const annotations = Object.fromEntries(
    Object.entries({ ...DRIVER_ANNOTATIONS, ...o.annotations }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return {
    metadata: {
      name: DRIVER_POD,
      namespace: 'analytics',
      uid: DRIVER_UID,
      creationTimestamp: ago(o.createdAgo),
      labels: { [LABELS.appSelector]: APP_SELECTOR, [LABELS.role]: 'driver', [LABELS.managedBy]: 'spark-dispatch' },
      annotations,
    },
    spec: o.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {},
    status: {
      phase: o.phase ?? 'Pending',
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.message ? { message: o.message } : {}),
      ...(o.startTimeAgo !== undefined ? { startTime: ago(o.startTimeAgo) } : {}),
      ...(o.conditions ? { conditions: o.conditions } : {}),
      ...(o.container ? { containerStatuses: [{ name: DRIVER_CONTAINER, state: o.container, restartCount: 0 }] } : {}),
    },
  };
}

/** Pending, and the scheduler has not written anything yet: no conditions at all. */
export const unseenDriver = (createdAgo: number): PodView => driverPod({ createdAgo });

/** Pending, PodScheduled=False (Unschedulable) since `sinceAgo`; the pod was created 2 s before. */
export const unschedulableDriver = (sinceAgo: number, message = SCHEDULER_MESSAGE): PodView =>
  driverPod({ createdAgo: sinceAgo + 2, conditions: [cond('PodScheduled', 'False', sinceAgo, 'Unschedulable', message)] });

/**
 * Pending on a node: bound `scheduledAgo` s ago, created 3 s before that, admitted by the kubelet
 * (status.startTime) 2 s after. With a waiting reason, the container waits for it; without one,
 * the kubelet has reported nothing yet (no startTime, no container status).
 */
export function waitingDriver(scheduledAgo: number, waiting?: { readonly reason: string; readonly message?: string }): PodView {
  const scheduled = cond('PodScheduled', 'True', scheduledAgo);
  if (!waiting) return driverPod({ createdAgo: scheduledAgo + 3, conditions: [scheduled] });
  const admitted = scheduledAgo - 2;
  return driverPod({
    createdAgo: scheduledAgo + 3,
    startTimeAgo: admitted,
    conditions: [
      cond('Initialized', 'True', admitted),
      cond('Ready', 'False', admitted, 'ContainersNotReady', NOT_READY),
      cond('ContainersReady', 'False', admitted, 'ContainersNotReady', NOT_READY),
      scheduled,
    ],
    container: { waiting },
  });
}

export interface RunningOptions {
  /** status.startTime: when the kubelet admitted the pod. */
  readonly startTimeAgo: number;
  /** The driver container's running.startedAt; by default 30 s after startTime (the image pull). */
  readonly containerStartedAgo?: number;
  readonly annotations?: DriverOptions['annotations'];
  readonly activeDeadlineSeconds?: number;
}

export function runningDriver(o: RunningOptions): PodView {
  const started = o.containerStartedAgo ?? o.startTimeAgo - 30;
  return driverPod({
    phase: 'Running',
    createdAgo: o.startTimeAgo + 3,
    startTimeAgo: o.startTimeAgo,
    conditions: [
      cond('Initialized', 'True', o.startTimeAgo),
      cond('Ready', 'True', started - 1),
      cond('ContainersReady', 'True', started - 1),
      cond('PodScheduled', 'True', o.startTimeAgo + 1),
    ],
    container: { running: { startedAt: ago(started) } },
    ...(o.annotations ? { annotations: o.annotations } : {}),
    ...(o.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
  });
}

export interface FinishedOptions {
  readonly phase: 'Succeeded' | 'Failed';
  readonly finishedAgo: number;
  /** From status.startTime to the container's finishedAt; 1200 s by default. */
  readonly runSeconds?: number;
  readonly exitCode: number;
  /** The kubelet's terminated.reason: Completed for exit 0, Error otherwise, OOMKilled. */
  readonly containerReason: string;
  readonly podReason?: string;
  readonly podMessage?: string;
}

export function finishedDriver(o: FinishedOptions): PodView {
  const startTimeAgo = o.finishedAgo + (o.runSeconds ?? 1200);
  const done = o.phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
  return driverPod({
    phase: o.phase,
    createdAgo: startTimeAgo + 3,
    startTimeAgo,
    conditions: [
      cond('Initialized', 'True', startTimeAgo),
      cond('Ready', 'False', o.finishedAgo, done),
      cond('ContainersReady', 'False', o.finishedAgo, done),
      cond('PodScheduled', 'True', startTimeAgo + 1),
    ],
    container: {
      terminated: {
        exitCode: o.exitCode,
        reason: o.containerReason,
        startedAt: ago(startTimeAgo - 30),
        finishedAt: ago(o.finishedAgo),
      },
    },
    ...(o.podReason ? { reason: o.podReason } : {}),
    ...(o.podMessage ? { message: o.podMessage } : {}),
  });
}

export type ExecutorPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Why a Pending executor waits: the scheduler cannot place it (the default), a queue holds it, its container is being created or its image cannot be pulled. */
export type PendingAs = 'Unschedulable' | 'SchedulingGated' | 'ContainerCreating' | 'ImagePullBackOff' | 'unseen';

/** An executor pod of the driver above; `deleting` sets its deletionTimestamp. */
export function executorPod(
  id: number,
  phase: ExecutorPhase,
  createdAgo: number,
  deleting = false,
  pendingAs: PendingAs = 'Unschedulable',
): PodView {
  const name = `${PREFIX}-exec-${id}`;
  const startTimeAgo = createdAgo - 2;
  const pending = (): PodView['status'] => {
    switch (pendingAs) {
      case 'Unschedulable':
        return { phase: 'Pending', conditions: [cond('PodScheduled', 'False', createdAgo - 1, 'Unschedulable', SCHEDULER_MESSAGE)] };
      case 'SchedulingGated':
        return {
          phase: 'Pending',
          conditions: [
            cond('PodScheduled', 'False', createdAgo, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates'),
          ],
        };
      case 'unseen':
        return { phase: 'Pending' };
      default:
        return {
          phase: 'Pending',
          conditions: [cond('PodScheduled', 'True', createdAgo - 1)],
          containerStatuses: [{ name: 'spark-kubernetes-executor', state: { waiting: { reason: pendingAs } } }],
        };
    }
  };
  const status: PodView['status'] =
    phase === 'Pending'
      ? pending()
      : {
          phase,
          startTime: ago(startTimeAgo),
          conditions: [cond('Initialized', 'True', startTimeAgo), cond('PodScheduled', 'True', startTimeAgo + 1)],
          containerStatuses: [
            {
              name: 'spark-kubernetes-executor',
              state:
                phase === 'Running'
                  ? { running: { startedAt: ago(startTimeAgo - 5) } }
                  : {
                      terminated: {
                        exitCode: phase === 'Succeeded' ? 0 : 1,
                        reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                        finishedAt: ago(startTimeAgo - 60),
                      },
                    },
            },
          ],
        };
  return {
    metadata: {
      name,
      namespace: 'analytics',
      uid: `0e3c5a7d-0000-4000-8000-00000000000${id}`,
      creationTimestamp: ago(createdAgo),
      ...(deleting ? { deletionTimestamp: ago(-30) } : {}),
      labels: { [LABELS.appSelector]: APP_SELECTOR, [LABELS.role]: 'executor', 'spark-exec-id': String(id) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: DRIVER_POD, uid: DRIVER_UID }],
    },
    status,
  };
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

export const DRIVER_OWNER: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: DRIVER_POD, uid: DRIVER_UID };
export const APPLICATION_UID = 'a41d9e0b-5c6f-4e21-8b3a-9f8e7d6c5b4a';
export const APPLICATION_OWNER: OwnerReference = {
  apiVersion: 'sparkoperator.k8s.io/v1beta2',
  kind: 'SparkApplication',
  name: 'wordcount',
  uid: APPLICATION_UID,
};

/** The driver's ConfigMap or headless Service, created `createdAgo` s ago with these owners. */
export function companion(kind: 'ConfigMap' | 'Service', createdAgo: number, owners: readonly OwnerReference[]): PodView {
  return {
    metadata: {
      name: kind === 'ConfigMap' ? 'spark-drv-3f2a9c1d8e7b6a54-conf-map' : `${PREFIX}-driver-svc`,
      namespace: 'analytics',
      uid: kind === 'ConfigMap' ? '9d8c7b6a-1111-4222-8333-444455556666' : '9d8c7b6a-7777-4888-8999-aaaabbbbcccc',
      creationTimestamp: ago(createdAgo),
      labels: { [LABELS.appSelector]: APP_SELECTOR, [LABELS.managedBy]: 'spark-dispatch' },
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
  };
}

export interface ApplicationOptions {
  /** applicationState.state; undefined: the operator has not written a status at all. */
  readonly state?: string;
  readonly createdAgo: number;
  readonly submittedAgo?: number;
  readonly terminatedAgo?: number;
  readonly errorMessage?: string;
  readonly annotations?: DriverOptions['annotations'];
  readonly deleting?: boolean;
}

/** A Kubeflow SparkApplication (sparkoperator.k8s.io/v1beta2) as the operator keeps its status. */
export function sparkApplication(o: ApplicationOptions): ApplicationView {
  const annotations = Object.fromEntries(
    Object.entries({ ...DRIVER_ANNOTATIONS, ...o.annotations }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return {
    metadata: {
      name: 'wordcount-3f2a9c1d8e7b6a54',
      namespace: 'analytics',
      uid: APPLICATION_UID,
      creationTimestamp: ago(o.createdAgo),
      ...(o.deleting ? { deletionTimestamp: ago(0) } : {}),
      labels: { [LABELS.managedBy]: 'spark-dispatch' },
      annotations,
    },
    ...(o.state === undefined
      ? {}
      : {
          status: {
            applicationState: { state: o.state, ...(o.errorMessage ? { errorMessage: o.errorMessage } : {}) },
            ...(o.submittedAgo !== undefined ? { lastSubmissionAttemptTime: ago(o.submittedAgo) } : {}),
            ...(o.terminatedAgo !== undefined ? { terminationTime: ago(o.terminatedAgo) } : {}),
            ...(o.submittedAgo !== undefined ? { driverInfo: { podName: DRIVER_POD } } : {}),
          },
        }),
  };
}
