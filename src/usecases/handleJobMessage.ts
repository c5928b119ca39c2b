/**
 * A job message from the Service Bus queue, from body to settlement.
 *
 *   decode + read (spec | template | inline script) ── invalid ─► ledger "rejected" (reasons, payload) ─► complete
 *        │
 *   ledger already launched/finished for this key? ─────────────► ledger history ─► complete
 *        │
 *   prepare (schema + policy) ── refused ──────────────────────► ledger "rejected" ─► complete
 *        │ (inline script: staged in ADLS first)
 *   launch ─ launched / already-launched ─────────────────────────► ledger ─► complete
 *        ├─ deferred (cluster full) ─► scheduled copy, growing delay ─► ledger "deferred" ─► complete
 *        │                            └ waited too long ───────────► ledger "rejected" ─► complete
 *        └─ infrastructure failure ──► ledger "retrying" (or "dead-lettered" on the last delivery) ─► throw
 *
 * Completing is resolving; throwing makes the Functions host abandon the message, so Service Bus
 * redelivers it and dead-letters it after maxDeliveryCount. Nothing is ever dropped silently.
 */
import { deferralHistory, nextDeferral } from '../domain/intake/deferral.js';
import { readJobMessage, type InlineScript } from '../domain/spec/jobMessage.js';
import { hashKey } from '../domain/render/naming.js';
import { prepareJob } from '../domain/spec/prepareJob.js';
import { problemToString } from '../domain/spec/problem.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import { isDispatchError } from '../errors.js';
import type { IntakeDeps } from './intakeDeps.js';
import { record, SETTLED_STATES } from './jobLedger.js';
import { launchJob } from './launchJob.js';
import type { LaunchOutcome } from './launchOutcome.js';
import { ATTR, telemetry } from '../telemetry/telemetry.js';

export interface JobMessageInput {
  readonly body: unknown;
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

/** Application properties the dispatcher puts on messages it schedules or forwards. */
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
  const ids = { messageId: input.messageId, deliveryCount: input.deliveryCount, ...(input.invocationId ? { invocationId: input.invocationId } : {}) };
  const request = readJobMessage(input.body, settings.intake.templates, settings.intake.maxInlineScriptBytes);
  const specKey = request.ok && typeof request.value.spec.jobKey === 'string' ? request.value.spec.jobKey : undefined;
  const propKey = typeof input.applicationProperties[PROPS.jobKey] === 'string' ? (input.applicationProperties[PROPS.jobKey] as string) : undefined;
  const jobKey = specKey ?? propKey ?? input.messageId;
  const log = deps.log.with({ jobKey, ...ids });
  const source = { kind: 'message' as const, ref: input.messageId };
  const payload = () => (typeof input.body === 'string' ? input.body : Buffer.isBuffer(input.body) ? input.body.toString('utf8') : JSON.stringify(input.body) ?? String(input.body));

  try {
    if (!request.ok) return await reject(jobKey, request.problems.map(problemToString));

    const existing = await deps.ledger.get(jobKey);
    if (existing && SETTLED_STATES.has(existing.state)) {
      await record(deps, jobKey, { state: existing.state === 'rejected' ? 'rejected' : 'already-launched', detail: `delivered again; the job is already ${existing.state}`, ids });
      log.info('duplicate delivery: nothing to do', { state: existing.state });
      return { kind: 'duplicate', jobKey, state: existing.state };
    }
    await record(deps, jobKey, { state: 'received', source, ids, ...(request.value.template ? { detail: `template ${request.value.template}` } : {}) });

    const inline = request.value.inlineScript;
    const staged = inline ? stagingLocation(jobKey, inline, deps) : undefined;
    if (inline && !staged) return await reject(jobKey, ['script: inline scripts need settings.intake.staging (account and filesystem to stage them in)']);
    const spec = staged ? { ...request.value.spec, main: staged.abfss } : request.value.spec;
    const prepared = prepareJob(spec, settings, { source, fallbackJobKey: jobKey });
    if (!prepared.ok) return await reject(jobKey, prepared.problems.map(problemToString));
    const job = prepared.value;
    if (inline && staged) await deps.files.writeText(staged.location, inline.content, 'text/x-python');

    const outcome = await launchJob(job, await deps.cluster(), { retry: settings.kubernetes.retry });
    switch (outcome.kind) {
      case 'launched':
      case 'already-launched':
        await record(deps, jobKey, { state: outcome.kind, ...located(job), ids, detail: outcome.created.length > 0 ? `created ${outcome.created.map((r) => `${r.kind}/${r.name}`).join(', ')}` : undefined });
        log.info(outcome.kind, { namespace: job.namespace, driverPod: job.names.driverPod });
        return { kind: outcome.kind, jobKey, outcome };
      case 'rejected':
        return await reject(jobKey, outcome.reasons, job);
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

  async function reject(key: string, reasons: readonly string[], job?: ResolvedJob): Promise<MessageResult> {
    await record(deps, key, { state: 'rejected', reasons, payload: payload(), source, ids, ...(job ? located(job) : {}) });
    log.warn('rejected', { reasons });
    return { kind: 'rejected', jobKey: key, reasons };
  }

  async function defer(job: ResolvedJob, reason: string): Promise<MessageResult> {
    const history = deferralHistory(input.applicationProperties[PROPS.deferrals], input.applicationProperties[PROPS.firstSeen], input.enqueuedTime ?? deps.now());
    if (history.ignored.length > 0) log.warn('ignored unusable deferral properties', { ignored: history.ignored });
    const deferrals = history.deferrals + 1;
    const { firstSeen } = history;
    const decision = nextDeferral(settings.intake.deferral, deferrals, firstSeen, deps.now(), deps.random);
    if (decision.kind === 'give-up') {
      return reject(jobKey, [`no room for the driver in namespace ${job.namespace} after waiting ${decision.waitedSeconds} s (settings.intake.deferral.maxTotalWaitSeconds): ${reason}`], job);
    }
    await deps.queue.schedule(
      {
        body: input.body,
        // Deterministic: if this handler dies after scheduling, the redelivery schedules the same
        // message id again and duplicate detection drops it.
        messageId: `${hashKey(jobKey)}~d${deferrals}`,
        applicationProperties: { [PROPS.jobKey]: jobKey, [PROPS.deferrals]: deferrals, [PROPS.firstSeen]: firstSeen.toISOString() },
        subject: 'job',
      },
      decision.at,
    );
    await record(deps, jobKey, { state: 'deferred', ...located(job), deferredUntil: decision.at.toISOString(), detail: reason, ids });
    log.info('deferred: the cluster is full', { until: decision.at.toISOString(), deferrals });
    return { kind: 'rescheduled', jobKey, at: decision.at, deferrals };
  }
}

function located(job: ResolvedJob) {
  return { name: job.name, namespace: job.namespace, driverPod: job.names.driverPod, backend: job.backend };
}


function stagingLocation(jobKey: string, script: InlineScript, deps: IntakeDeps) {
  const staging = deps.settings.intake.staging;
  if (!staging) return undefined;
  const prefix = staging.prefix; // normalised when settings are parsed: no leading /, a trailing / unless empty
  const path = `${prefix}${hashKey(jobKey)}/${script.fileName}`;
  return {
    location: { account: staging.account, filesystem: staging.filesystem, path },
    abfss: `abfss://${staging.filesystem}@${staging.account}.dfs.core.windows.net/${path}`,
  };
}

