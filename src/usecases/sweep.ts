/**
 * One sweep over the allowed namespaces: find what spark-dispatch launched (its labels, never
 * anything else), judge it with the pure classifiers, record how finished jobs ended, and clear
 * stalled drivers, leftovers and long-finished pods, at most `maxDeletionsPerRun` per run.
 *
 * Clearing a driver: save the tail of its log next to its ledger record, delete the pod with a
 * uid precondition (its executors, ConfigMap and Service go with it by garbage collection), then
 * record the reason and the evidence in the ledger and publish a "swept" event. A pod already gone
 * is not an error, and a late or overlapping run does no harm: every step tolerates "already done".
 */
import { classifyDriver, SWEEP_REASONS, type Evidence, type SweepReason, type Verdict } from '../domain/sweep/classifyDriver.js';
import { classifyApplication, classifyCompanion, type ApplicationView } from '../domain/sweep/classifyLeftovers.js';
import type { FinalState } from '../domain/intake/ledgerRecord.js';
import { ANNOTATIONS, LABELS, MANAGER } from '../domain/render/naming.js';
import { executorView, type PodView } from '../domain/sweep/podView.js';
import { SPARK_APPLICATION_API } from '../domain/render/renderOperator.js';
import { isDispatchError } from '../errors.js';
import { withRetry, type RetryPolicy } from '../adapters/withRetry.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { ClusterPort, ObjectRef, StoredObject } from './clusterPort.js';
import { describeRef } from './clusterPort.js';
import type { FinalsRecorded } from './finalsRecorded.js';
import { listAll, pagesOf } from './listPages.js';
import { record } from './jobLedger.js';
import type { LedgerPort } from './ledgerPort.js';
import type { Logger } from './logger.js';
import type { EventsPort } from './queuePort.js';
import { telemetry } from '../telemetry/telemetry.js';

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
  readonly kind: 'delete' | 'record-final';
  readonly target: ObjectRef;
  readonly jobKey?: string;
  readonly reason?: SweepReason;
  readonly message?: string;
  readonly evidence?: Evidence;
  readonly final?: FinalState;
  /** false in a dry run, when the deletion cap was reached, or when it failed. */
  readonly done: boolean;
  readonly logSaved?: boolean;
  readonly error?: string;
}

export interface SweepReport {
  readonly dryRun: boolean;
  readonly namespaces: readonly string[];
  readonly examined: number;
  readonly healthy: number;
  readonly finishedRecorded: number;
  readonly cleared: Readonly<Record<SweepReason, number>>;
  readonly capReached: boolean;
  readonly actions: readonly SweepAction[];
  readonly errors: readonly string[];
}

const MANAGED = `${LABELS.managedBy}=${MANAGER}`;

export async function sweep(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const { settings, cluster } = deps;
  const thresholds = settings.sweeper;
  const now = deps.now();
  const dryRun = options.dryRun === true;
  const namespaces = Object.keys(settings.namespaces);
  const cleared = Object.fromEntries(SWEEP_REASONS.map((r) => [r, 0])) as Record<SweepReason, number>;
  const actions: SweepAction[] = [];
  const errors: string[] = [];
  let examined = 0;
  let healthy = 0;
  let finishedRecorded = 0;
  let deletions = 0;
  let capReached = false;
  const retry = settings.kubernetes.retry;

  /** Deletes (or, in a dry run, would delete) one object for one verdict; respects the cap. */
  const clear = async (target: ObjectRef, uid: string | undefined, verdict: Extract<Verdict, { action: 'delete' }>, jobKey: string | undefined, logFrom?: ObjectRef): Promise<void> => {
    const base = { kind: 'delete' as const, target, reason: verdict.reason, message: verdict.message, evidence: verdict.evidence, ...(jobKey ? { jobKey } : {}), ...(verdict.final ? { final: verdict.final } : {}) };
    if (deletions >= thresholds.maxDeletionsPerRun) {
      capReached = true;
      actions.push({ ...base, done: false, error: `not cleared: the cap of ${thresholds.maxDeletionsPerRun} deletions per run was reached` });
      return;
    }
    deletions++;
    if (dryRun) {
      cleared[verdict.reason]++; // would clear
      actions.push({ ...base, done: false });
      return;
    }
    const log = deps.log.with({ ...(jobKey ? { jobKey } : {}), target: describeRef(target), reason: verdict.reason });
    try {
      let logSaved = false;
      if (logFrom && jobKey && deps.ledger) logSaved = await saveLogTail(logFrom, jobKey, verdict);
      // With the uid precondition, a name that now holds a newer object counts as gone: this verdict is not about it.
      const removed = await withRetry(() => cluster.remove(target, uid ? { uid } : {}), retry);
      if (jobKey && deps.ledger) {
        await record({ ...deps, ledger: deps.ledger }, jobKey, {
          state: 'swept',
          detail: `${verdict.reason}: ${verdict.message}${removed ? '' : ' (it was already gone)'} | evidence ${JSON.stringify(verdict.evidence)}`,
          reasons: [`${verdict.reason}: ${verdict.message}`],
          ...(verdict.final ? { final: verdict.final } : {}),
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

  const saveLogTail = async (pod: ObjectRef, jobKey: string, verdict: Extract<Verdict, { action: 'delete' }>): Promise<boolean> => {
    let text: string;
    try {
      const tail = await withRetry(() => cluster.readLog(pod, { tailLines: thresholds.logTailLines, limitBytes: thresholds.logTailBytes }), retry);
      text = tail ?? '(the pod was already gone: no log)';
    } catch (error) {
      // A container that never started has no log (400): record why instead of losing the reason.
      text = `(no log: ${error instanceof Error ? error.message : String(error)})`;
    }
    const header = `# ${describeRef(pod)}, saved by the sweeper at ${now.toISOString()} before clearing it: ${verdict.reason}\n`;
    await deps.ledger!.saveLog(jobKey, header + text);
    return true;
  };

  const recordFinal = async (target: ObjectRef, jobKey: string | undefined, final: FinalState): Promise<void> => {
    if (!jobKey || !deps.ledger || deps.finalsRecorded?.has(jobKey)) return;
    const existing = await deps.ledger.get(jobKey);
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
    });
    deps.finalsRecorded?.add(jobKey);
  };

  /** What a verdict asks for: its final state recorded, a healthy job counted, a stalled one cleared. */
  const act = async (ref: ObjectRef, jobKey: string | undefined, verdict: Verdict, clearing: { readonly target: ObjectRef; readonly uid: string | undefined; readonly logFrom?: ObjectRef }): Promise<void> => {
    try {
      if (verdict.final) await recordFinal(ref, jobKey, verdict.final);
    } catch (error) {
      errors.push(`record the final state of ${describeRef(ref)}: ${String(error)}`);
    }
    if (verdict.action === 'keep') {
      if (verdict.state === 'pending' || verdict.state === 'running') healthy++;
      return;
    }
    await clear(clearing.target, clearing.uid, verdict, jobKey, clearing.logFrom);
  };

  for (const namespace of namespaces) {
    try {
      // Drivers are judged page by page as they arrive (the next page is on its way meanwhile), so
      // a namespace of ten thousand drivers is never in memory at once. The other lists go out at
      // the same time; of executors and companions only what the verdicts read is kept.
      const driverPages = pagesOf(cluster, { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `${MANAGED},${LABELS.role}=driver` }, retry);
      const [executors, applications, configMaps, services] = await Promise.all([
        listAll(cluster, { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `${MANAGED},${LABELS.role}=executor` }, (e) => ({ app: e.metadata.labels?.[LABELS.appSelector], view: executorView(e as PodView) }), retry),
        listApplications(cluster, namespace, errors, retry),
        listAll(cluster, { apiVersion: 'v1', kind: 'ConfigMap', namespace, labelSelector: MANAGED }, companionView, retry),
        listAll(cluster, { apiVersion: 'v1', kind: 'Service', namespace, labelSelector: MANAGED }, companionView, retry),
      ]);
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
        for (const driver of page) {
          examined++;
          const pod = driver as PodView;
          if (pod.metadata.uid) driverUids.add(pod.metadata.uid);
          const jobKey = pod.metadata.annotations?.[ANNOTATIONS.jobKey];
          const podRef: ObjectRef = { apiVersion: 'v1', kind: 'Pod', namespace, name: pod.metadata.name };
          const owningApp = pod.metadata.ownerReferences?.find((o) => o.kind === SPARK_APPLICATION_API.kind);
          if (owningApp) appsWithDriver.add(owningApp.name);
          const verdict = classifyDriver(pod, byApp.get(pod.metadata.labels?.[LABELS.appSelector] ?? '') ?? [], thresholds, now);
          // An operator-launched driver is cleared through its SparkApplication, or the operator would resubmit it.
          const target: ObjectRef = owningApp
            ? { apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`, kind: SPARK_APPLICATION_API.kind, namespace, name: owningApp.name }
            : podRef;
          await act(podRef, jobKey, verdict, { target, uid: owningApp ? owningApp.uid : pod.metadata.uid, logFrom: podRef });
        }
      }

      for (const app of applications) {
        const view = app as ApplicationView;
        if (appsWithDriver.has(view.metadata.name)) continue;
        examined++;
        const jobKey = view.metadata.annotations?.[ANNOTATIONS.jobKey];
        const ref: ObjectRef = { apiVersion: app.apiVersion, kind: app.kind, namespace, name: view.metadata.name };
        await act(ref, jobKey, classifyApplication(view, thresholds, now), { target: ref, uid: view.metadata.uid });
      }

      for (const [kind, companions] of [['ConfigMap', configMaps], ['Service', services]] as const) {
        for (const companion of companions) {
          const verdict = classifyCompanion(companion as PodView, driverUids, thresholds.orphanGraceSeconds, now);
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

  const report: SweepReport = { dryRun, namespaces, examined, healthy, finishedRecorded, cleared, capReached, actions, errors };
  deps.log.info('sweep done', {
    dryRun,
    examined,
    healthy,
    finishedRecorded,
    cleared: Object.entries(cleared)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r}=${n}`),
    capReached,
    errors: errors.length,
  });
  return report;
}

/** A ConfigMap or Service as the orphan check reads it: its metadata. */
const companionView = (object: StoredObject): PodView => ({ metadata: object.metadata as PodView['metadata'] });

/** SparkApplications, or none when the operator's CRD is not installed (404 on the list). */
async function listApplications(cluster: ClusterPort, namespace: string, errors: string[], retry: RetryPolicy): Promise<StoredObject[]> {
  try {
    return await listAll(cluster, { apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`, kind: SPARK_APPLICATION_API.kind, namespace, labelSelector: MANAGED }, (app) => app, retry);
  } catch (error) {
    if (isDispatchError(error, 'not-found')) return [];
    errors.push(`list SparkApplications in ${namespace}: ${String(error)}`);
    return [];
  }
}
