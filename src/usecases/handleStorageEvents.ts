/**
 * The storage-event source of the intake pipeline (intake.ts): ADLS Gen2 events (Event Grid,
 * either schema), from a delivered batch to launched jobs. Each route of a file event is one
 * request of the pipeline; what comes before (parsing, tenant, routes, copies) is this file's.
 *
 *   parse + order by sequencer ─► ignored / invalid (logged with the reason, never retried)
 *        │ file event
 *   tenant = the owner of the event's filesystem (settings give each filesystem to one tenant)
 *   route: the tenant's script uploads (<folder>/<job-name>/main.py) and/or landing rules ─► none: ignored, logged
 *        │
 *   CopyBlob? read the copy's status ─ pending ─► handed to the tenant's queue to be looked at again
 *        │                            │           later (growing delay, bounded wait) ─► "waiting"
 *        │                            └ failed, aborted, overwritten, gone ─► ignored, logged
 *        │ one job per route, keyed <tenant>/<file's URL + eTag, or + copy id (and the rule)>
 *   the pipeline, with this policy:
 *     handled = settled, queued or deferred, checked before building ─► duplicate (nothing recorded)
 *     build the spec (job.yaml beside main.py, or the rule's template with its placeholders filled)
 *     refused ─► ledger "rejected" on the job key (it is the event's: no other request can ask for it)
 *     the key held with another spec (job.yaml changed between deliveries) ─► duplicate
 *     deferred, or the cluster failed ─► handed to the Service Bus job queue ─► ledger "queued"
 *     any other outage ─► throw (the batch fails)
 *
 * If any event of the batch fails (the ledger or the queue is down), the handler throws after
 * trying all the others, so Event Grid redelivers the batch; the events already handled are
 * recognised by their ledger records and do not launch again.
 */
import { boundedJson, formatBytes } from '../domain/spec/bounds.js';
import { parseDocument } from '../domain/spec/document.js';
import { routeEvent, type Route } from '../domain/intake/eventRouting.js';
import { fillPlaceholders } from '../domain/intake/placeholders.js';
import { allAccounts, tenantOfFilesystem, type TenantRef } from '../domain/tenant/tenancy.js';
import { placeOf, SETTLED_STATES } from '../domain/intake/ledgerRecord.js';
import { fail, problemToString, type Problem } from '../domain/spec/problem.js';
import type { JobSource } from '../domain/spec/resolveJob.js';
import { isContentKnown, orderEvents, parseStorageEvent, type FileEvent } from '../domain/intake/storageEvent.js';
import { nextDeferral } from '../domain/intake/deferral.js';
import { COPY_PENDING, PROPS } from '../domain/intake/messageProps.js';
import { MAX_SIDECAR_BYTES, SIDECAR_FILES, uploadSpec } from '../domain/intake/uploadSidecar.js';
import type { CopyState, TextRead } from './filesPort.js';
import type { IntakeDeps } from './intakeDeps.js';
import { record } from './jobLedger.js';
import { intake, type BuiltSpec, type IntakeOutcome, type Prepared } from './intake.js';
import {
  eventRefusalKey,
  handoverMessageId,
  hashKey,
  recheckMessageId,
  refusalKey,
  ruleJobKey,
  scopedKey,
  uploadJobKey,
} from '../domain/tenant/jobIdentity.js';

/** `waiting`: a CopyBlob event whose copy is still running, handed to the queue to be looked at again. */
export type EventOutcome =
  'ignored' | 'invalid' | 'duplicate' | 'launched' | 'already-launched' | 'rejected' | 'queued' | 'waiting' | 'failed';

export interface EventResult {
  readonly eventId?: string | undefined;
  readonly outcome: EventOutcome;
  readonly jobKey?: string;
  readonly reason?: string;
}

/** Thrown when part of a batch could not be made durable: the trigger must fail so the batch comes again. */
export class BatchIncomplete extends Error {
  override readonly name = 'BatchIncomplete';
  constructor(
    readonly results: readonly EventResult[],
    readonly failures: readonly unknown[],
  ) {
    super(
      `${failures.length} of ${results.length} storage event(s) could not be handled; the batch must be delivered again: ${failures.map(String).join('; ')}`,
    );
  }
}

// A job in the ledger in one of these states has been handled: launched, refused, or made durable on the queue.
const HANDLED: ReadonlySet<string> = new Set([...SETTLED_STATES, 'queued', 'deferred', 'already-launched']);

export async function handleStorageEvents(rawEvents: readonly unknown[], deps: IntakeDeps, invocationId?: string): Promise<EventResult[]> {
  const results: EventResult[] = [];
  const failures: unknown[] = [];
  const allowedAccounts = Object.keys(allAccounts(deps.settings));

  const parsed = rawEvents.map((raw) => ({ raw, event: parseStorageEvent(raw) }));
  const rawOf = new Map(parsed.map((p) => [p.event, p.raw]));
  // A malformed event is recorded as refused, with what came: it may be an attack or a broken
  // subscription, and either way someone should be able to find it.
  for (const { raw, event } of parsed) {
    if (event.kind !== 'invalid') continue;
    // Bounded: an event refused for its depth or size is recorded all the same.
    const payload = boundedJson(raw, deps.settings.ledger.maxPayloadBytes + 1);
    const key = eventRefusalKey(
      typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id.slice(0, 200) : hashKey(payload),
    );
    deps.log.warn('storage event invalid', { reason: event.reason, jobKey: key, ...(invocationId ? { invocationId } : {}) });
    try {
      await record(deps, key, {
        state: 'rejected',
        reasons: [`invalid storage event: ${event.reason}`],
        payload,
        source: { kind: 'data-landing', ref: 'event' },
      });
      results.push({ outcome: 'invalid', jobKey: key, reason: event.reason });
    } catch (error) {
      failures.push(error);
      results.push({ outcome: 'failed', jobKey: key, reason: String(error) });
    }
  }

  for (const event of orderEvents(parsed.map((p) => p.event).filter((e) => e.kind !== 'invalid'))) {
    const eventId = 'id' in event ? event.id : undefined;
    const log = deps.log.with({ eventId, ...(invocationId ? { invocationId } : {}) });
    if (event.kind !== 'file') {
      if (event.kind === 'ignored') log.info('storage event ignored', { reason: event.reason });
      results.push({ eventId, outcome: 'ignored', reason: event.kind === 'ignored' ? event.reason : 'not a file event' });
      continue;
    }
    if (!allowedAccounts.includes(event.account)) {
      // Not a path we could be watching: an event from an account the settings do not allow.
      const key = eventRefusalKey(event.dedupeKey);
      const reason = `storage account ${event.account} belongs to no tenant (settings tenants.<tenant>.storage)`;
      log.warn('storage event refused', { reason, url: event.url });
      try {
        await record(deps, key, {
          state: 'rejected',
          reasons: [reason],
          payload: JSON.stringify({ id: event.id, url: event.url, eTag: event.eTag, api: event.api }),
          source: { kind: 'data-landing', ref: event.url },
        });
        results.push({ eventId, outcome: 'rejected', jobKey: key, reason });
      } catch (error) {
        failures.push(error);
        results.push({ eventId, outcome: 'failed', jobKey: key, reason: String(error) });
      }
      continue;
    }
    // The filesystem decides the tenant: its upload folders and rules, its templates, its namespaces.
    const owner = tenantOfFilesystem(deps.settings, event.account, event.filesystem);
    if (!owner) {
      const reason = `no tenant owns ${event.account}/${event.filesystem}: no upload folder or landing rule watches it`;
      log.info('storage event ignored', { reason, url: event.url });
      results.push({ eventId: event.id, outcome: 'ignored', reason });
      continue;
    }
    await handleFileEvent(rawOf.get(event), event, owner, deps, log, { results, failures }, invocationId);
  }
  if (failures.length > 0) throw new BatchIncomplete(results, failures);
  return results;
}

/** A storage event looked at again (it came back from the queue): how many times so far. */
interface Recheck {
  readonly attempt: number;
}

interface Outcomes {
  readonly results: EventResult[];
  readonly failures: unknown[];
}

/** One file event of the tenant that owns its filesystem: its routes, each a job. */
async function handleFileEvent(
  raw: unknown,
  delivered: FileEvent,
  owner: TenantRef,
  deps: IntakeDeps,
  log: IntakeDeps['log'],
  out: Outcomes,
  invocationId?: string,
  recheck?: Recheck,
): Promise<void> {
  let event = delivered;
  let routes = routeEvent(event, owner.tenant.intake, Object.keys(owner.tenant.storage));
  if (!isContentKnown(event) && routes.some((r) => r.kind !== 'ignored')) {
    // A CopyBlob event: on a hierarchical-namespace account it fires when the copy starts, so the
    // event says nothing of the content. The copy's own status does.
    let copied: Copied;
    try {
      copied = await readCopy(event, deps);
    } catch (error) {
      out.failures.push(error);
      log.error('storage event not handled; the batch will be delivered again', { error: String(error) });
      out.results.push({ eventId: event.id, outcome: 'failed', reason: String(error) });
      return;
    }
    if (copied.kind === 'ignored') {
      log.info('storage event ignored', { reason: copied.reason, url: event.url });
      out.results.push({ eventId: event.id, outcome: 'ignored', reason: copied.reason });
      return;
    }
    event = copied.event;
    routes = routeEvent(event, owner.tenant.intake, Object.keys(owner.tenant.storage));
    if (copied.kind === 'pending') {
      try {
        out.results.push(...(await waitForCopy(raw, event, copied.copy, routes, owner, deps, log, invocationId, recheck)));
      } catch (error) {
        out.failures.push(error);
        log.error('storage event not handled; the batch will be delivered again', { error: String(error) });
        out.results.push({ eventId: event.id, outcome: 'failed', reason: String(error) });
      }
      return;
    }
  }
  for (const route of routes) {
    if (route.kind === 'ignored') {
      log.info('storage event ignored', { reason: route.reason, url: event.url });
      out.results.push({ eventId: event.id, outcome: 'ignored', reason: route.reason });
      continue;
    }
    const requested = requestedKey(route);
    const jobKey = scopedKey(owner.id, requested);
    try {
      out.results.push({
        eventId: event.id,
        jobKey,
        ...(await handleRoute(route, owner, requested, deps, log.with({ jobKey, tenant: owner.id }), invocationId)),
      });
    } catch (error) {
      out.failures.push(error);
      log.error('storage event not handled; the batch will be delivered again', { error: String(error) });
      out.results.push({ eventId: event.id, jobKey, outcome: 'failed', reason: String(error) });
    }
  }
}

/** The key a route's job asks for, before the tenant is put in front: the file's version (and the rule). */
const requestedKey = (route: Exclude<Route, { kind: 'ignored' }>): string =>
  route.kind === 'script-upload' ? uploadJobKey(route.event.dedupeKey) : ruleJobKey(route.rule.name, route.event.dedupeKey);

type Copied =
  { kind: 'complete'; event: FileEvent } | { kind: 'pending'; event: FileEvent; copy: CopyState } | { kind: 'ignored'; reason: string };

/**
 * What a CopyBlob event stands for, read from the file's copy properties. From here on the event is
 * known by its copy (`<url>#copy:<copy id>`): an asynchronous copy's event carries the eTag of the
 * empty blob the copy starts with, and the eTag changes again when it completes; the copy id does
 * not. Every event that reaches the same copy is the same job.
 */
async function readCopy(event: FileEvent, deps: IntakeDeps): Promise<Copied> {
  const current = await deps.files.properties({ account: event.account, filesystem: event.filesystem, path: event.path });
  const where = `${event.filesystem}/${event.path}`;
  if (!current) return { kind: 'ignored', reason: `${where} no longer exists` };
  const copy = current.copy;
  if (!copy)
    return {
      kind: 'ignored',
      reason: `superseded: ${where} was written since the copy (eTag ${current.etag}) by something else; that write's event starts the job`,
    };
  const dedupeKey = `${event.url}#copy:${copy.id}`;
  switch (copy.status) {
    case 'success':
      // Now the content is known: the file's own eTag and length.
      return {
        kind: 'complete',
        event: { ...event, dedupeKey, copyId: copy.id, eTag: stripQuotes(current.etag), contentLength: current.contentLength },
      };
    case 'pending':
      return { kind: 'pending', event: { ...event, dedupeKey }, copy };
    case 'failed':
    case 'aborted':
      return {
        kind: 'ignored',
        reason: `the copy into ${where} ${copy.status}${copy.description ? ` (${copy.description})` : ''}: the file has no content to start anything with; copy it again`,
      };
  }
}

/**
 * A copy still running: Event Grid sends nothing when it completes, so the event goes to the
 * tenant's queue, scheduled with a growing delay, to be looked at again (recheckStorageEvent).
 * Past settings.intake.copyWait.maxTotalWaitSeconds from the event, each of its jobs is refused.
 */
async function waitForCopy(
  raw: unknown,
  event: FileEvent,
  copy: CopyState,
  routes: readonly Route[],
  owner: TenantRef,
  deps: IntakeDeps,
  log: IntakeDeps['log'],
  invocationId?: string,
  recheck?: Recheck,
): Promise<EventResult[]> {
  const jobs = routes.filter((r): r is Exclude<Route, { kind: 'ignored' }> => r.kind !== 'ignored');
  const attempt = (recheck?.attempt ?? 0) + 1;
  const where = `${event.filesystem}/${event.path}`;
  const decision = nextDeferral(deps.settings.intake.copyWait, attempt, new Date(event.eventTime), deps.now(), deps.random);
  if (decision.kind === 'give-up') {
    const reason = `the copy into ${where} (copy id ${copy.id}) was still pending ${decision.waitedSeconds} s after its event (settings.intake.copyWait.maxTotalWaitSeconds); nothing was launched: copy or upload the file again`;
    const ids = { eventId: event.id, ...(invocationId ? { invocationId } : {}) };
    const results: EventResult[] = [];
    for (const route of jobs) {
      const jobKey = scopedKey(owner.id, requestedKey(route));
      const source: JobSource = { kind: route.kind === 'script-upload' ? 'script-upload' : 'data-landing', ref: event.url };
      await record(deps, jobKey, {
        state: 'rejected',
        tenant: owner.id,
        reasons: [reason],
        source,
        ids,
        payload: JSON.stringify({ event: { id: event.id, url: event.url, api: event.api, copyId: copy.id } }),
      });
      log.warn('rejected', { jobKey, reasons: [reason] });
      results.push({ eventId: event.id, jobKey, outcome: 'rejected', reason });
    }
    return results;
  }
  const first = jobs[0] ? requestedKey(jobs[0]) : undefined;
  await deps.queue.schedule(
    {
      queue: owner.tenant.queue,
      // The event as delivered: it is parsed, checked and routed again when it comes back.
      body: raw,
      // Deterministic: a batch delivered again schedules the same look again, and duplicate detection drops it.
      messageId: recheckMessageId(event.dedupeKey, attempt),
      applicationProperties: { [PROPS.storageEvent]: COPY_PENDING, [PROPS.rechecks]: attempt, ...(first ? { [PROPS.jobKey]: first } : {}) },
      subject: 'storage-event',
    },
    decision.at,
  );
  const reason = `the copy into ${where} is still pending (x-ms-copy-status: pending, copy id ${copy.id}): nothing starts before it completes; looked at again at ${decision.at.toISOString()} (look ${attempt})`;
  log.info('storage event waiting for its copy', { reason, url: event.url });
  return [{ eventId: event.id, ...(first ? { jobKey: scopedKey(owner.id, first) } : {}), outcome: 'waiting', reason }];
}

/**
 * A storage event that came back from a tenant's queue to be looked at again (PROPS.storageEvent
 * `copy-pending`; the body is the event): handled as a delivery of that one event, only for the
 * tenant that owns its filesystem, which must be the queue's. A message that is not such an event
 * is refused under its own id. Throws when the event could not be made durable (the message then
 * comes back from Service Bus).
 */
export async function recheckStorageEvent(
  input: {
    readonly body: unknown;
    readonly tenant: string;
    readonly attempt: number;
    readonly messageId: string;
    readonly invocationId?: string | undefined;
  },
  deps: IntakeDeps,
): Promise<EventResult[]> {
  const event = parseStorageEvent(input.body);
  const ids = { messageId: input.messageId, ...(input.invocationId ? { invocationId: input.invocationId } : {}) };
  const refuse = async (reason: string): Promise<EventResult[]> => {
    const key = refusalKey(input.tenant, `message:${input.messageId}`);
    await record(deps, key, {
      state: 'rejected',
      tenant: input.tenant,
      reasons: [reason],
      payload: boundedJson(input.body, deps.settings.ledger.maxPayloadBytes + 1),
      source: { kind: 'message', ref: input.messageId },
      ids,
    });
    deps.log.warn('storage event to look at again refused', { reason, jobKey: key, ...ids });
    return [{ ...(event.kind !== 'invalid' && event.id ? { eventId: event.id } : {}), jobKey: key, outcome: 'rejected', reason }];
  };
  if (event.kind === 'invalid') return refuse(`invalid storage event: ${event.reason}`);
  if (event.kind === 'ignored') return refuse(`not a storage event to look at again: ${event.reason}`);
  const owner = tenantOfFilesystem(deps.settings, event.account, event.filesystem);
  if (!owner || owner.id !== input.tenant) {
    return refuse(
      `a storage event for ${event.account}/${event.filesystem} came on tenant ${input.tenant}'s queue; only the tenant that owns a filesystem starts jobs from it`,
    );
  }
  const out: Outcomes = { results: [], failures: [] };
  await handleFileEvent(input.body, event, owner, deps, deps.log.with({ eventId: event.id, ...ids }), out, input.invocationId, {
    attempt: input.attempt,
  });
  if (out.failures.length > 0) throw new BatchIncomplete(out.results, out.failures);
  return out.results;
}

/** One route of a file event, as a request of the intake pipeline: the job it stands for, launched or handed to the queue. */
async function handleRoute(
  route: Exclude<Route, { kind: 'ignored' }>,
  owner: TenantRef,
  requested: string,
  deps: IntakeDeps,
  log: IntakeDeps['log'],
  invocationId?: string,
): Promise<Omit<EventResult, 'eventId' | 'jobKey'>> {
  const event = route.event;
  const tenant = owner.id;
  // The key comes from the event (the file's URL and eTag in the tenant's own filesystem): no request chooses it.
  const jobKey = scopedKey(tenant, requested);
  const ids = { eventId: event.id, ...(invocationId ? { invocationId } : {}) };
  const source: JobSource = { kind: route.kind === 'script-upload' ? 'script-upload' : 'data-landing', ref: event.url };

  /**
   * Event Grid cannot wait for capacity or back off; the queue can. The message carries the same
   * job key, so whatever happens next stays one job.
   */
  const handOver = async ({ job, spec }: Prepared<RouteOutcome>, handover: string): Promise<RouteOutcome> => {
    await deps.queue.send({
      // The tenant's own queue: the message path resolves the same tenant and the same key from it.
      queue: owner.tenant.queue,
      body: { ...spec, jobKey: requested },
      messageId: handoverMessageId(jobKey),
      applicationProperties: { [PROPS.jobKey]: requested, [PROPS.firstSeen]: deps.now().toISOString() },
      subject: 'job',
    });
    await record(deps, jobKey, { state: 'queued', ...placeOf(job), ids, detail: `handed to the job queue (${handover})` });
    log.info('handed to the job queue', { reason: handover });
    return { kind: 'queued', jobKey, reason: handover };
  };

  const outcome = await intake<Queued>(
    {
      tenant,
      jobKey,
      requested,
      source,
      ids,
      log,
      claimDetail: route.kind === 'landing' ? `rule ${route.rule.name}` : `upload of ${event.path}`,
      build: () => (route.kind === 'script-upload' ? specFromUpload(route, requested, deps) : specFromRule(route, owner, requested)),
      payload: (spec) => JSON.stringify({ event: { id: event.id, url: event.url, eTag: event.eTag, api: event.api }, spec }),
    },
    {
      handled: HANDLED,
      // An upload's record is read before building: a repeated event must not read the job file
      // again, nor be taken for a superseded upload. A landing rule builds from the event alone,
      // so its key is claimed with one conditional create and no read, as a job message's is; a
      // repeat finds the key held by the same request and is a duplicate all the same.
      checkHandledFirst: route.kind === 'script-upload',
      noteRepeat: false,
      // The same upload with another spec (its job.yaml changed between two deliveries of the event): the first one holds the key.
      conflict: 'duplicate',
      defer: (prepared, reason) => handOver(prepared, `deferred: ${reason}`),
      // The cluster failed (or the ledger, recording what it answered): the queue retries it. Any
      // other step throws, and Event Grid delivers the batch again.
      outage: (error, step, prepared) => {
        if (step !== 'launch' || !prepared) throw error;
        return handOver(prepared, `the cluster failed: ${error.message}`);
      },
    },
    deps,
  );
  switch (outcome.kind) {
    case 'launched':
    case 'already-launched':
      return { outcome: outcome.kind };
    case 'rejected':
      return { outcome: 'rejected', reason: outcome.reasons.join('; ') };
    case 'duplicate':
    case 'ignored':
    case 'queued':
      return { outcome: outcome.kind, reason: outcome.reason };
  }
}

/** What the storage-event policy adds to the pipeline's outcomes: the job handed to the job queue. */
type Queued = { readonly kind: 'queued'; readonly jobKey: string; readonly reason: string };
type RouteOutcome = IntakeOutcome<Queued>;

type Built = BuiltSpec;

/** The script-upload convention: main.py in a job folder, with an optional job.yaml beside it. */
async function specFromUpload(route: Extract<Route, { kind: 'script-upload' }>, jobKey: string, deps: IntakeDeps): Promise<Built> {
  const event = route.event;
  const at = { account: event.account, filesystem: event.filesystem };
  // Out-of-order or late delivery: only the version of main.py that is there now may run.
  const current = await deps.files.properties({ ...at, path: event.path });
  if (!current) return { kind: 'ignored', reason: `${event.path} no longer exists` };
  if (event.eTag && stripQuotes(current.etag) !== stripQuotes(event.eTag)) {
    return {
      kind: 'ignored',
      reason: `superseded: ${event.path} was uploaded again (eTag ${current.etag}); that upload's event starts the job`,
    };
  }
  let sidecar: Record<string, unknown> = {};
  let sidecarFile = SIDECAR_FILES[0]!;
  for (const file of SIDECAR_FILES) {
    // A storage outage throws (and the batch comes again); a job file that is there but unusable is refused, and recorded.
    const found = await deps.files.readText({ ...at, path: `${route.folder}/${file}` }, MAX_SIDECAR_BYTES);
    if (!found) continue;
    const doc = found.kind === 'text' ? parseDocument(found.text, file) : fail<unknown>([unusableFile(found, file)]);
    if (!doc.ok) return { kind: 'refused', reasons: doc.problems.map((p) => `${route.folder}/${file}: ${problemToString(p)}`) };
    sidecar = doc.value as Record<string, unknown>;
    sidecarFile = file;
    break;
  }
  // Beside main.py: the same filesystem and host (and so the same cloud) as the upload itself.
  const folderUri = `${event.abfss.slice(0, event.abfss.length - event.path.length)}${route.folder}/`;
  const built = uploadSpec(
    sidecar,
    { jobName: route.jobName, mainUri: event.abfss, folderUri, sidecarRef: `${route.folder}/${sidecarFile}` },
    jobKey,
  );
  return built.ok ? { kind: 'spec', spec: built.spec } : { kind: 'refused', reasons: built.reasons };
}

/** Why a job file beside main.py that is there cannot be read as one. */
function unusableFile(found: Exclude<TextRead, { kind: 'text' }>, file: string): Problem {
  switch (found.kind) {
    case 'too-large':
      return {
        path: '(file)',
        expected: `a job file of at most ${formatBytes(found.maxBytes)}`,
        found: `${Math.ceil(found.bytes / 1024)} KiB`,
      };
    case 'not-utf8':
      return { path: '(file)', expected: 'a job file in UTF-8 text', found: found.found, hint: found.hint };
    case 'directory':
      return {
        path: '(file)',
        expected: `a job file (${SIDECAR_FILES.join(', ')} beside main.py holds the job's fields)`,
        found: `a directory named ${file}`,
      };
    case 'unreadable':
      return { path: '(file)', expected: 'a job file whose content can be read', found: found.reason };
  }
}

function specFromRule(route: Extract<Route, { kind: 'landing' }>, owner: TenantRef, jobKey: string): Built {
  const templates = owner.tenant.intake.templates;
  const template = Object.hasOwn(templates, route.rule.template) ? templates[route.rule.template] : undefined;
  if (!template)
    return {
      kind: 'refused',
      reasons: [`rule ${route.rule.name}: template "${route.rule.template}" is not among tenant ${owner.id}'s templates`],
    };
  const filled = fillPlaceholders(structuredClone(template), route.parameters);
  if (filled.unknown.length > 0) {
    return {
      kind: 'refused',
      reasons: filled.unknown.map(
        (name) =>
          `rule ${route.rule.name}: template "${route.rule.template}" uses {${name}}, which neither the event nor the rule's parameters provide`,
      ),
    };
  }
  return { kind: 'spec', spec: { ...(filled.value as Record<string, unknown>), jobKey } };
}

const stripQuotes = (etag: string): string => etag.replace(/^W\//, '').replace(/^"|"$/g, '');
