/**
 * A job's ledger record and the pure rules for adding to it. The adapter stores it as JSON in
 * Blob storage; these functions decide what the record says.
 */
import type { JobSource, ResolvedJob } from '../spec/resolveJob.js';

export const LEDGER_STATES = [
  /** The first step of earlier versions; written no more (`launching` took its place). */
  'received',
  /** Valid, claimed its key, about to create the driver: written before the create, so a redelivery adopts what it made. */
  'launching',
  'rejected',
  'deferred',
  'queued',
  'launched',
  'already-launched',
  'retrying',
  'dead-lettered',
  'swept',
  'finished',
  /** The ledger said launched (or waiting), and the cluster shows no driver and nothing says how it ended: the sweeper's reconciler decided, with evidence. */
  'lost',
  /** The sweeper in observe mode would have cleared the driver: a step of the history, never the record's state. */
  'would-clear',
] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

export interface LedgerEntry {
  readonly at: string;
  readonly state: LedgerState;
  readonly detail?: string;
  /** Ids that correlate this step with logs: message id, event id, invocation id, delivery count. */
  readonly ids?: Readonly<Record<string, string | number>>;
}

/**
 * A lifecycle event the record still owes the events topic: its publish failed when the step was
 * written. The next step, or the sweeper's reconciler, sends it and clears it (at least once).
 */
export interface OwedEvent {
  readonly type: string;
  readonly at: string;
  readonly detail?: string;
  readonly reasons?: readonly string[];
}

/**
 * A second driver for a job key, made by a copy of the request (see {@link DriverTaken}), that
 * the copy could not remove (the API server kept failing): the record keeps it until the
 * sweeper's reconciler has removed it, exactly this one by its uid.
 */
export interface StrayDriver {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly at: string;
}

export interface FinalState {
  readonly phase: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly finishedAt?: string;
  readonly durationSeconds?: number;
}

/** What is known about a job: where it runs, where it came from, why it was refused, how it ended. */
export interface JobFacts {
  /** The tenant the request came from (its queue or upload folder). */
  readonly tenant?: string;
  /**
   * sha256 of the request (its spec without the key): set when a valid request takes the key.
   * Another request for the same key must carry the same fingerprint, or it is refused as a
   * conflict and this record is left as it was.
   */
  readonly fingerprint?: string;
  /** For a refused request that took no key: the key it asked for. */
  readonly requestedKey?: string;
  /** The uid of the driver pod (or SparkApplication) the launch created: the sweeper's proof that a pod is this job's. */
  readonly driverUid?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly driverPod?: string;
  readonly backend?: string;
  readonly source?: JobSource;
  readonly reasons?: readonly string[];
  readonly deferredUntil?: string;
  /** The original request of a rejected job, cut to the configured size. */
  readonly payload?: string;
  readonly final?: FinalState;
  /** Lifecycle events not yet on the events topic (see OwedEvent). */
  readonly owed?: readonly OwedEvent[];
  /** Second drivers still to remove (see StrayDriver). */
  readonly strays?: readonly StrayDriver[];
}

export interface LedgerRecord extends JobFacts {
  readonly jobKey: string;
  readonly state: LedgerState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deferrals?: number;
  readonly payloadTruncated?: boolean;
  readonly history: readonly LedgerEntry[];
}

/** What one step adds to a record. */
export interface LedgerEvent extends Omit<JobFacts, 'owed' | 'strays'> {
  readonly state: LedgerState;
  readonly detail?: string;
  readonly ids?: Readonly<Record<string, string | number>>;
  /** An event this step owes (its publish failed): kept in `owed` until sent. */
  readonly owe?: OwedEvent;
  /** Owed events now sent (by type and time): removed from `owed`. */
  readonly paid?: readonly OwedEvent[];
  /** A second driver this step could not remove: kept in `strays` until it is gone. */
  readonly stray?: StrayDriver;
  /** Uids of stray drivers now gone: removed from `strays`. */
  readonly straysGone?: readonly string[];
}

/** Where a job runs, as its record says it: every step that knows the job writes these. */
export function placeOf(
  job: Pick<ResolvedJob, 'name' | 'namespace' | 'names' | 'backend'>,
): Pick<JobFacts, 'name' | 'namespace' | 'driverPod' | 'backend'> {
  return { name: job.name, namespace: job.namespace, driverPod: job.names.driverPod, backend: job.backend };
}

/** States from which a job still moves: the sweeper's reconciler looks at these. */
export const OPEN_STATES: ReadonlySet<LedgerState> = new Set<LedgerState>([
  'received',
  'launching',
  'launched',
  'retrying',
  'deferred',
  'queued',
]);

/** States after which a new delivery of the same job must not launch anything. */
export const SETTLED_STATES: ReadonlySet<LedgerState> = new Set<LedgerState>(['launched', 'swept', 'finished', 'rejected', 'lost']);

/** History kept per record; older steps are dropped, the first one (how it started) is always kept. */
export const MAX_HISTORY = 50;
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * States a later, weaker step must not overwrite. A redelivered message for a launched job adds
 * history ("already-launched") but the record keeps saying launched; a finished job stays finished.
 */
const RANK: Record<LedgerState, number> = {
  // The sweeper in observe mode: history only, the record keeps saying what it said.
  'would-clear': -1,
  received: 0,
  launching: 0,
  retrying: 1,
  deferred: 2,
  queued: 2,
  'dead-lettered': 3,
  rejected: 4,
  'already-launched': 5,
  launched: 5,
  // A driver found gone without a trace; a finish or sweep seen later still wins.
  lost: 5,
  swept: 6,
  finished: 7,
};

/** A request asked for a key that a different request already holds: nothing was written. */
export class KeyTaken extends Error {
  override readonly name = 'KeyTaken';
  constructor(
    readonly jobKey: string,
    readonly holder: LedgerRecord,
  ) {
    super(
      `job key ${JSON.stringify(jobKey)} is already taken by a different request (${holder.name ?? 'a job'}${holder.namespace ? ` in ${holder.namespace}` : ''}, ${holder.state} since ${holder.createdAt}): the same key with a different spec is refused; give this job a key of its own`,
    );
  }
}

/**
 * A launch created a driver for a key whose record already names a different one: a copy of the
 * request read the claim while the first was still launching, and the first's driver was gone
 * (finished and cleared) by the time the copy created its own, so the name was free again.
 * Nothing was written; the caller withdraws the driver it made. One driver per job key.
 */
export class DriverTaken extends Error {
  override readonly name = 'DriverTaken';
  constructor(
    readonly jobKey: string,
    readonly holder: LedgerRecord,
    readonly driverUid: string,
  ) {
    super(
      `job key ${JSON.stringify(jobKey)} was launched already (driver uid ${holder.driverUid ?? '?'}, ${holder.state}); the driver this request created (uid ${driverUid}) is a second one`,
    );
  }
}

/**
 * One step added to a record. A step that carries a fingerprint claims the key: it throws
 * {@link KeyTaken} when the record already belongs to a request with another fingerprint (pure:
 * the ledger's conditional update re-runs it on the current version, so two racing requests for
 * one key cannot both take it).
 */
export function recordStep(
  current: LedgerRecord | undefined,
  jobKey: string,
  event: LedgerEvent,
  now: Date,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): LedgerRecord {
  if (event.fingerprint !== undefined && current?.fingerprint !== undefined && current.fingerprint !== event.fingerprint)
    throw new KeyTaken(jobKey, current);
  // A newly created driver is recorded only where no other driver was: checked on the version the
  // conditional update writes over, so of two racing launches exactly one records its driver.
  if (
    event.state === 'launched' &&
    event.driverUid !== undefined &&
    current?.driverUid !== undefined &&
    current.driverUid !== event.driverUid
  )
    throw new DriverTaken(jobKey, current, event.driverUid);
  const at = now.toISOString();
  const entry: LedgerEntry = {
    at,
    state: event.state,
    ...(event.detail ? { detail: event.detail } : {}),
    ...(event.ids ? { ids: event.ids } : {}),
  };
  const previous = current?.history ?? [];
  const history =
    previous.length >= MAX_HISTORY ? [previous[0]!, ...previous.slice(previous.length - MAX_HISTORY + 2), entry] : [...previous, entry];
  // "already-launched" is a step (a redelivery found the driver), never a state: the job is launched.
  const incoming: LedgerState = event.state === 'already-launched' ? 'launched' : event.state;
  const keepState = current !== undefined && RANK[current.state] > RANK[incoming];
  const state: LedgerState = keepState ? current.state : incoming;
  const payload = event.payload === undefined ? undefined : capText(event.payload, maxPayloadBytes);

  const { owed: _owed, strays: _strays, ...kept } = current ?? { owed: undefined, strays: undefined };
  return {
    ...kept,
    jobKey,
    state,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    ...(event.tenant !== undefined ? { tenant: event.tenant } : {}),
    ...(event.fingerprint !== undefined ? { fingerprint: event.fingerprint } : {}),
    ...(event.requestedKey !== undefined ? { requestedKey: event.requestedKey } : {}),
    // The first driver recorded stays the job's: an adopted one with another uid is a copy's second
    // driver, on its way out (DriverTaken), not the job's.
    ...(event.driverUid !== undefined && current?.driverUid === undefined ? { driverUid: event.driverUid } : {}),
    ...(event.name !== undefined ? { name: event.name } : {}),
    ...(event.namespace !== undefined ? { namespace: event.namespace } : {}),
    ...(event.driverPod !== undefined ? { driverPod: event.driverPod } : {}),
    ...(event.backend !== undefined ? { backend: event.backend } : {}),
    ...(event.source !== undefined && current?.source === undefined ? { source: event.source } : {}),
    ...(event.reasons !== undefined ? { reasons: event.reasons } : {}),
    ...(event.state === 'deferred' ? { deferrals: (current?.deferrals ?? 0) + 1, deferredUntil: event.deferredUntil } : {}),
    ...(payload !== undefined ? { payload: payload.text, payloadTruncated: payload.truncated } : {}),
    ...(event.final !== undefined ? { final: event.final } : {}),
    ...owedAfter(current?.owed, event),
    ...straysAfter(current?.strays, event),
    history,
  };
}

const sameEvent = (a: OwedEvent, b: OwedEvent): boolean => a.type === b.type && a.at === b.at;

/** The owed events after a step: the paid ones removed, the new one added; no field when none is owed. */
function owedAfter(owed: readonly OwedEvent[] | undefined, event: LedgerEvent): { owed?: readonly OwedEvent[] } {
  let next = (owed ?? []).filter((o) => !(event.paid ?? []).some((p) => sameEvent(o, p)));
  if (event.owe !== undefined && !next.some((o) => sameEvent(o, event.owe!))) next = [...next, event.owe];
  return next.length > 0 ? { owed: next } : {};
}

/** The stray drivers after a step: the gone ones removed, the new one added; no field when none is left. */
function straysAfter(strays: readonly StrayDriver[] | undefined, event: LedgerEvent): { strays?: readonly StrayDriver[] } {
  let next = (strays ?? []).filter((s) => !(event.straysGone ?? []).includes(s.uid));
  if (event.stray !== undefined && !next.some((s) => s.uid === event.stray!.uid)) next = [...next, event.stray];
  return next.length > 0 ? { strays: next } : {};
}

/** The record once `paid` owed events are on the topic: not a step of the job, so nothing else changes. */
export function withPaid(record: LedgerRecord, paid: readonly OwedEvent[]): LedgerRecord {
  const { owed: _owed, ...rest } = record;
  return { ...rest, ...owedAfter(record.owed, { state: record.state, paid }) };
}

function capText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  // Cut on a character boundary: decode the prefix and drop a trailing partial character.
  return {
    text: bytes
      .subarray(0, maxBytes)
      .toString('utf8')
      .replace(/\uFFFD$/, ''),
    truncated: true,
  };
}
