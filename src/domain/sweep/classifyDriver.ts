/**
 * The sweeper's judgement of one driver pod, in two pure steps:
 *
 *  1. classifyDriver (the pod, its executors, the graces, the clock): a verdict when the pod alone
 *     proves it (keep, or delete with the evidence), else a **suspect**: a cheap rule fired and the
 *     verdict needs more evidence, the driver's log tail or the Events of one pod;
 *  2. decideSuspect (the suspect, the evidence the use case read for it, the graces, the clock):
 *     keep or delete.
 *
 * Only what shows that the driver cannot make progress deletes it; a driver that waits (for a
 * quota, a queue, a node being added, an image being pulled) or works quietly is kept.
 *
 *   Pending ─┬─ waiting ErrImagePull/ImagePullBackOff/InvalidImageName/ErrImageNeverPull > grace ──────► image-pull-failed
 *            ├─ waiting CreateContainerConfigError/CreateContainerError > grace ──────────────────────────► container-config-error
 *            ├─ scheduling gates (Kueue), PodScheduled=False SchedulingGated > grace (default never) ────► scheduling-gated
 *            ├─ PodScheduled=False (Unschedulable) > grace ─ suspect: events ─ no scale-up under way ────► unschedulable
 *            ├─ scheduled, still ContainerCreating > grace ─ suspect: events ─ no image being pulled ────► stuck-creating
 *            └─ never looked at by the scheduler > grace ───────────────────────────────────────────────► pending-too-long
 *   Running ─┬─ past the job's deadline + grace ─────────────────────────────────────────────────────────► deadline-exceeded
 *            ├─ Ready=False while its containers are ready (the node controller's mark) > grace
 *            │        ─ suspect: log ─ unreadable, or silent for the grace ──────────────────────────────► node-lost
 *            ├─ an executor Running ─────────────────────────────────────────────────────────────────────► keep
 *            ├─ every live executor Pending and unable to start > grace ─ suspect: events of the oldest
 *            │        ─ no scale-up under way ────────────────────────────────────────────────────────────► executors-pending
 *            └─ no live executor, no sign of life (container start, heartbeat) for the shortest grace
 *                     ─ suspect: log ─┬─ quota refuses executors that can never fit > grace ─────────────► executors-refused
 *                                     ├─ SparkContext stopped, log silent > grace ─────────────────────► hung-after-stop
 *                                     └─ log silent > grace ───────────────────────────────────────────► no-executors
 *   Unknown (the node stopped reporting) > grace ─ suspect: log ─ as node-lost
 *   Succeeded / Failed ── final state recorded; pod kept for the retention time, then ───────────────────► finished-retention
 *   being deleted ── keep
 *
 * activeDeadlineSeconds does not cover Pending pods: the kubelet counts from status.startTime,
 * which is set only once the pod is on a node. That is why Pending has its own graces.
 */
import type { FinalState } from '../intake/ledgerRecord.js';
import {
  byNewest,
  describeEvent,
  firstNeverFits,
  newestLine,
  quotaRefusal,
  sparkStopped,
  type EventView,
  type LogLine,
} from './evidence.js';
import {
  annotatedDeadlineSeconds,
  condition,
  driverContainer,
  executorsPlan,
  heartbeat,
  latest,
  secondsSince,
  type PodView,
} from './podView.js';
import { graceKey, type GracedReason, type Graces, type SweepReason } from './reasons.js';
import type { SweeperSettings } from '../../settings/settingsSchema.js';

export { SWEEP_REASONS, type SweepReason } from './reasons.js';

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
  /** The executors annotation as read (static:<n>, dynamic, or unreadable as found): explains, never decides. */
  readonly executorsPlan?: string;
  /** The driver's last sign of life (ISO) and what it was: its newest log line, a heartbeat, its container's start. */
  readonly lastSignOfLife?: string;
  readonly signOfLife?: 'log line' | 'heartbeat' | 'container start';
  readonly lastLogLine?: string;
  /** Why the log says nothing: unreadable, with the error. */
  readonly log?: string;
  /** The quota refusal the driver logged last. */
  readonly quotaRefusal?: string;
  /** The newest Events of the pod the rule is about (the driver, or its oldest blocked executor). */
  readonly events?: readonly string[];
}

export type KeepState = 'pending' | 'running' | 'waiting' | 'finished' | 'terminating' | 'unknown';

export type Verdict =
  | { readonly action: 'keep'; readonly state: KeepState; readonly final?: FinalState; readonly why?: string }
  | {
      readonly action: 'delete';
      readonly reason: SweepReason;
      readonly message: string;
      readonly evidence: Evidence;
      readonly final?: FinalState;
    };

/** The pod's own facts pointed at a reason; a verdict needs the evidence named in `needs`. */
export type Suspect =
  | {
      readonly action: 'suspect';
      /** Its condition lasted past the grace; the Events of `eventsOf` may show it is being helped (a node added, an image pulled). */
      readonly kind: 'blocked';
      readonly reason: 'unschedulable' | 'stuck-creating' | 'executors-pending';
      readonly message: string;
      readonly needs: { readonly eventsOf: string };
      readonly evidence: Evidence;
    }
  | {
      readonly action: 'suspect';
      /** No live executor and no sign of life on the pod for the shortest of the graces: its log decides. */
      readonly kind: 'silent';
      readonly reason: 'no-executors';
      readonly needs: { readonly log: true };
      readonly evidence: Evidence;
      /** The last sign of life the pod itself shows (container start, heartbeat). */
      readonly lastSign: { readonly at: string; readonly what: 'heartbeat' | 'container start' };
    }
  | {
      readonly action: 'suspect';
      /** Not ready while its containers are (or phase Unknown) past the grace: can the kubelet still be reached? */
      readonly kind: 'node-lost';
      readonly reason: 'node-lost';
      readonly needs: { readonly log: true };
      readonly evidence: Evidence;
    };

export type Judgement = Verdict | Suspect;

export type Thresholds = Pick<SweeperSettings, 'grace' | 'succeededRetentionSeconds' | 'failedRetentionSeconds'>;

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONTAINER_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError']);
const CREATING = new Set(['ContainerCreating', 'PodInitializing']);
const TERMINAL = new Set(['Succeeded', 'Failed']);

/** A reason's grace in seconds; undefined: the reason is off ("never"). */
export const graceOf = (graces: Graces, reason: GracedReason): number | undefined => graces[graceKey(reason)] ?? undefined;

export function classifyDriver(pod: PodView, executors: readonly PodView[], thresholds: Thresholds, now: Date): Judgement {
  if (pod.metadata.deletionTimestamp) return { action: 'keep', state: 'terminating' };
  const phase = pod.status?.phase ?? 'Pending';
  const graces = thresholds.grace;
  const base = (since: string | undefined, age: number, threshold: number): Evidence => ({
    phase,
    ...(since ? { since } : {}),
    ageSeconds: Math.round(age),
    thresholdSeconds: threshold,
    conditions: (pod.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`),
    containers: (pod.status?.containerStatuses ?? []).map(describeContainer),
  });
  /** The age of `since` when it is past the reason's grace (and the grace), else undefined. */
  const past = (reason: GracedReason, since: string | undefined): { age: number; grace: number } | undefined => {
    const grace = graceOf(graces, reason);
    const age = secondsSince(since, now);
    return grace !== undefined && age !== undefined && age > grace ? { age, grace } : undefined;
  };
  const del = (
    reason: SweepReason,
    message: string,
    since: string | undefined,
    over: { age: number; grace: number },
    extra: Partial<Evidence> = {},
  ): Verdict => ({
    action: 'delete',
    reason,
    message,
    evidence: { ...base(since, over.age, over.grace), ...extra },
  });

  if (TERMINAL.has(phase)) {
    const final = finalState(pod);
    const retention = phase === 'Succeeded' ? thresholds.succeededRetentionSeconds : thresholds.failedRetentionSeconds;
    const finishedAt = final.finishedAt ?? pod.status?.startTime ?? pod.metadata.creationTimestamp;
    const age = secondsSince(finishedAt, now);
    if (age === undefined || age <= retention) return { action: 'keep', state: 'finished', final };
    return {
      ...del('finished-retention', `${phase} ${Math.round(age)} s ago, past the ${retention} s retention`, finishedAt, {
        age,
        grace: retention,
      }),
      final,
    };
  }

  const container = driverContainer(pod);
  const waiting = container?.state?.waiting?.reason;
  const scheduled = condition(pod, 'PodScheduled');
  // From when a pod-level problem counts: when it was scheduled (or started), else when it was created.
  const scheduledAt = scheduled?.status === 'True' ? (scheduled.lastTransitionTime ?? pod.status?.startTime) : undefined;
  const created = pod.metadata.creationTimestamp;

  if (phase === 'Pending') {
    // The kubelet's own word that the container cannot start (pkg/kubelet/images, kuberuntime): it
    // retries ErrImagePull with back-off, and never InvalidImageName or ErrImageNeverPull.
    if (waiting && IMAGE_PULL.has(waiting)) {
      const since = scheduledAt ?? created;
      const over = past('image-pull-failed', since);
      if (over)
        return del(
          'image-pull-failed',
          `the driver image cannot be pulled (${waiting}): a wrong image or registry credentials rarely heal`,
          since,
          over,
        );
      return { action: 'keep', state: 'pending' };
    }
    if (waiting && CONTAINER_CONFIG.has(waiting)) {
      const since = scheduledAt ?? created;
      const over = past('container-config-error', since);
      if (over)
        return del(
          'container-config-error',
          `the driver container cannot be created (${waiting}): a missing ConfigMap or Secret key, or runAsNonRoot with a named user`,
          since,
          over,
        );
      return { action: 'keep', state: 'pending' };
    }
    // Pod scheduling readiness (Kubernetes 1.30 GA): while spec.schedulingGates is not empty the
    // scheduler leaves the pod alone and reports PodScheduled=False with reason SchedulingGated.
    // Kueue gates a pod until its queue admits the workload (kueue.x-k8s.io/admission): the pod
    // waits its turn; it is not Unschedulable, and Kueue has its own timeouts.
    if ((pod.spec?.schedulingGates ?? []).length > 0 || scheduled?.reason === 'SchedulingGated') {
      const since = scheduled?.reason === 'SchedulingGated' ? (scheduled.lastTransitionTime ?? created) : created;
      const over = past('scheduling-gated', since);
      const gates = (pod.spec?.schedulingGates ?? []).map((g) => g.name).join(', ');
      if (over)
        return del(
          'scheduling-gated',
          `the driver has been held by scheduling gates${gates ? ` (${gates})` : ''} longer than the grace`,
          since,
          over,
        );
      return { action: 'keep', state: 'waiting', why: `held by scheduling gates${gates ? ` (${gates})` : ''}: queued, not unschedulable` };
    }
    if (scheduled?.status === 'False') {
      // lastTransitionTime is when it first failed: the scheduler updates the message on each try, not the time.
      const since = scheduled.lastTransitionTime ?? created;
      const over = past('unschedulable', since);
      if (!over) return { action: 'keep', state: 'pending' };
      return {
        action: 'suspect',
        kind: 'blocked',
        reason: 'unschedulable',
        message: `no node can run the driver (${scheduled.reason ?? 'not scheduled'}${scheduled.message ? `: ${scheduled.message}` : ''})`,
        needs: { eventsOf: pod.metadata.name },
        evidence: base(since, over.age, over.grace),
      };
    }
    if (scheduledAt !== undefined && (waiting === undefined || CREATING.has(waiting))) {
      const over = past('stuck-creating', scheduledAt);
      if (!over) return { action: 'keep', state: 'pending' };
      return {
        action: 'suspect',
        kind: 'blocked',
        reason: 'stuck-creating',
        message:
          'the driver pod was scheduled but its container never started (a volume, such as the conf ConfigMap, could not be mounted?)',
        needs: { eventsOf: pod.metadata.name },
        evidence: base(scheduledAt, over.age, over.grace),
      };
    }
    if (scheduled === undefined) {
      const over = past('pending-too-long', created);
      if (over)
        return del(
          'pending-too-long',
          'the driver pod was never looked at by a scheduler (none running, or a schedulerName nobody serves)',
          created,
          over,
        );
    }
    return { action: 'keep', state: 'pending' };
  }

  if (phase === 'Running' || phase === 'Unknown') {
    const startedAt = container?.state?.running?.startedAt ?? pod.status?.startTime ?? created;
    const deadline = deadlineSeconds(pod);
    const deadlineGrace = graceOf(graces, 'deadline-exceeded');
    if (phase === 'Running' && deadline !== undefined && deadlineGrace !== undefined) {
      const limit = deadline + deadlineGrace;
      const since = pod.status?.startTime ?? startedAt;
      const age = secondsSince(since, now);
      if (age !== undefined && age > limit)
        return del('deadline-exceeded', `running for ${Math.round(age)} s, past the job's deadline of ${deadline} s`, since, {
          age,
          grace: limit,
        });
    }

    // The node lifecycle controller marks the pods of a node that stopped reporting Ready=False
    // (pkg/controller/nodelifecycle, MarkPodsNotReady) and leaves ContainersReady as the kubelet
    // last wrote it: Ready=False with ContainersReady=True is that mark, never the kubelet's own.
    // The pod's phase may read Unknown ("an error in communicating with the node", Pod Lifecycle).
    const ready = condition(pod, 'Ready');
    const containersReady = condition(pod, 'ContainersReady');
    const markedNotReady =
      ready?.status === 'False' && (containersReady ? containersReady.status === 'True' : container?.state?.running !== undefined);
    if (phase === 'Unknown' || markedNotReady) {
      const since = ready?.status === 'False' ? (ready.lastTransitionTime ?? latestTransition(pod)) : latestTransition(pod);
      const over = past('node-lost', since);
      if (over)
        return {
          action: 'suspect',
          kind: 'node-lost',
          reason: 'node-lost',
          needs: { log: true },
          evidence: base(since, over.age, over.grace),
        };
      if (phase === 'Unknown') return { action: 'keep', state: 'unknown' };
    }

    const live = executors.filter((e) => !TERMINAL.has(e.status?.phase ?? 'Pending') && !e.metadata.deletionTimestamp);
    const counts = {
      total: executors.length,
      pending: live.filter((e) => (e.status?.phase ?? 'Pending') === 'Pending').length,
      running: live.filter((e) => e.status?.phase === 'Running').length,
    };
    const plan = executorsPlan(pod.metadata);
    if (counts.running > 0) return { action: 'keep', state: 'running' };

    if (live.length > 0) {
      // Every live executor Pending. Spark waits for them as long as it takes; those that can start
      // (ContainerCreating, gated by a queue, not looked at yet) mean the driver is only waiting.
      const blocked = live
        .map((e) => ({ executor: e, since: blockedSince(e) }))
        .filter((b): b is { executor: PodView; since: string } => b.since !== undefined);
      if (blocked.length < live.length) return { action: 'keep', state: 'running' };
      blocked.sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
      const oldest = blocked[0]!;
      const over = past('executors-pending', oldest.since);
      if (!over) return { action: 'keep', state: 'running' };
      return {
        action: 'suspect',
        kind: 'blocked',
        reason: 'executors-pending',
        message: `all ${live.length} executors are Pending and none can start (${describeBlocked(oldest.executor)}): the driver waits for them forever`,
        needs: { eventsOf: oldest.executor.metadata.name },
        evidence: { ...base(oldest.since, over.age, over.grace), executors: counts, executorsPlan: plan },
      };
    }

    // No live executor. Many healthy drivers look like this: Python before its SparkSession, a
    // driver after spark.stop(), dynamic allocation at zero, a quota refusing executors while the
    // allocator retries. Only their log tells them from a driver that hangs: read it once the pod's
    // own signs of life (its start, a heartbeat) are older than the shortest grace that could apply.
    const beat = heartbeat(pod.metadata, now);
    const lastSign = latest(startedAt, beat);
    const shortest = (['no-executors', 'hung-after-stop', 'executors-refused'] as const)
      .map((r) => graceOf(graces, r))
      .filter((g): g is number => g !== undefined);
    const age = secondsSince(lastSign, now);
    if (lastSign === undefined || shortest.length === 0 || age === undefined || age <= Math.min(...shortest))
      return { action: 'keep', state: 'running' };
    return {
      action: 'suspect',
      kind: 'silent',
      reason: 'no-executors',
      needs: { log: true },
      lastSign: { at: lastSign, what: beat !== undefined && lastSign === beat ? 'heartbeat' : 'container start' },
      evidence: { ...base(lastSign, age, Math.min(...shortest)), executors: counts, executorsPlan: plan },
    };
  }
  return { action: 'keep', state: 'unknown' };
}

/** What the use case read for a suspect; absent when it could not be read this run. */
export interface Gathered {
  readonly log?:
    { readonly ok: true; readonly lines: readonly LogLine[] } | { readonly ok: false; readonly error: string; readonly gone?: boolean };
  readonly events?: { readonly ok: true; readonly events: readonly EventView[] } | { readonly ok: false; readonly error: string };
}

export function decideSuspect(suspect: Suspect, gathered: Gathered, thresholds: Thresholds, now: Date): Verdict {
  const graces = thresholds.grace;
  const del = (reason: SweepReason, message: string, evidence: Evidence): Verdict => ({ action: 'delete', reason, message, evidence });

  if (suspect.kind === 'blocked') {
    const { events } = gathered;
    if (events?.ok) {
      const newest = byNewest(events.events);
      const shown = newest.slice(0, 3).map((e) => describeEvent(e, now));
      const grace = graceOf(graces, suspect.reason) ?? 0;
      if (suspect.reason === 'stuck-creating') {
        // The kubelet reports an image pull as Pulling, then Pulled or Failed; while it pulls the
        // container waits in ContainerCreating. containerd cancels a pull with no progress
        // (image_pull_progress_timeout, 5 min by default), which turns into ErrImagePull: a pull
        // still under way is progress.
        const pull = newest.find((e) => e.reason === 'Pulling' || e.reason === 'Pulled' || e.reason === 'Failed' || e.reason === 'BackOff');
        if (pull?.reason === 'Pulling')
          return { action: 'keep', state: 'waiting', why: `its image is still being pulled: ${describeEvent(pull, now)}` };
      } else {
        // The cluster autoscaler reports on a pending pod it will help (TriggeredScaleUp: a node is
        // on its way) or not (NotTriggerScaleUp, with why: no group fits, max size, or backed off
        // after a failed scale-up). Its latest word decides: a scale-up within the grace keeps it.
        const scaleUp = newest.find((e) => e.reason === 'TriggeredScaleUp' || e.reason === 'NotTriggerScaleUp');
        if (scaleUp?.reason === 'TriggeredScaleUp' && (secondsSince(scaleUp.lastSeen, now) ?? Infinity) <= grace) {
          return { action: 'keep', state: 'waiting', why: `a node is being added for it: ${describeEvent(scaleUp, now)}` };
        }
      }
      return del(suspect.reason, suspect.message, {
        ...suspect.evidence,
        events: shown.length > 0 ? shown : ['none (events expire after an hour by default)'],
      });
    }
    // Without events the condition and its duration are the evidence.
    return del(suspect.reason, suspect.message, { ...suspect.evidence, events: [`unreadable: ${events?.error ?? 'not read'}`] });
  }

  const { log } = gathered;
  if (log === undefined) return { action: 'keep', state: 'running', why: 'its log was not read this run' };
  if (!log.ok && log.gone) return { action: 'keep', state: 'terminating', why: 'the pod went away while it was judged' };

  if (suspect.kind === 'node-lost') {
    const grace = graceOf(graces, 'node-lost') ?? 0;
    if (!log.ok) {
      // The API server reaches a pod's log through its node's kubelet: a log that cannot be read
      // while the pod is marked not ready confirms the node is gone.
      return del('node-lost', "the driver's node stopped reporting: the pod is not ready and its kubelet does not answer", {
        ...suspect.evidence,
        log: `unreadable: ${log.error.slice(0, 300)}`,
      });
    }
    const line = newestLine(log.lines, now);
    const silence = secondsSince(line?.at, now);
    if (line && silence !== undefined && silence <= grace)
      return { action: 'keep', state: 'running', why: `its kubelet answers and it logged ${Math.round(silence)} s ago` };
    return del('node-lost', "the driver's node stopped reporting (the pod is not ready) and the driver logged nothing within the grace", {
      ...suspect.evidence,
      ...(line ? { lastSignOfLife: line.at, signOfLife: 'log line' as const, lastLogLine: line.text.slice(0, 300) } : {}),
    });
  }

  // kind 'silent'
  if (!log.ok)
    return {
      action: 'keep',
      state: 'running',
      why: `its log could not be read (${log.error.slice(0, 200)}): no evidence, judged again next run`,
    };
  const line = newestLine(log.lines, now);
  const lastSign =
    line && Date.parse(line.at) > Date.parse(suspect.lastSign.at) ? { at: line.at, what: 'log line' as const } : suspect.lastSign;
  const silence = secondsSince(lastSign.at, now) ?? 0;
  const refusal = quotaRefusal(log.lines);
  const evidence: Evidence = {
    ...suspect.evidence,
    since: lastSign.at,
    ageSeconds: Math.round(silence),
    lastSignOfLife: lastSign.at,
    signOfLife: lastSign.what,
    ...(line ? { lastLogLine: line.text.slice(0, 300) } : {}),
    ...(refusal ? { quotaRefusal: refusal.text } : {}),
  };

  if (refusal && refusal.neverFits.length > 0) {
    // Requests above the quota's hard limit: the allocator retries forever and no executor will
    // ever be admitted, however long the driver logs its retries.
    const grace = graceOf(graces, 'executors-refused');
    const since = firstNeverFits(log.lines) ?? refusal.at;
    const age = secondsSince(since, now);
    if (grace !== undefined && age !== undefined && age > grace) {
      return del(
        'executors-refused',
        `the ResourceQuota ${refusal.quota} refuses every executor: each asks for more ${refusal.neverFits.join(', ')} than the quota allows in all`,
        {
          ...evidence,
          ...(since ? { since } : {}),
          ageSeconds: Math.round(age),
          thresholdSeconds: grace,
        },
      );
    }
  }
  const reason = sparkStopped(log.lines) ? 'hung-after-stop' : 'no-executors';
  const grace = graceOf(graces, reason);
  if (grace === undefined || silence <= grace) {
    const why = refusal
      ? `waiting for executors a quota refuses for now (${refusal.text.slice(0, 120)}); last sign of life ${Math.round(silence)} s ago`
      : `alive: its last sign of life (${lastSign.what}) was ${Math.round(silence)} s ago`;
    return { action: 'keep', state: 'running', why };
  }
  return reason === 'hung-after-stop'
    ? del(
        reason,
        `its SparkContext stopped and the process did not exit: no log line or heartbeat for ${Math.round(silence)} s (a non-daemon thread keeps the JVM up, or the script hangs after spark.stop())`,
        { ...evidence, thresholdSeconds: grace },
      )
    : del(
        reason,
        `no executor and no log line or heartbeat for ${Math.round(silence)} s: its SparkContext never started or the script hangs (cannot read its files over abfss?)`,
        { ...evidence, thresholdSeconds: grace },
      );
}

/**
 * Since when an executor has been unable to start: Unschedulable (since the condition's
 * transition), or its container refused (image pull, container config) since it was scheduled.
 * Undefined while it can still start (not looked at yet, gated by a queue, ContainerCreating).
 */
function blockedSince(executor: PodView): string | undefined {
  if ((executor.status?.phase ?? 'Pending') !== 'Pending') return undefined;
  const scheduled = condition(executor, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    return scheduled.lastTransitionTime ?? executor.metadata.creationTimestamp;
  const waiting = (executor.status?.containerStatuses ?? [])
    .map((c) => c.state?.waiting?.reason)
    .find((r) => r !== undefined && (IMAGE_PULL.has(r) || CONTAINER_CONFIG.has(r)));
  if (waiting !== undefined)
    return (scheduled?.status === 'True' ? scheduled.lastTransitionTime : undefined) ?? executor.metadata.creationTimestamp;
  return undefined;
}

function describeBlocked(executor: PodView): string {
  const scheduled = condition(executor, 'PodScheduled');
  if (scheduled?.status === 'False') return `${executor.metadata.name}: ${scheduled.reason ?? 'not scheduled'}`;
  const waiting = (executor.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  return `${executor.metadata.name}: ${waiting ?? 'Pending'}`;
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
  const reason =
    pod.status?.reason ??
    (exitCode === 11 ? 'TooManyExecutorFailures' : undefined) ??
    (terminated?.reason && terminated.reason !== 'Completed' ? terminated.reason : undefined);
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
  const restarts = c.restartCount !== undefined && c.restartCount > 0 ? `, restarted ${c.restartCount}×` : '';
  if (s?.waiting)
    return `${c.name}: waiting ${s.waiting.reason ?? ''}${s.waiting.message ? ` (${s.waiting.message.slice(0, 200)})` : ''}${restarts}`.trim();
  if (s?.running) return `${c.name}: running since ${s.running.startedAt ?? '?'}${restarts}`;
  if (s?.terminated) return `${c.name}: terminated ${s.terminated.reason ?? ''} exit ${s.terminated.exitCode ?? '?'}${restarts}`;
  return `${c.name}: no state`;
}
