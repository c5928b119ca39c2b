/**
 * The Service Bus queue trigger's handler: one job message per invocation. Resolving completes the
 * message; throwing abandons it, so Service Bus redelivers it (and dead-letters it after
 * maxDeliveryCount). functions/jobMessages.ts registers it, once per tenant queue.
 */
import type { InvocationContext } from '@azure/functions';
import type { IntakeDeps } from '../usecases/intakeDeps.js';
import { onceAsync } from '../shared/onceAsync.js';
import { contextLogger } from './contextLogger.js';
import { readServiceBusTrigger } from './serviceBusTriggerMetadata.js';

// The use case (schemas, renderers, adapters) loads on the first message, not when the host imports
// this file to index the functions: that keeps the cold start short. Held after that: an import()
// per invocation still resolves the module each time (a twentieth of a job's CPU under a loader).
const loadUseCase = onceAsync(() => import('../usecases/handleJobMessage.js'));

/** @param queue the queue this trigger receives from; undefined: settings.serviceBus.jobQueue (the single-team form). */
export function makeJobMessagesHandler(getDeps: () => Promise<IntakeDeps>, queue?: string) {
  return async function jobMessages(message: unknown, context: InvocationContext): Promise<void> {
    // As the host delivers it: ids JSON-parsed (a numeric id is a number), enqueuedTimeUtc without an offset.
    const trigger = readServiceBusTrigger(context.triggerMetadata, context.invocationId);
    const [{ handleJobMessage }, deps] = await Promise.all([loadUseCase(), getDeps()]);
    const log = contextLogger(context);
    if (trigger.notes.length > 0) log.warn('trigger metadata not as sent', { notes: trigger.notes, messageId: trigger.messageId });
    const result = await handleJobMessage(
      {
        body: message,
        queue: queue ?? deps.settings.serviceBus.jobQueue,
        messageId: trigger.messageId,
        deliveryCount: trigger.deliveryCount,
        enqueuedTime: trigger.enqueuedTime,
        applicationProperties: trigger.applicationProperties,
        invocationId: context.invocationId,
      },
      { ...deps, log },
    );
    context.info(
      JSON.stringify({ message: 'job message settled', outcome: result.kind, jobKey: result.jobKey, invocationId: context.invocationId }),
    );
  };
}
