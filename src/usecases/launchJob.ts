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
import { renderNative, ownedBy } from '../domain/render/renderNative.js';
import { renderOperator } from '../domain/render/renderOperator.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import { DispatchError, isDispatchError } from '../errors.js';
import { DEFAULT_RETRY, withRetry, type RetryHooks, type RetryPolicy } from '../adapters/withRetry.js';
import { describeRef, refOf, type ClusterPort, type ObjectRef, type StoredObject } from './clusterPort.js';
import type { LaunchOutcome } from './launchOutcome.js';
import { ATTR, telemetry } from '../telemetry/telemetry.js';

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
  const attributes = { [ATTR.jobKey]: job.jobKey, [ATTR.namespace]: job.namespace, [ATTR.pod]: job.names.driverPod, [ATTR.backend]: job.backend };
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
    if (job.backend === 'operator') {
      const app = await createOrAdopt(renderOperator(job), job, cluster, options);
      return app.createdNow
        ? { kind: 'launched', ...located, created: [refOf(app.object)], dryRun: options.dryRun === true }
        : { kind: 'already-launched', ...located, created: [] };
    }

    const { pod, configMap, service } = renderNative(job);
    const driver = await createOrAdopt(pod, job, cluster, options);
    const created: ObjectRef[] = driver.createdNow ? [refOf(pod)] : [];
    for (const companion of [ownedBy(configMap, driver.object), ownedBy(service, driver.object)]) {
      const result = await createOrAdopt(companion, job, cluster, options, driver.object.metadata.uid);
      if (result.createdNow) created.push(refOf(companion));
    }
    return driver.createdNow
      ? { kind: 'launched', ...located, created, dryRun: options.dryRun === true }
      : { kind: 'already-launched', ...located, created };
  } catch (error) {
    if (error instanceof Deferral) return { kind: 'deferred', ...located, reason: error.message };
    if (error instanceof Refusal) return { kind: 'rejected', jobKey: job.jobKey, namespace: job.namespace, reasons: [error.message] };
    throw error;
  }
}

interface Adopted {
  readonly object: StoredObject;
  readonly createdNow: boolean;
}

/**
 * Creates `object`, or adopts the existing one if it belongs to the same job (and, for a
 * companion, to the same driver pod uid).
 */
async function createOrAdopt(object: KubeObject, job: ResolvedJob, cluster: ClusterPort, options: LaunchOptions, ownerUid?: string): Promise<Adopted> {
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
      if (error.kind === 'invalid' || error.kind === 'forbidden' || error.kind === 'not-found') throw new Refusal(error.serverMessage ?? error.message);
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
      throw new Refusal(`${describeRef(ref)} already exists and belongs to ${owner === undefined ? 'something spark-dispatch did not create' : `job key "${owner}"`}; it was left untouched`);
    }
    if (ownerUid !== undefined && !existing.metadata.ownerReferences?.some((o) => o.uid === ownerUid)) {
      // Left over from an earlier driver pod of this job that was deleted; the garbage collector
      // will remove it, but the new pod needs its own now. The uid precondition makes sure we
      // delete exactly that stale object.
      await withRetry(() => cluster.remove(ref, { uid: existing.metadata.uid }), policy, options.retryHooks);
      continue;
    }
    // Our own earlier attempt may have created it before its answer was lost.
    return { object: existing, createdNow: ambiguous };
  }
  throw new DispatchError('conflict', `${describeRef(ref)} kept changing while it was being created; try again`);
}
