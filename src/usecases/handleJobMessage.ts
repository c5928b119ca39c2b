/**
 * The Service Bus source of the intake pipeline (intake.ts): a job message, from body to settlement.
 *
 *   tenant = the queue's owner (never the body); a storage event handed back to be looked at again ─► recheckStorageEvent
 *   request: decode + read (spec | tenant's template | inline script, staged at its content hash)
 *   key <tenant>/<jobKey | the message's job-key property | the message id>
 *   policy: handled = settled (launched, finished, swept, rejected, lost), checked after prepare;
 *           a repeat adds "delivered again" to the history; a key held by another request ─► refused
 *           under the request's own key (refused:message:<id>)
 *   deferred (cluster full) ─► scheduled copy, growing delay ─► ledger "deferred"
 *                              └ waited too long ─► ledger "rejected"
 *   an outage at any step (API server, storage, the ledger) ─► scheduled copy, growing delay ─► "retrying"
 *         ├ Service Bus cannot schedule either ─► throw: the message stays and comes back
 *         └ retried longer than intake.retry.maxTotalWaitSeconds ─► "dead-lettered", throw
 *
 * Completing is resolving; throwing makes the Functions host abandon the message, so Service Bus
 * redelivers it and dead-letters it after maxDeliveryCount. An outage never burns deliveries in a
 * tight loop: the job waits as a scheduled message, on the queue, durable even while the ledger is
 * down. Nothing is ever dropped silently.
 */
import { deferralHistory, nextDeferral } from '../domain/intake/deferral.js';
import { COPY_PENDING, PROPS } from '../domain/intake/messageProps.js';
import { placeOf, SETTLED_STATES } from '../domain/intake/ledgerRecord.js';
import { boundedJson } from '../domain/spec/bounds.js';
import { readJobMessage, type InlineScript } from '../domain/spec/jobMessage.js';
import { tenantOfQueue } from '../domain/tenant/tenancy.js';
import type { TenantIntake } from '../settings/settingsSchema.js';
import { problemToString } from '../domain/spec/problem.js';
import { DispatchError } from '../shared/errors.js';
import { recheckStorageEvent, type EventResult } from './handleStorageEvents.js';
import { intake, type BuiltSpec, type IntakeOutcome, type Prepared } from './intake.js';
import type { IntakeDeps } from './intakeDeps.js';
import { record } from './jobLedger.js';
import { ATTR, telemetry } from '../shared/telemetry.js';
import { deferralMessageId, refusalKey, retryMessageId, scopedKey, sha256Hex } from '../domain/tenant/jobIdentity.js';

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

/** What the job-message policy adds to the pipeline's outcomes: the job waits as a scheduled copy. */
type Later =
  | { readonly kind: 'rescheduled'; readonly jobKey: string; readonly at: Date; readonly deferrals: number }
  /** An outage: the job comes back at `at` as a scheduled message (attempt `attempt` of the retry budget). */
  | { readonly kind: 'retrying'; readonly jobKey: string; readonly at: Date; readonly attempt: number; readonly error: string };

type MessageOutcome = IntakeOutcome<Later>;

export type MessageResult =
  | MessageOutcome
  /** A storage event handed to the queue to be looked at again (a copy that was pending), handled as such. */
  | { readonly kind: 'storage-event'; readonly jobKey: string; readonly results: readonly EventResult[] };

export { PROPS };

export async function handleJobMessage(input: JobMessageInput, deps: IntakeDeps): Promise<MessageResult> {
  return telemetry.span(
    'spark-dispatch job message',
    { [ATTR.messageId]: input.messageId, [ATTR.deliveryCount]: input.deliveryCount },
    async (set) => {
      const result = await handleOnce(input, deps);
      set({ [ATTR.jobKey]: result.jobKey, [ATTR.outcome]: result.kind });
      return result;
    },
  );
}

async function handleOnce(input: JobMessageInput, deps: IntakeDeps): Promise<MessageResult> {
  const { settings } = deps;
  const owner = tenantOfQueue(settings, input.queue);
  if (!owner) {
    // A configuration error, not the message's: it stays on the queue (and dead-letters) rather than being lost.
    throw new DispatchError(
      'configuration',
      `queue ${input.queue} is no tenant's job queue (settings tenants.<tenant>.queue); the message stays on the queue`,
    );
  }
  const tenant = owner.id;
  const props = input.applicationProperties;
  if (props[PROPS.storageEvent] === COPY_PENDING) {
    // Not a job request: a CopyBlob event of this tenant's filesystems whose copy was still running.
    const rechecks = props[PROPS.rechecks];
    const count = typeof rechecks === 'string' && /^\d+$/.test(rechecks) ? Number(rechecks) : rechecks;
    const attempt = typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : 0;
    const results = await recheckStorageEvent(
      { body: input.body, tenant, attempt, messageId: input.messageId, invocationId: input.invocationId },
      deps,
    );
    return {
      kind: 'storage-event',
      jobKey: results.find((r) => r.jobKey !== undefined)?.jobKey ?? refusalKey(tenant, `message:${input.messageId}`),
      results,
    };
  }
  // A scheduled copy (deferral, retry) stands for the original message: its id is the request's.
  const requestId = typeof props[PROPS.messageId] === 'string' ? (props[PROPS.messageId] as string) : input.messageId;
  const ids = {
    messageId: input.messageId,
    deliveryCount: input.deliveryCount,
    ...(input.invocationId ? { invocationId: input.invocationId } : {}),
  };
  const request = readJobMessage(input.body, owner.tenant.intake.templates, settings.intake.maxInlineScriptBytes);
  const specKey = request.ok && typeof request.value.spec.jobKey === 'string' ? request.value.spec.jobKey : undefined;
  const propKey = typeof props[PROPS.jobKey] === 'string' ? (props[PROPS.jobKey] as string) : undefined;
  const requested = specKey ?? propKey ?? requestId;
  const jobKey = scopedKey(tenant, requested);
  const log = deps.log.with({ jobKey, tenant, ...ids });
  const source = { kind: 'message' as const, ref: requestId };
  // The ledger keeps the start of what came (the record cuts it to maxPayloadBytes and says so): a
  // body too deep or too large for JSON.stringify is still recorded, never thrown on.
  const payload = () => requestText(input.body, settings.ledger.maxPayloadBytes + 1);

  const inline = request.ok ? request.value.inlineScript : undefined;
  const staging = owner.tenant.intake.staging;
  const staged = inline && staging ? stagingLocation(tenant, staging, inline) : undefined;

  return intake<Later>(
    {
      tenant,
      jobKey,
      requested,
      source,
      ids,
      log,
      // A refused request takes no job key: it is recorded under its own, so the key it asked for
      // stays free (or stays its holder's, untouched).
      refusalKey: refusalKey(tenant, `message:${requestId}`),
      claimDetail: request.ok && request.value.template ? `template ${request.value.template}` : undefined,
      listCreated: true,
      build: (): BuiltSpec => {
        if (!request.ok) return { kind: 'refused', reasons: request.problems.map(problemToString) };
        if (inline && !staging)
          return {
            kind: 'refused',
            reasons: [
              `script: inline scripts need a staging area for tenant ${tenant} (settings tenants.${tenant}.intake.staging: account and filesystem to stage them in)`,
            ],
          };
        return { kind: 'spec', spec: staged ? { ...request.value.spec, main: staged.abfss } : request.value.spec };
      },
      payload,
      beforeLaunch: async () => (inline && staged ? await stage(staged, inline) : undefined),
    },
    { handled: SETTLED_STATES, checkHandledFirst: false, noteRepeat: true, conflict: 'refuse', defer, outage: retryLater },
    deps,
  );

  /**
   * An outage, at any step: the job waits as a scheduled copy with a growing delay (never a tight
   * redelivery loop that burns deliveries), the ledger says so when it can. Past the retry budget,
   * or when Service Bus cannot take the copy either, the message goes back to Service Bus by a throw.
   */
  async function retryLater(error: DispatchError): Promise<MessageOutcome> {
    const history = deferralHistory(props[PROPS.retries], props[PROPS.firstFailure], deps.now());
    const attempt = history.deferrals + 1;
    const decision = nextDeferral(settings.intake.retry, attempt, history.firstSeen, deps.now(), deps.random);
    const note = (state: 'retrying' | 'dead-lettered', detail: string) =>
      // Best effort: the ledger may be what failed. The message (scheduled, or on the queue) is what keeps the job.
      record(deps, jobKey, { state, detail, ids }).catch((ledgerError: unknown) =>
        log.error('could not record the failure in the ledger', { error: String(ledgerError) }),
      );
    if (decision.kind === 'give-up') {
      await note(
        'dead-lettered',
        `${error.message} (an outage for ${decision.waitedSeconds} s, past settings.intake.retry.maxTotalWaitSeconds: Service Bus dead-letters the message, \`spark-dispatch replay\` sends it again)`,
      );
      log.error('outage retries exhausted; the message goes to the dead-letter queue', { error: error.message, kind: error.kind });
      throw error;
    }
    try {
      await deps.queue.schedule(
        {
          queue: input.queue,
          body: input.body,
          // Deterministic, as deferrals: a handler that dies after scheduling schedules the same id again.
          messageId: retryMessageId(jobKey, attempt, Number(props[PROPS.deferrals] ?? 0) || 0),
          applicationProperties: {
            ...carried(props, [PROPS.deferrals, PROPS.firstSeen]),
            [PROPS.jobKey]: requested,
            [PROPS.messageId]: requestId,
            [PROPS.retries]: attempt,
            [PROPS.firstFailure]: history.firstSeen.toISOString(),
          },
          subject: 'job',
        },
        decision.at,
      );
    } catch (scheduleError) {
      const last = input.deliveryCount >= settings.serviceBus.maxDeliveryCount;
      await note(
        last ? 'dead-lettered' : 'retrying',
        `${error.message}; Service Bus could not take the retry either (${String(scheduleError)})${last ? ` (delivery ${input.deliveryCount} of ${settings.serviceBus.maxDeliveryCount}: Service Bus moves the message to the dead-letter queue)` : ` (delivery ${input.deliveryCount}; Service Bus will deliver it again)`}`,
      );
      log[last ? 'error' : 'warn']('launch failed and no retry could be scheduled; the message goes back to Service Bus', {
        error: error.message,
        kind: error.kind,
      });
      throw error;
    }
    await note('retrying', `${error.message} (attempt ${attempt}; the job comes back at ${decision.at.toISOString()})`);
    log.warn('an outage: the job comes back later', { error: error.message, kind: error.kind, attempt, at: decision.at.toISOString() });
    return { kind: 'retrying', jobKey, at: decision.at, attempt, error: error.message };
  }

  /** Writes an inline script where nothing is yet; a script already there must be the very same bytes. */
  async function stage(where: Staged, script: InlineScript): Promise<string | undefined> {
    if ((await deps.files.createText(where.location, script.content, 'text/x-python')) === 'created') return undefined;
    const found = await deps.files.readText(where.location, Buffer.byteLength(script.content, 'utf8') + 1);
    return found?.kind === 'text' && found.text === script.content
      ? undefined
      : `script: the staged copy at ${where.abfss} is not this script (it was changed after staging); nothing was launched`;
  }

  /** The cluster is full: a scheduled copy of the message, back on the tenant's queue, with a growing delay. */
  async function defer({ job, reject }: Prepared<MessageOutcome>, reason: string): Promise<MessageOutcome> {
    const history = deferralHistory(props[PROPS.deferrals], props[PROPS.firstSeen], input.enqueuedTime ?? deps.now());
    if (history.ignored.length > 0) log.warn('ignored unusable deferral properties', { ignored: history.ignored });
    const deferrals = history.deferrals + 1;
    const { firstSeen } = history;
    const decision = nextDeferral(settings.intake.deferral, deferrals, firstSeen, deps.now(), deps.random);
    if (decision.kind === 'give-up') {
      return reject([
        `no room for the driver in namespace ${job.namespace} after waiting ${decision.waitedSeconds} s (settings.intake.deferral.maxTotalWaitSeconds): ${reason}`,
      ]);
    }
    await deps.queue.schedule(
      {
        // Back to the queue it came from: the tenant's own.
        queue: input.queue,
        body: input.body,
        // Deterministic: if this handler dies after scheduling, the redelivery schedules the same
        // message id again and duplicate detection drops it.
        messageId: deferralMessageId(jobKey, deferrals),
        applicationProperties: {
          [PROPS.jobKey]: requested,
          [PROPS.messageId]: requestId,
          [PROPS.deferrals]: deferrals,
          [PROPS.firstSeen]: firstSeen.toISOString(),
        },
        subject: 'job',
      },
      decision.at,
    );
    await record(deps, jobKey, { state: 'deferred', ...placeOf(job), deferredUntil: decision.at.toISOString(), detail: reason, ids });
    log.info('deferred: the cluster is full', { until: decision.at.toISOString(), deferrals });
    return { kind: 'rescheduled', jobKey, at: decision.at, deferrals };
  }
}

/** The named properties a copy keeps from the message it stands for. */
function carried(props: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, string | number> {
  const kept: Record<string, string | number> = {};
  for (const name of names) {
    const value = props[name];
    if (typeof value === 'string' || typeof value === 'number') kept[name] = value;
  }
  return kept;
}

/** The first `maxChars` characters of a message body as text, whatever its form. */
function requestText(body: unknown, maxChars: number): string {
  if (typeof body === 'string') return body.slice(0, maxChars);
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, maxChars * 4))
      .toString('utf8')
      .slice(0, maxChars);
  return boundedJson(body, maxChars);
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
