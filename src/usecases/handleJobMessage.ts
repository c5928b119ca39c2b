/**
 * A job message from the Service Bus queue, from body to settlement.
 *
 *   tenant = the queue's owner (never the body)
 *   decode + read (spec | tenant's template | inline script) ─┐
 *   prepare (schema + the tenant's policy) ────────────────────┴ refused ─► ledger "rejected" under the
 *        │                                                       request's own key (it takes no job key) ─► complete
 *   key <tenant>/<jobKey> held by a different request? ───────────► refused as a conflict, the same way ─► complete
 *   key already launched/finished by this same request? ────────► ledger history ─► complete
 *        │ claim the key (conditional write), stage an inline script at its content hash (never overwritten)
 *   launch ─ launched / already-launched ─────────────────────────► ledger ─► complete
 *        ├─ deferred (cluster full) ─► scheduled copy, growing delay ─► ledger "deferred" ─► complete
 *        │                            └ waited too long ───────────► ledger "rejected" ─► complete
 *        └─ infrastructure failure ──► ledger "retrying" (or "dead-lettered" on the last delivery) ─► throw
 *
 * Completing is resolving; throwing makes the Functions host abandon the message, so Service Bus
 * redelivers it and dead-letters it after maxDeliveryCount. Nothing is ever dropped silently.
 */
import { deferralHistory, nextDeferral } from '../domain/intake/deferral.js';
import { KeyTaken } from '../domain/intake/ledgerRecord.js';
import { boundedJson } from '../domain/spec/bounds.js';
import { readJobMessage, type InlineScript } from '../domain/spec/jobMessage.js';
import { hashKey, sha256Hex } from '../domain/render/naming.js';
import { requestFingerprint, scopedKey, tenantOfQueue } from '../domain/tenant/tenancy.js';
import type { TenantIntake } from '../settings/settingsSchema.js';
import { prepareJob } from '../domain/spec/prepareJob.js';
import { problemToString } from '../domain/spec/problem.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import { DispatchError, isDispatchError } from '../errors.js';
import type { IntakeDeps } from './intakeDeps.js';
import { record, refusalKey, SETTLED_STATES } from './jobLedger.js';
import { launchJob } from './launchJob.js';
import type { LaunchOutcome } from './launchOutcome.js';
import { ATTR, telemetry } from '../telemetry/telemetry.js';

export interface JobMessageInput {
  readonly body: unknown;
  /** The queue the message arrived on: it decides the tenant (only that team may send to it). */
  readonly queue: string;
  readonly messageId: string;
  /** 1 on the first delivery, as the Functions host reports it. */
  readonly deliveryCount: number;
  readonly enqueuedTime?: Date | undefined;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  /** For logs and the ledger: the Functions invocation id. */
  readonly invocationId?: string | undefined;
}

export type MessageResult =
  | { readonly kind: 'launched' | 'already-launched'; readonly jobKey: string; readonly outcome: LaunchOutcome }
  | { readonly kind: 'duplicate'; readonly jobKey: string; readonly state: string }
  | { readonly kind: 'rejected'; readonly jobKey: string; readonly reasons: readonly string[] }
  | { readonly kind: 'rescheduled'; readonly jobKey: string; readonly at: Date; readonly deferrals: number };

/**
 * Application properties the dispatcher puts on messages it schedules or forwards. A team can set
 * them too on its own queue; they only ever name a job of that team (keys are scoped by tenant).
 */
export const PROPS = {
  jobKey: 'sd-job-key',
  deferrals: 'sd-deferrals',
  firstSeen: 'sd-first-seen',
} as const;

export async function handleJobMessage(input: JobMessageInput, deps: IntakeDeps): Promise<MessageResult> {
  return telemetry.span('spark-dispatch job message', { [ATTR.messageId]: input.messageId, [ATTR.deliveryCount]: input.deliveryCount }, async (set) => {
    const result = await handleOnce(input, deps);
    set({ [ATTR.jobKey]: result.jobKey, [ATTR.outcome]: result.kind });
    return result;
  });
}

async function handleOnce(input: JobMessageInput, deps: IntakeDeps): Promise<MessageResult> {
  const { settings } = deps;
  const owner = tenantOfQueue(settings, input.queue);
  if (!owner) {
    // A configuration error, not the message's: it stays on the queue (and dead-letters) rather than being lost.
    throw new DispatchError('configuration', `queue ${input.queue} is no tenant's job queue (settings tenants.<tenant>.queue); the message stays on the queue`);
  }
  const tenant = owner.id;
  const ids = { messageId: input.messageId, deliveryCount: input.deliveryCount, ...(input.invocationId ? { invocationId: input.invocationId } : {}) };
  const request = readJobMessage(input.body, owner.tenant.intake.templates, settings.intake.maxInlineScriptBytes);
  const specKey = request.ok && typeof request.value.spec.jobKey === 'string' ? request.value.spec.jobKey : undefined;
  const propKey = typeof input.applicationProperties[PROPS.jobKey] === 'string' ? (input.applicationProperties[PROPS.jobKey] as string) : undefined;
  const requested = specKey ?? propKey ?? input.messageId;
  const jobKey = scopedKey(tenant, requested);
  const log = deps.log.with({ jobKey, tenant, ...ids });
  const source = { kind: 'message' as const, ref: input.messageId };
  // The ledger keeps the start of what came (the record cuts it to maxPayloadBytes and says so): a
  // body too deep or too large for JSON.stringify is still recorded, never thrown on.
  const payload = () => requestText(input.body, settings.ledger.maxPayloadBytes + 1);

  try {
    if (!request.ok) return await refuse(request.problems.map(problemToString));

    const inline = request.value.inlineScript;
    const staging = owner.tenant.intake.staging;
    if (inline && !staging) return await refuse([`script: inline scripts need a staging area for tenant ${tenant} (settings tenants.${tenant}.intake.staging: account and filesystem to stage them in)`]);
    const staged = inline && staging ? stagingLocation(tenant, staging, inline) : undefined;
    const spec = staged ? { ...request.value.spec, main: staged.abfss } : request.value.spec;
    const prepared = prepareJob(spec, settings, { tenant, source, fallbackJobKey: requested });
    if (!prepared.ok) return await refuse(prepared.problems.map(problemToString));
    const job = prepared.value;
    const fingerprint = requestFingerprint(tenant, spec);

    const existing = await deps.ledger.get(jobKey);
    if (existing?.fingerprint !== undefined && existing.fingerprint !== fingerprint) return await refuse([new KeyTaken(jobKey, existing).message], job);
    if (existing && SETTLED_STATES.has(existing.state)) {
      await record(deps, jobKey, { state: existing.state === 'rejected' ? 'rejected' : 'already-launched', detail: `delivered again; the job is already ${existing.state}`, ids });
      log.info('duplicate delivery: nothing to do', { state: existing.state });
      return { kind: 'duplicate', jobKey, state: existing.state };
    }
    try {
      await record(deps, jobKey, { state: 'received', tenant, fingerprint, source, ids, ...(request.value.template ? { detail: `template ${request.value.template}` } : {}) });
    } catch (error) {
      // Another request took the key between our read and our write.
      if (error instanceof KeyTaken) return await refuse([error.message], job);
      throw error;
    }
    if (inline && staged) {
      const problem = await stage(staged, inline);
      if (problem) return await reject([problem], job);
    }

    const outcome = await launchJob(job, await deps.cluster(), { retry: settings.kubernetes.retry });
    switch (outcome.kind) {
      case 'launched':
      case 'already-launched':
        await record(deps, jobKey, { state: outcome.kind, ...located(job), driverUid: outcome.driverUid, ids, detail: outcome.created.length > 0 ? `created ${outcome.created.map((r) => `${r.kind}/${r.name}`).join(', ')}` : undefined });
        log.info(outcome.kind, { namespace: job.namespace, driverPod: job.names.driverPod });
        return { kind: outcome.kind, jobKey, outcome };
      case 'rejected':
        return await reject(outcome.reasons, job);
      case 'deferred':
        return await defer(job, outcome.reason);
    }
  } catch (error) {
    if (!isDispatchError(error)) throw error;
    const last = input.deliveryCount >= settings.serviceBus.maxDeliveryCount;
    // Best effort: the ledger may be what failed. The throw below is what keeps the job safe.
    await record(deps, jobKey, {
      state: last ? 'dead-lettered' : 'retrying',
      detail: `${error.message}${last ? ` (delivery ${input.deliveryCount} of ${settings.serviceBus.maxDeliveryCount}: Service Bus moves the message to the dead-letter queue)` : ` (delivery ${input.deliveryCount}; Service Bus will deliver it again)`}`,
      ids,
    }).catch((ledgerError: unknown) => log.error('could not record the failure in the ledger', { error: String(ledgerError) }));
    log[last ? 'error' : 'warn']('launch failed; the message goes back to Service Bus', { error: error.message, kind: error.kind, retryable: error.retryable });
    throw error;
  }

  /** A job that holds its key and is refused (by the cluster, or after waiting too long): recorded on its own record. */
  async function reject(reasons: readonly string[], job: ResolvedJob): Promise<MessageResult> {
    await record(deps, jobKey, { state: 'rejected', reasons, payload: payload(), source, ids, ...located(job) });
    log.warn('rejected', { reasons });
    return { kind: 'rejected', jobKey, reasons };
  }

  /**
   * A request refused before it could take its key (unreadable, against policy, or the key is
   * another request's): recorded under a key of its own, so the key it asked for stays free (or
   * stays its holder's, untouched).
   */
  async function refuse(reasons: readonly string[], job?: ResolvedJob): Promise<MessageResult> {
    const key = refusalKey(tenant, `message:${input.messageId}`);
    await record(deps, key, { state: 'rejected', tenant, requestedKey: jobKey, reasons, payload: payload(), source, ids, ...(job ? located(job) : {}) });
    log.warn('rejected', { reasons, recordedAs: key });
    return { kind: 'rejected', jobKey: key, reasons };
  }

  /** Writes an inline script where nothing is yet; a script already there must be the very same bytes. */
  async function stage(where: Staged, script: InlineScript): Promise<string | undefined> {
    if ((await deps.files.createText(where.location, script.content, 'text/x-python')) === 'created') return undefined;
    const found = await deps.files.readText(where.location, Buffer.byteLength(script.content, 'utf8') + 1);
    return found?.kind === 'text' && found.text === script.content
      ? undefined
      : `script: the staged copy at ${where.abfss} is not this script (it was changed after staging); nothing was launched`;
  }

  async function defer(job: ResolvedJob, reason: string): Promise<MessageResult> {
    const history = deferralHistory(input.applicationProperties[PROPS.deferrals], input.applicationProperties[PROPS.firstSeen], input.enqueuedTime ?? deps.now());
    if (history.ignored.length > 0) log.warn('ignored unusable deferral properties', { ignored: history.ignored });
    const deferrals = history.deferrals + 1;
    const { firstSeen } = history;
    const decision = nextDeferral(settings.intake.deferral, deferrals, firstSeen, deps.now(), deps.random);
    if (decision.kind === 'give-up') {
      return reject([`no room for the driver in namespace ${job.namespace} after waiting ${decision.waitedSeconds} s (settings.intake.deferral.maxTotalWaitSeconds): ${reason}`], job);
    }
    await deps.queue.schedule(
      {
        // Back to the queue it came from: the tenant's own.
        queue: input.queue,
        body: input.body,
        // Deterministic: if this handler dies after scheduling, the redelivery schedules the same
        // message id again and duplicate detection drops it.
        messageId: `${hashKey(jobKey)}~d${deferrals}`,
        applicationProperties: { [PROPS.jobKey]: requested, [PROPS.deferrals]: deferrals, [PROPS.firstSeen]: firstSeen.toISOString() },
        subject: 'job',
      },
      decision.at,
    );
    await record(deps, jobKey, { state: 'deferred', ...located(job), deferredUntil: decision.at.toISOString(), detail: reason, ids });
    log.info('deferred: the cluster is full', { until: decision.at.toISOString(), deferrals });
    return { kind: 'rescheduled', jobKey, at: decision.at, deferrals };
  }
}

/** The first `maxChars` characters of a message body as text, whatever its form. */
function requestText(body: unknown, maxChars: number): string {
  if (typeof body === 'string') return body.slice(0, maxChars);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, maxChars * 4)).toString('utf8').slice(0, maxChars);
  return boundedJson(body, maxChars);
}

function located(job: ResolvedJob) {
  return { name: job.name, namespace: job.namespace, driverPod: job.names.driverPod, backend: job.backend };
}

interface Staged {
  readonly location: { readonly account: string; readonly filesystem: string; readonly path: string };
  readonly abfss: string;
}

/**
 * Where an inline script is staged: in the tenant's own staging folder, at the hash of its
 * content, so the driver's main names exactly these bytes and no other request (which could only
 * ever write other bytes to another path) can replace them.
 */
function stagingLocation(tenant: string, staging: NonNullable<TenantIntake['staging']>, script: InlineScript): Staged {
  const path = `${staging.prefix}${tenant}/${sha256Hex(script.content).slice(0, 40)}/${script.fileName}`;
  return {
    location: { account: staging.account, filesystem: staging.filesystem, path },
    abfss: `abfss://${staging.filesystem}@${staging.account}.dfs.core.windows.net/${path}`,
  };
}
