/**
 * Writing to the ledger and publishing the matching lifecycle event, the same way from every
 * trigger. The event goes first, with a deterministic message id (the topic's duplicate
 * detection drops a repeat); then the ledger step. If the publish fails, the step records the
 * event as owed (in the same write), and the next step or the sweeper's reconciler sends it: every
 * state change reaches the topic at least once, and the happy path costs no extra write. If the
 * write fails after the publish, the step is retried (the message comes back) and publishes again.
 */
import { recordStep, withPaid, type LedgerEvent, type LedgerRecord, type OwedEvent } from '../domain/intake/ledgerRecord.js';
import { telemetry } from '../shared/telemetry.js';
import type { IntakeDeps } from './intakeDeps.js';
import type { EventsPort, LifecycleEvent, LifecycleEventType } from './queuePort.js';
import { tenantOfKey } from '../domain/tenant/jobIdentity.js';

export const PUBLISHED: ReadonlySet<string> = new Set<LifecycleEventType>([
  'launched',
  'rejected',
  'deferred',
  'queued',
  'dead-lettered',
  'swept',
  'finished',
  'lost',
]);

export async function record(
  deps: Pick<IntakeDeps, 'ledger' | 'events' | 'now' | 'settings'> & { readonly log?: IntakeDeps['log'] },
  jobKey: string,
  event: LedgerEvent,
): Promise<LedgerRecord> {
  const now = deps.now();
  let owe: OwedEvent | undefined;
  if (PUBLISHED.has(event.state)) {
    const lifecycle: OwedEvent = {
      type: event.state,
      at: now.toISOString(),
      ...(event.reasons ? { reasons: event.reasons } : {}),
      ...(event.detail ? { detail: event.detail } : {}),
    };
    try {
      await deps.events.publish(lifecycleEvent(jobKey, lifecycle, event));
    } catch (error) {
      owe = lifecycle;
      deps.log?.warn('lifecycle event not published: the ledger owes it', { jobKey, type: event.state, error: String(error) });
    }
  }
  const stored = await deps.ledger.update(jobKey, (current) =>
    recordStep(current, jobKey, owe ? { ...event, owe } : event, now, deps.settings.ledger.maxPayloadBytes),
  );
  telemetry.jobStep(event.state, stored.namespace);
  return stored;
}

/**
 * A job's first step, when the key has no record yet: one conditional create, no read. Returns
 * undefined when it was written, or the record that holds the key (nothing written). Only for
 * steps that publish no event (the claim): a published step goes through {@link record}.
 */
export async function recordFirst(
  deps: Pick<IntakeDeps, 'ledger' | 'now' | 'settings'>,
  jobKey: string,
  event: LedgerEvent,
): Promise<LedgerRecord | undefined> {
  if (PUBLISHED.has(event.state)) throw new Error(`recordFirst: "${event.state}" publishes an event; use record()`);
  const first = recordStep(undefined, jobKey, event, deps.now(), deps.settings.ledger.maxPayloadBytes);
  const holder = await deps.ledger.create(jobKey, first);
  if (holder === undefined) telemetry.jobStep(event.state, first.namespace);
  return holder;
}

/** The topic message for an event of a job: where it runs as far as the step or the record knows. */
export function lifecycleEvent(
  jobKey: string,
  event: OwedEvent,
  where: { readonly namespace?: string | undefined; readonly driverPod?: string | undefined },
): LifecycleEvent {
  const tenant = tenantOfKey(jobKey);
  return {
    type: event.type as LifecycleEventType,
    jobKey,
    at: event.at,
    ...(tenant ? { tenant } : {}),
    ...(where.namespace ? { namespace: where.namespace } : {}),
    ...(where.driverPod ? { driverPod: where.driverPod } : {}),
    ...(event.reasons ? { reasons: event.reasons } : {}),
    ...(event.detail ? { detail: event.detail } : {}),
  };
}

/**
 * Sends what a record owes the topic, then clears what was sent (a conditional write). Used by
 * the sweeper's reconciler; an event that fails again stays owed for the next run.
 */
export async function payOwed(deps: Pick<IntakeDeps, 'ledger'> & { readonly events: EventsPort }, owing: LedgerRecord): Promise<number> {
  const paid: OwedEvent[] = [];
  for (const owed of owing.owed ?? []) {
    try {
      await deps.events.publish(lifecycleEvent(owing.jobKey, owed, owing));
      paid.push(owed);
    } catch {
      break; // the topic is still failing: the rest waits for the next run, in order
    }
  }
  if (paid.length === 0) return 0;
  await deps.ledger.update(owing.jobKey, (current) => {
    if (current === undefined) throw new Error(`the record of ${owing.jobKey} is gone`);
    return withPaid(current, paid);
  });
  return paid.length;
}
