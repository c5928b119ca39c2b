/**
 * The one intake pipeline: every source of job requests (Service Bus job messages, storage
 * events) turns its raw input into an {@link IntakeRequest} in a file of its own
 * (handleJobMessage.ts, handleStorageEvents.ts) and runs it here, with an {@link IntakePolicy}
 * that says what differs between sources: what counts as handled, what a deferral does, what an
 * infrastructure error does.
 *
 *   source file: raw input ─► request (tenant, job key, source, ids; how to build the spec)
 *        │
 *   policy.checkHandledFirst? ledger says handled (policy.handled) ──────────► duplicate
 *   build the spec ─ ignored ─────────────────────────────────────────────────► ignored
 *        │         └ refused ─┐
 *   prepare (schema + the tenant's policy) ─ refused ─┴► refuse: ledger "rejected" under
 *        │                                               request.refusalKey (or the job key)
 *   key held by a different request? ─► policy.conflict: refuse, or duplicate
 *   handled already (policy.handled)? ─► duplicate (policy.noteRepeat: a step in its history;
 *        │      a second driver left under the job's name, with another uid, is removed)
 *        │ claim the key: ledger "launching", written ahead of the create
 *   request.beforeLaunch (stage an inline script) ─ problem ─► reject: ledger "rejected" on the key
 *   launch ─ launched / already-launched ─► ledger ─────────────────────────────► launched
 *          │   └ the record names another driver already (DriverTaken: a copy's second driver,
 *          │     made after the first was gone) ─► remove ours by uid ─────────────► duplicate
 *          │     (removal refused: the record keeps it as a stray; the sweeper removes it)
 *          ├ rejected ─► reject
 *          └ deferred (cluster full) ─► policy.defer: a scheduled copy, or the job queue
 *   a DispatchError at a step ─► policy.outage(error, step): a scheduled retry, the job queue,
 *                                 or a throw (the source's transport delivers it again)
 *
 * Nothing is dropped silently: every path ends in a ledger record, a durable message, or a throw.
 */
import { DriverTaken, KeyTaken, placeOf, type LedgerEvent, type LedgerRecord, type StrayDriver } from '../domain/intake/ledgerRecord.js';
import { ANNOTATIONS } from '../domain/render/naming.js';
import { prepareJob } from '../domain/spec/prepareJob.js';
import { problemToString } from '../domain/spec/problem.js';
import type { JobSource, ResolvedJob } from '../domain/spec/resolveJob.js';
import { requestFingerprint } from '../domain/tenant/jobIdentity.js';
import { isDispatchError, type DispatchError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { IntakeDeps } from './intakeDeps.js';
import { record, recordFirst } from './jobLedger.js';
import { describeRef, type ClusterPort, type ObjectRef } from './clusterPort.js';
import { launchJob } from './launchJob.js';
import { withRetry } from '../shared/withRetry.js';
import type { LaunchOutcome } from './launchOutcome.js';

/** A job spec as a source builds it (before prepareJob), or why there is none. */
export type BuiltSpec =
  | { readonly kind: 'spec'; readonly spec: Record<string, unknown> }
  /** The request cannot be a job: recorded as rejected. */
  | { readonly kind: 'refused'; readonly reasons: readonly string[] }
  /** Nothing to do (a superseded upload, a file gone): logged, not recorded. */
  | { readonly kind: 'ignored'; readonly reason: string };

/** One job request, as a source file makes it from its raw input. */
export interface IntakeRequest {
  readonly tenant: string;
  /** The key the job is known by: `<tenant>/<requested>`. */
  readonly jobKey: string;
  /** The key as asked for, without the tenant: the fallback of a spec without one. */
  readonly requested: string;
  readonly source: JobSource;
  /** Ids that correlate the ledger steps with logs (message id, event id, invocation id). */
  readonly ids: Readonly<Record<string, string | number>>;
  /** Already carries the job key and the ids. */
  readonly log: Logger;
  /**
   * Where a request refused before it holds its key is recorded, when it must not be its job key:
   * a key the request chose may be another request's (job messages). Unset: the job key (a key
   * derived from the event, which no other request can ask for).
   */
  readonly refusalKey?: string | undefined;
  /** The claim's detail in the ledger: the template, rule or upload it came from. */
  readonly claimDetail?: string | undefined;
  /** The launched step lists the objects the launch created (job messages); otherwise the step stands alone (storage events). */
  readonly listCreated?: boolean;
  /** The spec; it may read storage (a job file beside an upload). */
  build(): Promise<BuiltSpec> | BuiltSpec;
  /** What the ledger keeps of a refused request (cut to settings.ledger.maxPayloadBytes by the record). */
  payload(spec: Record<string, unknown> | undefined): string;
  /** After the claim, before the launch (staging an inline script): a problem rejects the job. */
  beforeLaunch?(job: ResolvedJob): Promise<string | undefined>;
}

/** Where the pipeline was when an infrastructure error came: the policy may treat them apart. */
export type IntakeStep =
  /** Reading the ledger, building, refusing, claiming, staging: the request is not launched. */
  | 'intake'
  /** Creating the driver and recording what the cluster answered. */
  | 'launch'
  /** Carrying out policy.defer. */
  | 'defer';

/** A prepared job and what the policy needs to carry it on (or refuse it on its key). */
export interface Prepared<Out> {
  readonly job: ResolvedJob;
  readonly spec: Record<string, unknown>;
  /** Records the job rejected on its own key (it holds the key). */
  readonly reject: (reasons: readonly string[]) => Promise<Out>;
}

export interface IntakePolicy<Own> {
  /** Ledger states in which a request for the key counts as handled already: a repeat does nothing more. */
  readonly handled: ReadonlySet<string>;
  /**
   * Whether the ledger is read before the spec is built: a repeat is then known before building
   * reads anything (a storage event's job file). Otherwise it is read after prepare, so an
   * unreadable request or one for a key another request holds is refused as such (job messages).
   */
  readonly checkHandledFirst: boolean;
  /** A repeat of a handled request adds a step to the record ("delivered again"), or nothing. */
  readonly noteRepeat: boolean;
  /** A request for a key a different request holds: refused (on request.refusalKey), or a duplicate (nothing recorded). */
  readonly conflict: 'refuse' | 'duplicate';
  /** The cluster is full: what waits for room (a scheduled copy of the message, the job queue). */
  defer(prepared: Prepared<IntakeOutcome<Own>>, reason: string): Promise<IntakeOutcome<Own>>;
  /**
   * An infrastructure error (a DispatchError) at `step`: an outcome (a scheduled retry, the job
   * queue), or a throw, so the source's transport delivers the request again.
   */
  outage(error: DispatchError, step: IntakeStep, prepared: Prepared<IntakeOutcome<Own>> | undefined): Promise<IntakeOutcome<Own>>;
}

/** How a request ended, with the outcomes its policy adds (`Own`). */
export type IntakeOutcome<Own = never> =
  | { readonly kind: 'launched' | 'already-launched'; readonly jobKey: string; readonly outcome: LaunchOutcome }
  | { readonly kind: 'duplicate'; readonly jobKey: string; readonly state: string; readonly reason: string }
  /** `jobKey`: where the refusal is recorded (the job key, or the request's refusal key). */
  | { readonly kind: 'rejected'; readonly jobKey: string; readonly reasons: readonly string[] }
  | { readonly kind: 'ignored'; readonly jobKey: string; readonly reason: string }
  | Own;

export async function intake<Own>(request: IntakeRequest, policy: IntakePolicy<Own>, deps: IntakeDeps): Promise<IntakeOutcome<Own>> {
  type Out = IntakeOutcome<Own>;
  const { tenant, jobKey, source, ids, log } = request;
  let step: IntakeStep = 'intake';
  let prepared: Prepared<Out> | undefined;

  /** Refused before it holds the key: recorded where the request says, so the key stays free (or its holder's, untouched). */
  const refuse = async (reasons: readonly string[], spec?: Record<string, unknown>, job?: ResolvedJob): Promise<Out> => {
    const key = request.refusalKey ?? jobKey;
    const requestedKey = request.refusalKey !== undefined ? { requestedKey: jobKey } : {};
    await record(deps, key, {
      state: 'rejected',
      tenant,
      ...requestedKey,
      reasons,
      payload: request.payload(spec),
      source,
      ids,
      ...(job ? placeOf(job) : {}),
    });
    log.warn('rejected', { reasons, ...(key !== jobKey ? { recordedAs: key } : {}) });
    return { kind: 'rejected', jobKey: key, reasons };
  };
  const duplicate = (existing: LedgerRecord, reason = `already ${existing.state}`): Out => {
    log.info('already handled: nothing to do', { state: existing.state });
    return { kind: 'duplicate', jobKey, state: existing.state, reason };
  };
  /**
   * Our launch made a second driver for a key launched before (DriverTaken): remove it, exactly
   * ours by its uid (its ConfigMap and Service go with it), and record that it happened. The
   * `launched` event, published before the refused write, has the first one's message id (one per
   * job and type): the topic's duplicate detection drops it. When the API server refuses the
   * removal even after retries, the record keeps the driver as a stray: a retried message would
   * find the job launched and never look again, so the sweeper's reconciler removes it.
   */
  const withdraw = async (taken: DriverTaken, driver: ObjectRef, cluster: ClusterPort): Promise<Out> => {
    const second = `${describeRef(driver)} (uid ${taken.driverUid})`;
    const made = `a copy of this request created a second driver, ${second}, after the key's driver (uid ${taken.holder.driverUid ?? '?'}) was gone`;
    try {
      await withRetry(() => cluster.remove(driver, { uid: taken.driverUid }), deps.settings.kubernetes.retry);
    } catch (error) {
      if (!isDispatchError(error)) throw error;
      const detail = `${made}; removing it failed (${error.message}): the sweeper removes it: one driver per job key`;
      const stray: StrayDriver = { ...driver, uid: taken.driverUid, at: deps.now().toISOString() };
      await record(deps, jobKey, { state: 'already-launched', detail, ids, stray });
      log.error('second driver left for the sweeper', { driver: describeRef(driver), driverUid: taken.driverUid, error: error.message });
      return duplicate(taken.holder, detail);
    }
    const detail = `${made}; it was withdrawn: one driver per job key`;
    await record(deps, jobKey, { state: 'already-launched', detail, ids });
    log.warn('second driver withdrawn', { driver: describeRef(driver), driverUid: taken.driverUid });
    return duplicate(taken.holder, detail);
  };
  /**
   * A repeat of a job launched before: a copy that made a second driver (see withdraw) may have
   * died before withdrawing it, or failed to record it as a stray. The record names the job's
   * driver; a native pod under the job's name, with this key and another uid, is that second one,
   * removed by its uid. Best effort: a repeat is settled as a duplicate whatever the API server says.
   */
  const removeLeftover = async (holder: LedgerRecord, job: ResolvedJob): Promise<string | undefined> => {
    if (job.backend !== 'native' || holder.driverUid === undefined) return undefined;
    const ref: ObjectRef = { apiVersion: 'v1', kind: 'Pod', namespace: job.namespace, name: job.names.driverPod };
    try {
      const cluster = await deps.cluster();
      const found = await withRetry(() => cluster.read(ref), deps.settings.kubernetes.retry);
      const uid = found?.metadata.uid;
      if (!found || uid === holder.driverUid || found.metadata.deletionTimestamp) return undefined;
      if (found.metadata.annotations?.[ANNOTATIONS.jobKey] !== jobKey) return undefined;
      await withRetry(() => cluster.remove(ref, { uid }), deps.settings.kubernetes.retry);
      log.warn('second driver removed', { driver: describeRef(ref), driverUid: uid });
      return `delivered again: ${describeRef(ref)} (uid ${uid}) was a second driver, not the key's (uid ${holder.driverUid}); it was removed: one driver per job key`;
    } catch (error) {
      if (!isDispatchError(error)) throw error;
      log.warn('a second driver could not be looked for', { driver: describeRef(ref), error: error.message });
      return undefined;
    }
  };
  const conflict = (taken: KeyTaken, spec: Record<string, unknown>, job: ResolvedJob): Promise<Out> | Out =>
    policy.conflict === 'refuse' ? refuse([taken.message], spec, job) : duplicate(taken.holder, taken.message);

  try {
    let existing = policy.checkHandledFirst ? await deps.ledger.get(jobKey) : undefined;
    if (existing && policy.handled.has(existing.state)) return duplicate(existing);

    const built = await request.build();
    if (built.kind === 'ignored') {
      log.info('ignored', { reason: built.reason });
      return { kind: 'ignored', jobKey, reason: built.reason };
    }
    if (built.kind === 'refused') return await refuse(built.reasons);
    const { spec } = built;
    const ready = prepareJob(spec, deps.settings, { tenant, source, fallbackJobKey: request.requested });
    if (!ready.ok) return await refuse(ready.problems.map(problemToString), spec);
    const job = ready.value;
    const fingerprint = requestFingerprint(tenant, spec);

    const claim: LedgerEvent = {
      state: 'launching',
      tenant,
      fingerprint,
      source,
      ids,
      ...placeOf(job),
      ...(request.claimDetail ? { detail: request.claimDetail } : {}),
    };
    // Not read yet: claim the key with one conditional create, and read only when it is taken
    // (then the checks below decide from what holds it, as if it had been read first).
    let claimed = false;
    if (!policy.checkHandledFirst) {
      existing = await recordFirst(deps, jobKey, claim);
      claimed = existing === undefined;
    }
    if (existing?.fingerprint !== undefined && existing.fingerprint !== fingerprint)
      return await conflict(new KeyTaken(jobKey, existing), spec, job);
    if (existing && policy.handled.has(existing.state)) {
      const leftover = await removeLeftover(existing, job);
      if (policy.noteRepeat || leftover !== undefined)
        await record(deps, jobKey, {
          state: existing.state === 'rejected' ? 'rejected' : 'already-launched',
          detail: leftover ?? `delivered again; the job is already ${existing.state}`,
          ids,
        });
      return duplicate(existing);
    }

    const reject = async (reasons: readonly string[]): Promise<Out> => {
      await record(deps, jobKey, { state: 'rejected', tenant, reasons, payload: request.payload(spec), source, ids, ...placeOf(job) });
      log.warn('rejected', { reasons });
      return { kind: 'rejected', jobKey, reasons };
    };
    prepared = { job, spec, reject };
    // The claim, written ahead of the create: a redelivery (or a copy) of a claimed request adopts
    // what the launch made, and the sweeper can tell a driver that vanished from one never made.
    if (!claimed && existing?.fingerprint !== fingerprint) {
      try {
        await record(deps, jobKey, claim);
      } catch (error) {
        // Another request took the key between our read and our write.
        if (error instanceof KeyTaken) return await conflict(error, spec, job);
        throw error;
      }
    }
    const problem = request.beforeLaunch ? await request.beforeLaunch(job) : undefined;
    if (problem) return await reject([problem]);

    step = 'launch';
    const cluster = await deps.cluster();
    const outcome = await launchJob(job, cluster, { retry: deps.settings.kubernetes.retry });
    switch (outcome.kind) {
      case 'launched':
      case 'already-launched':
        try {
          await record(deps, jobKey, {
            state: outcome.kind,
            ...placeOf(job),
            driverUid: outcome.driverUid,
            ids,
            detail:
              request.listCreated && outcome.created.length > 0
                ? `created ${outcome.created.map((r) => `${r.kind}/${r.name}`).join(', ')}`
                : undefined,
          });
        } catch (error) {
          if (error instanceof DriverTaken && outcome.kind === 'launched') return await withdraw(error, outcome.driver, cluster);
          throw error;
        }
        log.info(outcome.kind, { namespace: job.namespace, driverPod: job.names.driverPod });
        return { kind: outcome.kind, jobKey, outcome };
      case 'rejected':
        return await reject(outcome.reasons);
      case 'deferred':
        step = 'defer';
        return await policy.defer(prepared, outcome.reason);
    }
  } catch (error) {
    if (!isDispatchError(error)) throw error;
    return await policy.outage(error, step, prepared);
  }
}
