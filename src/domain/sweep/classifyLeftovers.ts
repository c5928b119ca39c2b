/**
 * The sweeper's judgement of what is not a driver pod: ConfigMaps and Services whose driver is
 * gone (a launch that died half-way, or companions left by an Orphan delete), and operator-backend
 * SparkApplications, judged from their status when they have no driver pod to judge.
 */
import { graceOf, type Evidence, type SweepReason, type Thresholds, type Verdict } from './classifyDriver.js';
import type { FinalState } from '../intake/ledgerRecord.js';
import { annotatedDeadlineSeconds, secondsSince, type PodView } from './podView.js';

/**
 * A companion (ConfigMap, Service) is orphaned when no existing pod owns it. The garbage collector
 * removes companions of deleted pods by itself; this catches the rest (no ownerReference, or one
 * left after an Orphan delete), after a grace so that a launch in progress is never touched.
 */
export function classifyCompanion(object: PodView, liveDriverUids: ReadonlySet<string>, graceSeconds: number | null, now: Date): Verdict {
  // Its driver: a Pod, or with the operator backend the SparkApplication (which owns the key's claim).
  const owners = (object.metadata.ownerReferences ?? []).filter((o) => o.kind === 'Pod' || o.kind === 'SparkApplication');
  if (owners.some((o) => liveDriverUids.has(o.uid))) return { action: 'keep', state: 'running' };
  const age = secondsSince(object.metadata.creationTimestamp, now);
  if (graceSeconds === null || age === undefined || age <= graceSeconds) return { action: 'keep', state: 'pending' };
  return {
    action: 'delete',
    reason: 'orphaned-companion',
    message:
      owners.length > 0
        ? `its driver ${owners[0]!.kind === 'Pod' ? 'pod' : owners[0]!.kind} ${owners[0]!.name} is gone`
        : 'it has no driver pod (a launch that died half-way)',
    evidence: { since: object.metadata.creationTimestamp, ageSeconds: Math.round(age), thresholdSeconds: graceSeconds },
  };
}

export interface ApplicationView {
  readonly metadata: PodView['metadata'];
  readonly status?: {
    readonly applicationState?: { readonly state?: string; readonly errorMessage?: string };
    readonly lastSubmissionAttemptTime?: string;
    readonly terminationTime?: string;
    readonly driverInfo?: { readonly podName?: string };
  };
}

const APP_FINISHED: Record<string, string> = { COMPLETED: 'Succeeded', FAILED: 'Failed', SUBMISSION_FAILED: 'Failed' };
// UNKNOWN means the operator lost track of a driver, not that none was started: left alone.
const APP_WAITING = new Set(['', 'NEW', 'SUBMITTED', 'PENDING_RERUN']);

/**
 * A SparkApplication without a driver pod (the pod, when there is one, is judged by classifyDriver
 * and the sweeper deletes the application that owns it). The operator has no timeout for
 * SUBMITTED (its activeDeadlineSeconds change was never merged), so this is the one that applies.
 */
export function classifyApplication(app: ApplicationView, thresholds: Thresholds, now: Date): Verdict {
  if (app.metadata.deletionTimestamp) return { action: 'keep', state: 'terminating' };
  const state = app.status?.applicationState?.state ?? '';
  const finishedPhase = APP_FINISHED[state];
  const error = app.status?.applicationState?.errorMessage;
  const evidence = (since: string | undefined, age: number, threshold: number): Evidence => ({
    phase: state || 'NEW',
    ...(since ? { since } : {}),
    ageSeconds: Math.round(age),
    thresholdSeconds: threshold,
    ...(error ? { conditions: [`errorMessage: ${error.slice(0, 300)}`] } : {}),
  });
  const del = (
    reason: SweepReason,
    message: string,
    since: string | undefined,
    age: number,
    threshold: number,
    final?: FinalState,
  ): Verdict => ({
    action: 'delete',
    reason,
    message,
    evidence: evidence(since, age, threshold),
    ...(final ? { final } : {}),
  });

  if (finishedPhase) {
    const finishedAt = app.status?.terminationTime ?? app.status?.lastSubmissionAttemptTime ?? app.metadata.creationTimestamp;
    const final: FinalState = {
      phase: finishedPhase,
      ...(error ? { reason: error.slice(0, 300) } : state === 'SUBMISSION_FAILED' ? { reason: 'SubmissionFailed' } : {}),
      ...(finishedAt ? { finishedAt } : {}),
    };
    const retention = finishedPhase === 'Succeeded' ? thresholds.succeededRetentionSeconds : thresholds.failedRetentionSeconds;
    const age = secondsSince(finishedAt, now);
    if (age === undefined || age <= retention) return { action: 'keep', state: 'finished', final };
    return del(
      'finished-retention',
      `${state} ${Math.round(age)} s ago, past the ${retention} s retention`,
      finishedAt,
      age,
      retention,
      final,
    );
  }
  if (APP_WAITING.has(state)) {
    const since = app.status?.lastSubmissionAttemptTime ?? app.metadata.creationTimestamp;
    const age = secondsSince(since, now);
    const grace = graceOf(thresholds.grace, 'submission-stuck');
    if (grace !== undefined && age !== undefined && age > grace) {
      return del('submission-stuck', `the operator has not started a driver (state ${state || 'NEW'})`, since, age, grace);
    }
    return { action: 'keep', state: 'pending' };
  }
  if (state === 'RUNNING') {
    const deadline = annotatedDeadlineSeconds(app.metadata);
    const since = app.status?.lastSubmissionAttemptTime ?? app.metadata.creationTimestamp;
    const age = secondsSince(since, now);
    const deadlineGrace = graceOf(thresholds.grace, 'deadline-exceeded');
    const limit = deadline === undefined || deadlineGrace === undefined ? undefined : deadline + deadlineGrace;
    if (limit !== undefined && age !== undefined && age > limit)
      return del('deadline-exceeded', `running for ${Math.round(age)} s, past the job's deadline of ${deadline} s`, since, age, limit);
    return { action: 'keep', state: 'running' };
  }
  return { action: 'keep', state: 'unknown' };
}
