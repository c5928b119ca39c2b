/**
 * The sweeper's judgement of one driver pod: a pure function of the pod, its executors, the
 * thresholds and the clock. The failure signatures come from shared/docs/spark-driver-contract.md.
 *
 *   Pending ──┬─ waiting ErrImagePull/ImagePullBackOff/InvalidImageName/ErrImageNeverPull > grace ─► image-pull-failed
 *             ├─ waiting CreateContainerConfigError/CreateContainerError > grace ──────────────────► container-config-error
 *             ├─ PodScheduled=False (Unschedulable) > pending timeout ──────────────────────────────► unschedulable
 *             ├─ scheduled, still ContainerCreating > creating timeout ─────────────────────────────► stuck-creating
 *             └─ never scheduled, no reason > pending timeout ───────────────────────────────────────► pending-too-long
 *   Running ──┬─ running longer than the job's deadline (+ grace) ───────────────────────────────────► deadline-exceeded
 *             ├─ no executor pod after the executor-start timeout (static executors only) ──────────► no-executors
 *             └─ every live executor Pending > executor-pending timeout ───────────────────────────────► executors-pending
 *   Succeeded / Failed ── final state recorded; pod kept for the retention time, then ─────────────────► finished-retention
 *   anything else, or being deleted ── keep
 *
 * activeDeadlineSeconds does not cover Pending pods: the kubelet counts from status.startTime,
 * which is set only once the pod is on a node. That is why Pending has its own timeouts.
 */
import type { FinalState } from '../intake/ledgerRecord.js';
import { ANNOTATIONS } from '../render/naming.js';
import { annotatedDeadlineSeconds, condition, driverContainer, secondsSince, type PodView } from './podView.js';
import type { SweeperSettings } from '../../settings/settingsSchema.js';

export const SWEEP_REASONS = [
  'image-pull-failed',
  'container-config-error',
  'unschedulable',
  'stuck-creating',
  'pending-too-long',
  'deadline-exceeded',
  'no-executors',
  'executors-pending',
  'finished-retention',
  'orphaned-companion',
  'submission-stuck',
] as const;
export type SweepReason = (typeof SWEEP_REASONS)[number];

/** What the sweeper saw, kept in the ledger so a person can check the judgement later. */
export interface Evidence {
  readonly phase?: string;
  /** When the condition the rule measured started (ISO). */
  readonly since?: string;
  readonly ageSeconds?: number;
  readonly thresholdSeconds?: number;
  readonly conditions?: readonly string[];
  readonly containers?: readonly string[];
  readonly executors?: { readonly total: number; readonly pending: number; readonly running: number };
}

export type Verdict =
  | { readonly action: 'keep'; readonly state: 'pending' | 'running' | 'finished' | 'terminating' | 'unknown'; readonly final?: FinalState }
  | { readonly action: 'delete'; readonly reason: SweepReason; readonly message: string; readonly evidence: Evidence; readonly final?: FinalState };

export type Thresholds = Pick<
  SweeperSettings,
  | 'pendingTimeoutSeconds'
  | 'imagePullGraceSeconds'
  | 'containerConfigGraceSeconds'
  | 'creatingTimeoutSeconds'
  | 'executorStartTimeoutSeconds'
  | 'executorPendingTimeoutSeconds'
  | 'deadlineGraceSeconds'
  | 'succeededRetentionSeconds'
  | 'failedRetentionSeconds'
>;

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONTAINER_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError']);
const CREATING = new Set(['ContainerCreating', 'PodInitializing']);
const TERMINAL = new Set(['Succeeded', 'Failed']);

export function classifyDriver(pod: PodView, executors: readonly PodView[], thresholds: Thresholds, now: Date): Verdict {
  if (pod.metadata.deletionTimestamp) return { action: 'keep', state: 'terminating' };
  const phase = pod.status?.phase ?? 'Pending';
  const evidence = (since: string | undefined, age: number, threshold: number): Evidence => ({
    phase,
    ...(since ? { since } : {}),
    ageSeconds: Math.round(age),
    thresholdSeconds: threshold,
    conditions: (pod.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`),
    containers: (pod.status?.containerStatuses ?? []).map(describeContainer),
  });
  const over = (since: string | undefined, threshold: number): number | undefined => {
    const age = secondsSince(since, now);
    return age !== undefined && age > threshold ? age : undefined;
  };
  const del = (reason: SweepReason, message: string, since: string | undefined, age: number, threshold: number, extra: Partial<Evidence> = {}): Verdict => ({
    action: 'delete',
    reason,
    message,
    evidence: { ...evidence(since, age, threshold), ...extra },
  });

  if (TERMINAL.has(phase)) {
    const final = finalState(pod);
    const retention = phase === 'Succeeded' ? thresholds.succeededRetentionSeconds : thresholds.failedRetentionSeconds;
    const finishedAt = final.finishedAt ?? pod.status?.startTime ?? pod.metadata.creationTimestamp;
    const age = over(finishedAt, retention);
    if (age === undefined) return { action: 'keep', state: 'finished', final };
    return { ...del('finished-retention', `${phase} ${Math.round(age)} s ago, past the ${retention} s retention`, finishedAt, age, retention), final };
  }

  const container = driverContainer(pod);
  const waiting = container?.state?.waiting?.reason;
  const scheduled = condition(pod, 'PodScheduled');
  // From when a pod-level problem counts: when it was scheduled (or started), else when it was created.
  const scheduledAt = scheduled?.status === 'True' ? (scheduled.lastTransitionTime ?? pod.status?.startTime) : undefined;
  const created = pod.metadata.creationTimestamp;

  if (phase === 'Pending') {
    if (waiting && IMAGE_PULL.has(waiting)) {
      const since = scheduledAt ?? created;
      const age = over(since, thresholds.imagePullGraceSeconds);
      if (age !== undefined) return del('image-pull-failed', `the driver image cannot be pulled (${waiting}): a wrong image or registry credentials rarely heal`, since, age, thresholds.imagePullGraceSeconds);
    }
    if (waiting && CONTAINER_CONFIG.has(waiting)) {
      const since = scheduledAt ?? created;
      const age = over(since, thresholds.containerConfigGraceSeconds);
      if (age !== undefined) return del('container-config-error', `the driver container cannot be created (${waiting}): a missing ConfigMap or Secret key, or runAsNonRoot with a named user`, since, age, thresholds.containerConfigGraceSeconds);
    }
    if (scheduled?.status === 'False') {
      const since = scheduled.lastTransitionTime ?? created;
      const age = over(since, thresholds.pendingTimeoutSeconds);
      if (age !== undefined) return del('unschedulable', `no node can run the driver (${scheduled.reason ?? 'not scheduled'}${scheduled.message ? `: ${scheduled.message}` : ''})`, since, age, thresholds.pendingTimeoutSeconds);
      return { action: 'keep', state: 'pending' };
    }
    if (scheduledAt !== undefined && (waiting === undefined || CREATING.has(waiting))) {
      const age = over(scheduledAt, thresholds.creatingTimeoutSeconds);
      if (age !== undefined) return del('stuck-creating', 'the driver pod was scheduled but its container never started (a volume, such as the conf ConfigMap, could not be mounted?)', scheduledAt, age, thresholds.creatingTimeoutSeconds);
      return { action: 'keep', state: 'pending' };
    }
    if (scheduled === undefined) {
      const age = over(created, thresholds.pendingTimeoutSeconds);
      if (age !== undefined) return del('pending-too-long', 'the driver pod was never scheduled', created, age, thresholds.pendingTimeoutSeconds);
    }
    return { action: 'keep', state: 'pending' };
  }

  if (phase === 'Running') {
    const startedAt = container?.state?.running?.startedAt ?? pod.status?.startTime ?? created;
    const deadline = deadlineSeconds(pod);
    if (deadline !== undefined) {
      const limit = deadline + thresholds.deadlineGraceSeconds;
      const age = over(pod.status?.startTime ?? startedAt, limit);
      if (age !== undefined) return del('deadline-exceeded', `running for ${Math.round(age)} s, past the job's deadline of ${deadline} s`, pod.status?.startTime ?? startedAt, age, limit);
    }
    const live = executors.filter((e) => !TERMINAL.has(e.status?.phase ?? 'Pending') && !e.metadata.deletionTimestamp);
    const counts = { total: executors.length, pending: live.filter((e) => (e.status?.phase ?? 'Pending') === 'Pending').length, running: live.filter((e) => e.status?.phase === 'Running').length };
    const plan = pod.metadata.annotations?.[ANNOTATIONS.executors];
    const expectsExecutors = plan === undefined || (plan.startsWith('static:') && Number(plan.slice('static:'.length)) > 0);
    if (executors.length === 0 && expectsExecutors) {
      const age = over(startedAt, thresholds.executorStartTimeoutSeconds);
      if (age !== undefined) {
        return del('no-executors', 'the driver runs but never created an executor: its SparkContext never started (the script hangs, or cannot read its files over abfss)', startedAt, age, thresholds.executorStartTimeoutSeconds, { executors: counts });
      }
    }
    if (live.length > 0 && counts.pending === live.length) {
      const since = live.map((e) => e.metadata.creationTimestamp).filter((t): t is string => t !== undefined).sort()[0];
      const age = over(since, thresholds.executorPendingTimeoutSeconds);
      if (age !== undefined) return del('executors-pending', `all ${live.length} executors are Pending: no room for them, and the driver would wait forever`, since, age, thresholds.executorPendingTimeoutSeconds, { executors: counts });
    }
    return { action: 'keep', state: 'running' };
  }
  return { action: 'keep', state: 'unknown' };
}

/** The job's deadline: our annotation (both backends), else the pod's activeDeadlineSeconds. */
function deadlineSeconds(pod: PodView): number | undefined {
  return annotatedDeadlineSeconds(pod.metadata) ?? pod.spec?.activeDeadlineSeconds;
}

/** How a finished driver ended, as the ledger records it. */
export function finalState(pod: PodView): FinalState {
  const phase = pod.status?.phase ?? 'Unknown';
  const terminated = driverContainer(pod)?.state?.terminated;
  const exitCode = terminated?.exitCode;
  // Pod-level reasons (Evicted, DeadlineExceeded) explain more than the container's Error.
  // Exit 11 is Spark's "too many executor failures" (3.5+); the kubelet reports it as a generic Error.
  const reason = pod.status?.reason ?? (exitCode === 11 ? 'TooManyExecutorFailures' : undefined) ?? (terminated?.reason && terminated.reason !== 'Completed' ? terminated.reason : undefined);
  const finishedAt = terminated?.finishedAt ?? latestTransition(pod);
  const started = pod.status?.startTime ?? terminated?.startedAt;
  const duration = started && finishedAt ? (Date.parse(finishedAt) - Date.parse(started)) / 1000 : undefined;
  return {
    phase,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(reason ? { reason } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(duration !== undefined && Number.isFinite(duration) && duration >= 0 ? { durationSeconds: Math.round(duration) } : {}),
  };
}

function latestTransition(pod: PodView): string | undefined {
  return (pod.status?.conditions ?? [])
    .map((c) => c.lastTransitionTime)
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
}

function describeContainer(c: NonNullable<NonNullable<PodView['status']>['containerStatuses']>[number]): string {
  const s = c.state;
  if (s?.waiting) return `${c.name}: waiting ${s.waiting.reason ?? ''}${s.waiting.message ? ` (${s.waiting.message.slice(0, 200)})` : ''}`.trim();
  if (s?.running) return `${c.name}: running since ${s.running.startedAt ?? '?'}`;
  if (s?.terminated) return `${c.name}: terminated ${s.terminated.reason ?? ''} exit ${s.terminated.exitCode ?? '?'}`;
  return `${c.name}: no state`;
}
