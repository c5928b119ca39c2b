/**
 * Launch a resolved job in a cluster, correctly under retries, duplicates and partial failures.
 *
 * Native backend, in Spark's order: the driver Pod, then the ConfigMap and Service owned by it.
 * Idempotency comes from deterministic names: a second attempt for the same job key collides on
 * the pod name (409 AlreadyExists), reads the pod, sees its own job key, and only completes what
 * is missing. A different job key under the same name is refused, never overwritten.
 *
 *   create pod ──201──► created ─┐
 *       │ 409 ─► read ─ same key ─┤─► create ConfigMap + Service (409 → same key and owner? keep)
 *       │                other ──►│   rejected (name taken by another job)
 *       │ 403 exceeded quota ─► read ─ ours? adopt as above ; absent ─► deferred
 *       │ 400/422/403/404 ────────┼─► rejected (the server's words)
 *       └ 429/5xx/reset/timeout ──┴─► retried with backoff, then DispatchError (retryable)
 */
import type { KubeObject } from '../domain/render/kubeObjects.js';
import { ANNOTATIONS } from '../domain/render/naming.js';
import { keyClaim, renderNative, ownedBy } from '../domain/render/renderNative.js';
import { renderOperator } from '../domain/render/renderOperator.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import { DispatchError, isDispatchError } from '../shared/errors.js';
import { DEFAULT_RETRY, withRetry, type RetryHooks, type RetryPolicy } from '../shared/withRetry.js';
import { describeRef, refOf, type ClusterPort, type CreatedObject, type ObjectRef, type StoredObject } from './clusterPort.js';
import type { LaunchOutcome } from './launchOutcome.js';
import { ATTR, telemetry } from '../shared/telemetry.js';

export interface LaunchOptions {
  readonly dryRun?: boolean;
  readonly retry?: RetryPolicy;
  readonly retryHooks?: RetryHooks;
}

/** A launch cannot go on, for a reason that is the job's (or the cluster's policy), not a fault. */
class Refusal extends Error {}
class Deferral extends Error {}

// Kinds that mean an earlier attempt may have reached the server even though we saw a failure.
const AMBIGUOUS = new Set(['timeout', 'network', 'unavailable']);

export async function launchJob(job: ResolvedJob, cluster: ClusterPort, options: LaunchOptions = {}): Promise<LaunchOutcome> {
  const attributes = {
    [ATTR.jobKey]: job.jobKey,
    [ATTR.namespace]: job.namespace,
    [ATTR.pod]: job.names.driverPod,
    [ATTR.backend]: job.backend,
  };
  return telemetry.span('spark-dispatch launch', attributes, async (set) => {
    const started = performance.now();
    const outcome = await launchOnce(job, cluster, options);
    telemetry.launched(outcome.kind, job.backend, performance.now() - started);
    set({ [ATTR.outcome]: outcome.kind });
    return outcome;
  });
}

async function launchOnce(job: ResolvedJob, cluster: ClusterPort, options: LaunchOptions): Promise<LaunchOutcome> {
  const located = { jobKey: job.jobKey, namespace: job.namespace, driverPod: job.names.driverPod, backend: job.backend };
  try {
    // The driver (a Pod, or a SparkApplication that makes one), then what it owns. The ConfigMap's
    // name comes from the job key alone, so it is the key's lock in the cluster: a second driver
    // for the same key under another name finds it held by a live driver and withdraws.
    const rendered = job.backend === 'operator' ? operatorObjects(job) : nativeObjects(job);
    const driver = await createOrAdopt(rendered.driver, job, cluster, options);
    const created: ObjectRef[] = driver.createdNow ? [refOf(rendered.driver)] : [];
    for (const companion of rendered.companions) {
      const result = await createOrAdopt(ownedBy(companion, driver.object), job, cluster, options, driver.object);
      if (result.createdNow) created.push(refOf(companion));
    }
    const driverUid = driver.object.metadata.uid;
    return driver.createdNow
      ? { kind: 'launched', ...located, created, dryRun: options.dryRun === true, driverUid, driver: refOf(rendered.driver) }
      : { kind: 'already-launched', ...located, created, driverUid };
  } catch (error) {
    if (error instanceof Deferral) return { kind: 'deferred', ...located, reason: error.message };
    if (error instanceof Refusal) return { kind: 'rejected', jobKey: job.jobKey, namespace: job.namespace, reasons: [error.message] };
    throw error;
  }
}

function nativeObjects(job: ResolvedJob): { driver: KubeObject; companions: KubeObject[] } {
  const { pod, configMap, service } = renderNative(job);
  return { driver: pod, companions: [configMap, service] };
}

function operatorObjects(job: ResolvedJob): { driver: KubeObject; companions: KubeObject[] } {
  return { driver: renderOperator(job), companions: [keyClaim(job)] };
}

interface Adopted {
  /** The driver's (or companion's) kind and stored metadata: what its companions' owner references need. */
  readonly object: CreatedObject;
  readonly createdNow: boolean;
}

/**
 * Creates `object`, or adopts the existing one if it belongs to the same job (and, for a
 * companion, to the same driver).
 */
async function createOrAdopt(
  object: KubeObject,
  job: ResolvedJob,
  cluster: ClusterPort,
  options: LaunchOptions,
  driver?: CreatedObject,
): Promise<Adopted> {
  const ref = refOf(object);
  const policy = options.retry ?? DEFAULT_RETRY;
  // Bounded: a stale companion is deleted and re-created at most this often before we give up.
  for (let round = 0; round < 3; round++) {
    let ambiguous = false;
    const hooks: RetryHooks = {
      ...options.retryHooks,
      onRetry: (error, attempt, delay) => {
        if (AMBIGUOUS.has(error.kind)) ambiguous = true;
        options.retryHooks?.onRetry?.(error, attempt, delay);
      },
    };
    let quotaRefusal: DispatchError | undefined;
    try {
      const stored = await withRetry(() => cluster.create(object, { dryRun: options.dryRun === true }), policy, hooks);
      return { object: stored, createdNow: true };
    } catch (error) {
      if (!isDispatchError(error)) throw error;
      if (error.kind === 'invalid' || error.kind === 'forbidden' || error.kind === 'not-found')
        throw new Refusal(error.serverMessage ?? error.message);
      // Quota admission runs before storage notices a name clash, so a full namespace answers
      // "exceeded quota" even when our own driver already exists: look before deferring.
      if (error.kind === 'quota-exceeded') quotaRefusal = error;
      else if (error.kind !== 'already-exists') throw error;
    }

    const existing = await withRetry(() => cluster.read(ref), policy, options.retryHooks);
    if (quotaRefusal && !existing) throw new Deferral(quotaRefusal.serverMessage ?? quotaRefusal.message);
    if (!existing) continue; // deleted between our create and our read: create again
    const owner = existing.metadata.annotations?.[ANNOTATIONS.jobKey];
    if (owner !== job.jobKey) {
      throw new Refusal(
        `${describeRef(ref)} already exists and belongs to ${owner === undefined ? 'something spark-dispatch did not create' : `job key "${owner}"`}; it was left untouched`,
      );
    }
    const ourDriver = driver?.metadata.uid;
    if (driver !== undefined && ourDriver !== undefined && !existing.metadata.ownerReferences?.some((o) => o.uid === ourDriver)) {
      // Owned by another driver of this job key. If that driver is alive, this launch is the
      // second driver for one key (the same key under another name): withdraw our own driver,
      // exactly ours by its uid, and touch nothing of the other's. If it is gone, the companion
      // is left over from it: the garbage collector will remove it, but ours needs its own now.
      const live = await liveOwner(existing, cluster, policy, options.retryHooks);
      if (live !== undefined) {
        await withRetry(() => cluster.remove(refOf(driver), { uid: ourDriver }), policy, options.retryHooks);
        throw new Refusal(
          `job key "${job.jobKey}" already has a driver, ${describeRef(live)}; this launch (${describeRef(refOf(driver))}) was withdrawn: one driver per job key`,
        );
      }
      await withRetry(() => cluster.remove(ref, { uid: existing.metadata.uid }), policy, options.retryHooks);
      continue;
    }
    // Our own earlier attempt may have created it before its answer was lost.
    return { object: existing, createdNow: ambiguous };
  }
  throw new DispatchError('conflict', `${describeRef(ref)} kept changing while it was being created; try again`);
}

/** The driver (Pod or SparkApplication) a companion's ownerReference names, if that very object (same uid) still exists. */
async function liveOwner(
  companion: StoredObject,
  cluster: ClusterPort,
  policy: RetryPolicy,
  hooks: RetryHooks | undefined,
): Promise<ObjectRef | undefined> {
  for (const owner of companion.metadata.ownerReferences ?? []) {
    const ref: ObjectRef = {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      namespace: companion.metadata.namespace ?? '',
      name: owner.name,
    };
    const found = await withRetry(() => cluster.read(ref), policy, hooks);
    if (found?.metadata.uid === owner.uid && !found.metadata.deletionTimestamp) return ref;
  }
  return undefined;
}
