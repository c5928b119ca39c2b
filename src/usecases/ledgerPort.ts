/**
 * The job ledger: one record per job key with its history, so that every request ends somewhere
 * a person (`spark-dispatch status`) or an orchestrator can see: launched, deferred or rejected.
 */
import type { LedgerRecord } from '../domain/intake/ledgerRecord.js';

export interface LedgerPort {
  get(jobKey: string): Promise<LedgerRecord | undefined>;
  /**
   * Applies `change` to the current record (undefined when there is none) and stores the result
   * conditionally on the version read (ETag), re-reading and re-applying on a concurrent update,
   * so no update is ever lost. `change` must be pure: it may run more than once.
   */
  update(jobKey: string, change: (current: LedgerRecord | undefined) => LedgerRecord): Promise<LedgerRecord>;
  /**
   * Stores `first` as the record of a key that has none (a conditional create) and returns
   * undefined; when the key has a record, stores nothing and returns that record. A job's first
   * step costs one write and no read: the read happens only when the key is taken.
   */
  create(jobKey: string, first: LedgerRecord): Promise<LedgerRecord | undefined>;
  /** The records whose job id (see naming.jobId) starts with `prefix` (8 to 40 hex): usually one. */
  byId(prefix: string): Promise<LedgerRecord[]>;
  /** The most recently updated records, newest first. */
  latest(limit: number): Promise<LedgerRecord[]>;
  /**
   * Records whose job may still move (OPEN_STATES), or that owe lifecycle events or the removal
   * of a second driver, last updated before `before`, oldest first, at most `limit`: what the
   * sweeper's reconciler looks at. Read from the listing's metadata, so finished records cost
   * nothing but their listing entry.
   */
  open(before: Date, limit: number): Promise<LedgerRecord[]>;
  /** Saves a driver log tail next to the record (the sweeper does this before deleting a pod). */
  saveLog(jobKey: string, text: string): Promise<void>;
  readLog(jobKey: string): Promise<string | undefined>;
}
