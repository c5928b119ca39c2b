/**
 * Writing to the ledger and publishing the matching lifecycle event, the same way from every
 * trigger. The ledger write comes first and must succeed (it is what makes a job durable);
 * publishing follows with deterministic message ids, so a redelivery that publishes again is
 * dropped by the topic's duplicate detection.
 */
import { recordStep, type LedgerEvent, type LedgerRecord } from '../domain/intake/ledgerRecord.js';
import { scopedKey } from '../domain/tenant/tenancy.js';
import { telemetry } from '../telemetry/telemetry.js';
import type { IntakeDeps } from './intakeDeps.js';
import type { LifecycleEventType } from './queuePort.js';

const PUBLISHED: ReadonlySet<string> = new Set<LifecycleEventType>(['launched', 'rejected', 'deferred', 'queued', 'dead-lettered', 'swept', 'finished']);

export async function record(deps: Pick<IntakeDeps, 'ledger' | 'events' | 'now' | 'settings'>, jobKey: string, event: LedgerEvent): Promise<LedgerRecord> {
  const now = deps.now();
  const stored = await deps.ledger.update(jobKey, (current) => recordStep(current, jobKey, event, now, deps.settings.ledger.maxPayloadBytes));
  telemetry.jobStep(event.state, stored.namespace);
  if (PUBLISHED.has(event.state)) {
    await deps.events.publish({
      type: event.state as LifecycleEventType,
      jobKey,
      at: now.toISOString(),
      ...(stored.tenant ? { tenant: stored.tenant } : {}),
      ...(stored.namespace ? { namespace: stored.namespace } : {}),
      ...(stored.driverPod ? { driverPod: stored.driverPod } : {}),
      ...(event.reasons ? { reasons: event.reasons } : {}),
      ...(event.detail ? { detail: event.detail } : {}),
    });
  }
  return stored;
}

/** Ledger states after which a new delivery of the same job must not launch anything. */
export const SETTLED_STATES: ReadonlySet<string> = new Set(['launched', 'swept', 'finished', 'rejected']);

/**
 * The ledger key of a request refused before it could take a job key (unreadable, against policy,
 * or asking for a key another request holds): its own, from the request's identity (a message id,
 * an event), so a refused request never occupies the key it asked for and a redelivery of it
 * lands on the same record.
 */
export const refusalKey = (tenant: string, requestRef: string): string => scopedKey(tenant, `refused:${requestRef}`);
