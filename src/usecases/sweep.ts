/**
 * One sweep over the allowed namespaces: find what spark-dispatch launched (its labels, never
 * anything else), judge it with the pure classifiers, record how finished jobs ended, and clear
 * stalled drivers, leftovers and long-finished pods, at most `maxDeletionsPerRun` per run.
 *
 * Clearing a driver: save the tail of its log next to its ledger record, delete the pod with a
 * uid precondition (its executors, ConfigMap and Service go with it by garbage collection), then
 * record the reason and the evidence in the ledger and publish a "swept" event. A pod already gone
 * is not an error, and a late or overlapping run does no harm: every step tolerates "already done".
 *
 * A driver the pod alone cannot condemn is a suspect: its log tail or its Events are read (at most
 * `maxEvidenceReadsPerRun` per run; the rest wait for the next run), then judged. With
 * `sweeper.mode: observe` nothing is cleared: each verdict is recorded as `would-clear` (ledger
 * history, once per driver and reason; a log line; a metric) and reported.
 */
import {
  classifyDriver,
  decideSuspect,
  SWEEP_REASONS,
  type Evidence,
  type SweepReason,
  type Suspect,
  type Verdict,
} from '../domain/sweep/classifyDriver.js';
import { classifyApplication, classifyCompanion, type ApplicationView } from '../domain/sweep/classifyLeftovers.js';
import { reconcileRecord } from '../domain/sweep/reconcile.js';
import type { FinalState, LedgerRecord } from '../domain/intake/ledgerRecord.js';
import { allNamespaces, namespaceOwner } from '../domain/tenant/tenancy.js';
import { ANNOTATIONS, LABELS, MANAGER } from '../domain/render/naming.js';
import { executorView, type PodView } from '../domain/sweep/podView.js';
import { SPARK_APPLICATION_API } from '../domain/render/renderOperator.js';
import { isDispatchError } from '../shared/errors.js';
import { withRetry, type RetryPolicy } from '../shared/withRetry.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { ClusterPort, ObjectRef, StoredObject } from './clusterPort.js';
import { describeRef } from './clusterPort.js';
import type { FinalsRecorded } from './finalsRecorded.js';
import { listAll, pagesOf } from './listPages.js';
import { EVIDENCE_CONCURRENCY, gatherEvidence, mapConcurrently } from './sweepEvidence.js';
import { payOwed, record } from './jobLedger.js';
import type { LedgerPort } from './ledgerPort.js';
import type { Logger } from '../shared/logger.js';
import type { EventsPort } from './queuePort.js';
import { telemetry } from '../shared/telemetry.js';
import { tenantOfKey } from '../domain/tenant/jobIdentity.js';

export interface SweepDeps {
  readonly settings: Settings;
  readonly cluster: ClusterPort;
  /** Without a ledger (a CLI run with no storage), outcomes and logs are reported but not recorded. */
  readonly ledger?: LedgerPort | undefined;
  readonly events: EventsPort;
  readonly now: () => Date;
  readonly log: Logger;
  /**
   * Job keys whose final state is known to be in the ledger, kept across runs by the process: a
   * finished driver stays for its retention (a day for a failed one) and every run sees it again,
   * which would otherwise cost a ledger read per finished driver per run.
   */
  readonly finalsRecorded?: FinalsRecorded;
}

export interface SweepOptions {
  readonly dryRun?: boolean;
}

export interface SweepAction {
  /** remove-second-driver: a copy's second driver that the intake could not remove (the record's strays). */
  readonly kind: 'delete' | 'record-final' | 'record-lost' | 'remove-second-driver';
  readonly target: ObjectRef;
  readonly jobKey?: string;
  readonly reason?: SweepReason;
  readonly message?: string;
  readonly evidence?: Evidence;
  readonly final?: FinalState;
  /** false in a dry run, in observe mode, when the deletion cap was reached, or when it failed. */
  readonly done: boolean;
  /** Observe mode: recorded as would-clear instead of cleared. */
  readonly observed?: boolean;
  readonly logSaved?: boolean;
  readonly error?: string;
}

export interface SweepReport {
  readonly dryRun: boolean;
  /** settings.sweeper.mode: in observe mode `cleared` stays empty and `wouldClear` says what a delete run would have cleared. */
  readonly mode: 'delete' | 'observe';
  readonly namespaces: readonly string[];
  readonly examined: number;
  readonly healthy: number;
  readonly finishedRecorded: number;
  /** Open ledger records the reconciler looked at, and those it found lost (would find, in a dry run). */
  readonly reconciled: number;
  readonly lost: number;
  /** Lifecycle events the ledger owed that reached the topic this run. */
  readonly eventsPaid: number;
  readonly cleared: Readonly<Record<SweepReason, number>>;
  readonly wouldClear: Readonly<Record<SweepReason, number>>;
  /** Drivers whose log or events were read for their verdict, and suspects left for the next run (the read budget was spent). */
  readonly evidenceRead: number;
  readonly deferred: number;
  readonly capReached: boolean;
  readonly actions: readonly SweepAction[];
  readonly errors: readonly string[];
}

const MANAGED = `${LABELS.managedBy}=${MANAGER}`;

/** What a driver (pod or SparkApplication) says about its job, checked against the ledger before anything is written. */
interface JobRef {
  readonly jobKey: string;
  readonly namespace: string;
  readonly driverPod: string | undefined;
  readonly uid: string | undefined;
}

export async function sweep(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const { settings, cluster } = deps;
  const thresholds = settings.sweeper;
  const now = deps.now();
  const dryRun = options.dryRun === true;
  const namespaces = allNamespaces(settings);
  const cleared = Object.fromEntries(SWEEP_REASONS.map((r) => [r, 0])) as Record<SweepReason, number>;
  const wouldClear = Object.fromEntries(SWEEP_REASONS.map((r) => [r, 0])) as Record<SweepReason, number>;
  const observe = thresholds.mode === 'observe';
  let evidenceRead = 0;
  let deferred = 0;
  const actions: SweepAction[] = [];
  const errors: string[] = [];
  let examined = 0;
  let healthy = 0;
  let finishedRecorded = 0;
  // What the reconciler needs from the namespace loop: the job keys of the drivers seen, in the
  // namespaces listed in full (a namespace whose lists failed proves no absence).
  const seenKeys = new Set<string>();
  const listedNamespaces = new Set<string>();
  let deletions = 0;
  let capReached = false;
  const retry = settings.kubernetes.retry;

  /** Takes one of the run's deletions; false once `maxDeletionsPerRun` is spent (the report says so, the next run continues). */
  const takeDeletion = (): boolean => {
    if (deletions >= thresholds.maxDeletionsPerRun) {
      capReached = true;
      return false;
    }
    deletions++;
    return true;
  };
  const capSpent = (what: string) => `not ${what}: the cap of ${thresholds.maxDeletionsPerRun} deletions per run was reached`;

  /** Deletes (or, in a dry run, would delete) one object for one verdict; respects the cap. */
  const clear = async (
    target: ObjectRef,
    uid: string | undefined,
    verdict: Extract<Verdict, { action: 'delete' }>,
    job: JobRef | undefined,
    logFrom?: ObjectRef,
  ): Promise<void> => {
    const jobKey = job?.jobKey;
    const base = {
      kind: 'delete' as const,
      target,
      reason: verdict.reason,
      message: verdict.message,
      evidence: verdict.evidence,
      ...(jobKey ? { jobKey } : {}),
      ...(verdict.final ? { final: verdict.final } : {}),
    };
    if (observe && !dryRun) {
      // Nothing is deleted, so the cap holds nothing back: every verdict is recorded, and the
      // report says where a delete run would have stopped.
      takeDeletion();
      wouldClear[verdict.reason]++;
      await observeClear(target, verdict, job);
      actions.push({ ...base, done: false, observed: true });
      return;
    }
    if (!takeDeletion()) {
      actions.push({ ...base, done: false, error: capSpent('cleared') });
      return;
    }
    if (dryRun) {
      if (observe) wouldClear[verdict.reason]++;
      else cleared[verdict.reason]++; // would clear
      actions.push({ ...base, done: false });
      return;
    }
    const log = deps.log.with({ ...(jobKey ? { jobKey } : {}), target: describeRef(target), reason: verdict.reason });
    try {
      let logSaved = false;
      // Only the driver the record names may write to it (its log, its end): a pod that merely
      // carries a job key proves nothing.
      const recordable = job !== undefined && deps.ledger !== undefined && (await mayRecord(job));
      if (logFrom && jobKey && recordable) logSaved = await saveLogTail(logFrom, jobKey, verdict);
      // With the uid precondition, a name that now holds a newer object counts as gone: this verdict is not about it.
      const removed = await withRetry(() => cluster.remove(target, uid ? { uid } : {}), retry);
      if (jobKey && deps.ledger && recordable) {
        await record({ ...deps, ledger: deps.ledger }, jobKey, {
          state: 'swept',
          detail: `${verdict.reason}: ${verdict.message}${removed ? '' : ' (it was already gone)'} | evidence ${JSON.stringify(verdict.evidence)}`,
          reasons: [`${verdict.reason}: ${verdict.message}`],
          ...(verdict.final ? { final: verdict.final } : {}),
          ...located(job),
        });
      }
      log.info(removed ? 'cleared' : 'already gone', { message: verdict.message });
      // Counted once done: a deletion that failed is an error, not a cleared job.
      cleared[verdict.reason]++;
      telemetry.cleared(verdict.reason, target.namespace);
      actions.push({ ...base, done: true, logSaved });
    } catch (error) {
      const message = `${describeRef(target)}: ${error instanceof Error ? error.message : String(error)}`;
      errors.push(message);
      log.error('could not clear', { error: message });
      actions.push({ ...base, done: false, error: message });
    }
  };

  /**
   * The second drivers a record keeps (strays): a copy of the request made one and the API server
   * refused its removal. The record is the evidence, and the uid precondition removes exactly the
   * driver it names, never the job's own; once gone, the record lets them go.
   */
  const removeStrays = async (rec: LedgerRecord, ledger: LedgerPort): Promise<void> => {
    const gone: string[] = [];
    for (const stray of rec.strays ?? []) {
      const target: ObjectRef = { apiVersion: stray.apiVersion, kind: stray.kind, namespace: stray.namespace, name: stray.name };
      const message = `a second driver of the job (uid ${stray.uid}, made by a copy of its request at ${stray.at}), not the one its record names (uid ${rec.driverUid ?? '?'})`;
      const base = { kind: 'remove-second-driver' as const, target, jobKey: rec.jobKey, message };
      // A deletion like any other: within the run's cap.
      if (!takeDeletion()) {
        actions.push({ ...base, done: false, error: capSpent('removed') });
        continue;
      }
      if (dryRun || observe) {
        actions.push({ ...base, done: false, ...(observe && !dryRun ? { observed: true } : {}) });
        continue;
      }
      try {
        const removed = await withRetry(() => cluster.remove(target, { uid: stray.uid }), retry);
        gone.push(stray.uid);
        actions.push({ ...base, message: removed ? message : `${message}: it was already gone`, done: true });
        deps.log.warn(removed ? 'second driver removed' : 'second driver already gone', {
          jobKey: rec.jobKey,
          target: describeRef(target),
          uid: stray.uid,
        });
      } catch (error) {
        const text = `${describeRef(target)}: ${error instanceof Error ? error.message : String(error)}`;
        errors.push(text);
        actions.push({ ...base, done: false, error: text });
      }
    }
    if (gone.length === 0) return;
    await record({ ...deps, ledger }, rec.jobKey, {
      state: 'already-launched',
      detail: `the sweeper removed the second driver${gone.length > 1 ? 's' : ''} with uid ${gone.join(', ')}: one driver per job key`,
      straysGone: gone,
    });
  };

  /** Observe mode: a log line every run; a would-clear ledger entry and the metric once per driver and reason. */
  const observeClear = async (
    target: ObjectRef,
    verdict: Extract<Verdict, { action: 'delete' }>,
    job: JobRef | undefined,
  ): Promise<void> => {
    const jobKey = job?.jobKey;
    deps.log
      .with({ ...(jobKey ? { jobKey } : {}), target: describeRef(target), reason: verdict.reason })
      .warn('would clear (observe mode)', { why: verdict.message, evidence: JSON.stringify(verdict.evidence) });
    try {
      if (jobKey && deps.ledger && job && (await mayRecord(job))) {
        const existing = await recordOf(jobKey);
        if (existing?.history.some((h) => h.state === 'would-clear' && h.detail?.startsWith(`${verdict.reason}:`))) return;
        await record({ ...deps, ledger: deps.ledger }, jobKey, {
          state: 'would-clear',
          detail: `${verdict.reason}: ${verdict.message} | evidence ${JSON.stringify(verdict.evidence)}`,
        });
      }
      telemetry.wouldClear(verdict.reason, target.namespace);
    } catch (error) {
      errors.push(`record would-clear for ${describeRef(target)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  /**
   * A suspect's verdict: its evidence read within the run's budget (and not when a delete run has
   * already reached its cap, as nothing could be cleared), else kept until the next run.
   */
  const resolve = async (suspect: Suspect, pod: ObjectRef): Promise<Verdict> => {
    const capped = !observe && !dryRun && deletions >= thresholds.maxDeletionsPerRun;
    if (capped || evidenceRead >= thresholds.maxEvidenceReadsPerRun) {
      deferred++;
      return { action: 'keep', state: 'running', why: `suspected of ${suspect.reason}; its evidence waits for the next run` };
    }
    evidenceRead++;
    return decideSuspect(suspect, await gatherEvidence(cluster, pod, suspect, retry), thresholds, now);
  };

  const saveLogTail = async (pod: ObjectRef, jobKey: string, verdict: Extract<Verdict, { action: 'delete' }>): Promise<boolean> => {
    let text: string;
    try {
      const tail = await withRetry(
        () => cluster.readLog(pod, { tailLines: thresholds.logTailLines, limitBytes: thresholds.logTailBytes }),
        retry,
      );
      text = tail ?? '(the pod was already gone: no log)';
    } catch (error) {
      // A container that never started has no log (400): record why instead of losing the reason.
      text = `(no log: ${error instanceof Error ? error.message : String(error)})`;
    }
    const header = `# ${describeRef(pod)}, saved by the sweeper at ${now.toISOString()} before clearing it: ${verdict.reason}\n`;
    await deps.ledger!.saveLog(jobKey, header + text);
    return true;
  };

  // Ledger records read in this run, by job key: each is read at most once however many verdicts need it.
  const read = new Map<string, Promise<LedgerRecord | undefined>>();
  const recordOf = (jobKey: string): Promise<LedgerRecord | undefined> => {
    let found = read.get(jobKey);
    if (!found) read.set(jobKey, (found = deps.ledger ? deps.ledger.get(jobKey) : Promise.resolve(undefined)));
    return found;
  };
  /**
   * Whether this driver may write its job's record: the key belongs to the tenant that owns the
   * namespace, and a record that already exists names this namespace, this driver and its uid.
   * A pod another driver forged with someone's key and our labels fails one of these.
   */
  const mayRecord = async (job: JobRef): Promise<boolean> => {
    const existing = await recordOf(job.jobKey);
    if (existing === undefined) return true; // nothing to overwrite: the first word on this key is the tenant's own
    const named =
      existing.namespace === undefined ||
      (existing.namespace === job.namespace &&
        (job.driverPod === undefined || existing.driverPod === undefined || existing.driverPod === job.driverPod));
    const same = existing.driverUid === undefined || existing.driverUid === job.uid;
    if (named && same) return true;
    deps.log.warn('not recorded: the job key names another driver', {
      jobKey: job.jobKey,
      namespace: job.namespace,
      driverPod: job.driverPod,
      recorded: `${existing.namespace ?? '-'}/${existing.driverPod ?? '-'}`,
    });
    return false;
  };

  const recordFinal = async (target: ObjectRef, job: JobRef | undefined, final: FinalState): Promise<void> => {
    const jobKey = job?.jobKey;
    if (!job || !jobKey || !deps.ledger || deps.finalsRecorded?.has(jobKey)) return;
    const existing = await recordOf(jobKey);
    if (!(await mayRecord(job))) return;
    if (existing?.final) {
      deps.finalsRecorded?.add(jobKey); // the first sweep that saw it recorded it
      return;
    }
    actions.push({ kind: 'record-final', target, jobKey, final, done: !dryRun });
    finishedRecorded++;
    if (dryRun) return;
    await record({ ...deps, ledger: deps.ledger }, jobKey, {
      state: 'finished',
      final,
      detail: `${final.phase}${final.reason ? ` (${final.reason})` : ''}${final.exitCode === undefined ? '' : `, exit code ${final.exitCode}`}`,
      ...located(job),
    });
    deps.finalsRecorded?.add(jobKey);
  };

  /** What a verdict asks for: its final state recorded, a healthy job counted, a stalled one cleared. */
  const act = async (
    ref: ObjectRef,
    job: JobRef | undefined,
    verdict: Verdict,
    clearing: { readonly target: ObjectRef; readonly uid: string | undefined; readonly logFrom?: ObjectRef },
  ): Promise<void> => {
    try {
      if (verdict.final) await recordFinal(ref, job, verdict.final);
    } catch (error) {
      errors.push(`record the final state of ${describeRef(ref)}: ${String(error)}`);
    }
    if (verdict.action === 'keep') {
      if (verdict.state === 'pending' || verdict.state === 'running' || verdict.state === 'waiting') healthy++;
      return;
    }
    await clear(clearing.target, clearing.uid, verdict, job, clearing.logFrom);
  };

  for (const namespace of namespaces) {
    const tenant = namespaceOwner(settings, namespace)?.id;
    /** The job an object names, if its key is of this namespace's tenant: a key of another tenant is never written. */
    const jobOf = (
      annotations: Readonly<Record<string, string>> | undefined,
      driverPod: string | undefined,
      uid: string | undefined,
    ): JobRef | undefined => {
      const jobKey = annotations?.[ANNOTATIONS.jobKey];
      if (jobKey === undefined) return undefined;
      if (tenant === undefined || tenantOfKey(jobKey) !== tenant) {
        deps.log.warn('not recorded: the job key is not of the tenant that owns the namespace', { jobKey, namespace, tenant });
        return undefined;
      }
      return { jobKey, namespace, driverPod, uid };
    };
    try {
      // Drivers are judged page by page as they arrive (the next page is on its way meanwhile), so
      // a namespace of ten thousand drivers is never in memory at once. The other lists go out at
      // the same time; of executors and companions only what the verdicts read is kept.
      const driverPages = pagesOf(
        cluster,
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `${MANAGED},${LABELS.role}=driver` },
        retry,
      );
      const [executors, applications, configMaps, services] = await Promise.all([
        listAll(
          cluster,
          { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `${MANAGED},${LABELS.role}=executor` },
          (e) => ({ app: e.metadata.labels?.[LABELS.appSelector], view: executorView(e as PodView) }),
          retry,
        ),
        listApplications(cluster, namespace, errors, retry),
        listAll(cluster, { apiVersion: 'v1', kind: 'ConfigMap', namespace, labelSelector: MANAGED }, companionView, retry),
        listAll(cluster, { apiVersion: 'v1', kind: 'Service', namespace, labelSelector: MANAGED }, companionView, retry),
      ]);
      for (const app of applications) {
        const key = (app as ApplicationView).metadata.annotations?.[ANNOTATIONS.jobKey];
        if (key) seenKeys.add(key);
      }
      const byApp = new Map<string, PodView[]>();
      for (const { app, view } of executors) {
        if (!app) continue;
        const views = byApp.get(app);
        if (views) views.push(view);
        else byApp.set(app, [view]);
      }
      const driverUids = new Set<string>();
      const appsWithDriver = new Set<string>();

      for await (const page of driverPages) {
        // The page's suspects have their evidence read a few at a time, before any driver is acted on.
        const refOf = (driver: StoredObject): ObjectRef => ({ apiVersion: 'v1', kind: 'Pod', namespace, name: driver.metadata.name });
        const verdicts = await mapConcurrently(page, EVIDENCE_CONCURRENCY, (driver) => {
          const judgement = classifyDriver(
            driver as PodView,
            byApp.get(driver.metadata.labels?.[LABELS.appSelector] ?? '') ?? [],
            thresholds,
            now,
          );
          return judgement.action === 'suspect' ? resolve(judgement, refOf(driver)) : judgement;
        });
        for (const [i, driver] of page.entries()) {
          examined++;
          const pod = driver as PodView;
          if (pod.metadata.uid) driverUids.add(pod.metadata.uid);
          const podRef = refOf(driver);
          const seenKey = pod.metadata.annotations?.[ANNOTATIONS.jobKey];
          if (seenKey) seenKeys.add(seenKey);
          const owningApp = pod.metadata.ownerReferences?.find((o) => o.kind === SPARK_APPLICATION_API.kind);
          if (owningApp) appsWithDriver.add(owningApp.name);
          const verdict = verdicts[i]!;
          // An operator-launched driver is cleared through its SparkApplication, or the operator would resubmit it.
          const target: ObjectRef = owningApp
            ? {
                apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`,
                kind: SPARK_APPLICATION_API.kind,
                namespace,
                name: owningApp.name,
              }
            : podRef;
          const driverUid = owningApp ? owningApp.uid : pod.metadata.uid;
          await act(podRef, jobOf(pod.metadata.annotations, pod.metadata.name, driverUid), verdict, {
            target,
            uid: driverUid,
            logFrom: podRef,
          });
        }
      }

      for (const app of applications) {
        const view = app as ApplicationView;
        driverUids.add(view.metadata.uid ?? '');
        if (appsWithDriver.has(view.metadata.name)) continue;
        examined++;
        const ref: ObjectRef = { apiVersion: app.apiVersion, kind: app.kind, namespace, name: view.metadata.name };
        await act(ref, jobOf(view.metadata.annotations, undefined, view.metadata.uid), classifyApplication(view, thresholds, now), {
          target: ref,
          uid: view.metadata.uid,
        });
      }

      listedNamespaces.add(namespace);
      for (const [kind, companions] of [
        ['ConfigMap', configMaps],
        ['Service', services],
      ] as const) {
        for (const companion of companions) {
          const verdict = classifyCompanion(companion as PodView, driverUids, thresholds.grace.orphanedCompanion, now);
          if (verdict.action === 'delete') {
            await clear({ apiVersion: 'v1', kind, namespace, name: companion.metadata.name }, companion.metadata.uid, verdict, undefined);
          }
        }
      }
    } catch (error) {
      const message = `namespace ${namespace}: ${error instanceof Error ? error.message : String(error)}`;
      errors.push(message);
      deps.log.error('sweep of a namespace failed', { namespace, error: message });
    }
  }

  // The ledger against what the cluster showed: open records whose driver is gone, or that never
  // came back, are lost; lifecycle events the ledger owes are sent.
  let reconciled = 0;
  let lost = 0;
  let eventsPaid = 0;
  if (deps.ledger && thresholds.maxReconciledPerRun > 0) {
    const ledger = deps.ledger;
    const policy = { lostGraceSeconds: thresholds.lostGraceSeconds, staleRequestSeconds: thresholds.staleRequestSeconds };
    try {
      // Younger records cannot be lost yet; those owing events are listed whatever their age.
      const open = await ledger.open(now, thresholds.maxReconciledPerRun);
      for (const rec of open) {
        reconciled++;
        try {
          if (!dryRun && rec.owed?.length) eventsPaid += await payOwed({ ledger, events: deps.events }, rec);
          if (rec.strays?.length) await removeStrays(rec, ledger);
          const driverSeen = rec.namespace !== undefined && listedNamespaces.has(rec.namespace) ? seenKeys.has(rec.jobKey) : undefined;
          const verdict = reconcileRecord(rec, { driverSeen }, policy, now);
          if (verdict.action === 'keep') continue;
          lost++;
          const target: ObjectRef = { apiVersion: 'v1', kind: 'Pod', namespace: rec.namespace ?? '', name: rec.driverPod ?? '' };
          actions.push({
            kind: 'record-lost',
            target,
            jobKey: rec.jobKey,
            message: verdict.message,
            evidence: verdict.evidence,
            done: !dryRun,
          });
          if (dryRun) continue;
          await record({ ...deps, ledger }, rec.jobKey, {
            state: 'lost',
            detail: `${verdict.message} | evidence ${JSON.stringify(verdict.evidence)}`,
            reasons: [verdict.message],
            ...(rec.namespace ? { namespace: rec.namespace } : {}),
            ...(rec.driverPod ? { driverPod: rec.driverPod } : {}),
          });
          deps.log.warn('job lost', { jobKey: rec.jobKey, message: verdict.message });
        } catch (error) {
          errors.push(`reconcile ${rec.jobKey}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } catch (error) {
      const message = `reconcile the ledger: ${error instanceof Error ? error.message : String(error)}`;
      errors.push(message);
      deps.log.error('the reconciler could not list the ledger', { error: message });
    }
  }

  const report: SweepReport = {
    dryRun,
    mode: thresholds.mode,
    namespaces,
    examined,
    healthy,
    finishedRecorded,
    reconciled,
    lost,
    eventsPaid,
    cleared,
    wouldClear,
    evidenceRead,
    deferred,
    capReached,
    actions,
    errors,
  };
  deps.log.info('sweep done', {
    dryRun,
    mode: thresholds.mode,
    evidenceRead,
    deferred,
    wouldClear: Object.entries(wouldClear)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r}=${n}`),
    examined,
    healthy,
    finishedRecorded,
    reconciled,
    lost,
    eventsPaid,
    cleared: Object.entries(cleared)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r}=${n}`),
    capReached,
    errors: errors.length,
  });
  return report;
}

/** Where a job's driver is, for the ledger step and its lifecycle event. */
const located = (job: JobRef | undefined) =>
  job === undefined ? {} : { namespace: job.namespace, ...(job.driverPod ? { driverPod: job.driverPod } : {}) };

/** A ConfigMap or Service as the orphan check reads it: its metadata. */
const companionView = (object: StoredObject): PodView => ({ metadata: object.metadata as PodView['metadata'] });

/** SparkApplications, or none when the operator's CRD is not installed (404 on the list). */
async function listApplications(cluster: ClusterPort, namespace: string, errors: string[], retry: RetryPolicy): Promise<StoredObject[]> {
  try {
    return await listAll(
      cluster,
      {
        apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`,
        kind: SPARK_APPLICATION_API.kind,
        namespace,
        labelSelector: MANAGED,
      },
      (app) => app,
      retry,
    );
  } catch (error) {
    if (isDispatchError(error, 'not-found')) return [];
    errors.push(`list SparkApplications in ${namespace}: ${String(error)}`);
    return [];
  }
}
