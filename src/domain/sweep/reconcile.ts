/**
 * The ledger against the cluster: a record that still says a job is on its way (launching,
 * launched, waiting) is brought to a final state when the cluster shows nothing of it and nothing
 * recorded how it ended. Pure: the sweeper gathers what it saw and applies the verdict.
 *
 *   launching / launched, its namespace listed, no driver (pod or SparkApplication) with its key,
 *   no step for lostGraceSeconds ──────────────────────────────────────────────► lost (driver gone)
 *   received / launching / retrying / queued / deferred, no step for staleRequestSeconds
 *   (past deferredUntil for a deferred one) ──────────────────────────────────► lost (never came back)
 *   anything else ───────────────────────────────────────────────────────────────► keep
 *
 * A pod deleted by a person, evicted and removed, or lost with its node leaves no trace but its
 * absence; the sweeper records a finish or a sweep whenever it saw one, so an absence after the
 * grace is the evidence.
 */
import type { LedgerRecord } from '../intake/ledgerRecord.js';
import type { Evidence } from './classifyDriver.js';
import { secondsSince } from './podView.js';

export interface ReconcilePolicy {
  /** How long a launched job's driver may be missing from the cluster before the job is lost. */
  readonly lostGraceSeconds: number;
  /** How long a request may go without a step (its message should have come back long before). */
  readonly staleRequestSeconds: number;
}

export interface ClusterFacts {
  /**
   * Whether a driver (pod or SparkApplication) carrying the record's key was seen: undefined when
   * the record's namespace was not listed in full this run, so nothing can be concluded.
   */
  readonly driverSeen: boolean | undefined;
}

export type Reconciliation =
  { readonly action: 'keep' } | { readonly action: 'lost'; readonly message: string; readonly evidence: Evidence };

const KEEP: Reconciliation = { action: 'keep' };

export function reconcileRecord(record: LedgerRecord, facts: ClusterFacts, policy: ReconcilePolicy, now: Date): Reconciliation {
  const quiet = secondsSince(record.updatedAt, now);
  if (quiet === undefined) return KEEP;
  const evidence = (threshold: number, since: string): Evidence => ({
    phase: record.state,
    since,
    ageSeconds: Math.round(quiet),
    thresholdSeconds: threshold,
  });

  if (
    (record.state === 'launched' || record.state === 'launching') &&
    record.namespace !== undefined &&
    facts.driverSeen === false &&
    quiet > policy.lostGraceSeconds
  ) {
    // A launching record's create may not have happened yet (its message is being retried): give
    // it the request's own budget before concluding anything.
    const threshold =
      record.state === 'launching' ? Math.max(policy.lostGraceSeconds, policy.staleRequestSeconds) : policy.lostGraceSeconds;
    if (quiet <= threshold) return KEEP;
    return {
      action: 'lost',
      message: `the driver ${record.namespace}/${record.driverPod ?? '?'} is gone and nothing recorded how it ended (deleted by hand, evicted and removed, or lost with its node): last step ${record.state} ${Math.round(quiet)} s ago`,
      evidence: evidence(threshold, record.updatedAt),
    };
  }

  if (['received', 'launching', 'retrying', 'queued', 'deferred'].includes(record.state) && facts.driverSeen !== true) {
    // A deferred job is expected back at deferredUntil; others at their next retry, well within the budget.
    const since =
      record.state === 'deferred' && record.deferredUntil !== undefined && record.deferredUntil > record.updatedAt
        ? record.deferredUntil
        : record.updatedAt;
    const waited = secondsSince(since, now) ?? quiet;
    if (waited > policy.staleRequestSeconds) {
      return {
        action: 'lost',
        message: `no step for ${Math.round(waited)} s after ${record.state}: the request never came back (its message should have been redelivered, retried or dead-lettered long before)`,
        evidence: { ...evidence(policy.staleRequestSeconds, since), ageSeconds: Math.round(waited) },
      };
    }
  }
  return KEEP;
}
