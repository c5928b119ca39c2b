/**
 * Service Bus queue trigger: one job message per invocation. Resolving completes the message;
 * throwing abandons it, so Service Bus redelivers it (and dead-letters it after maxDeliveryCount).
 *
 * One trigger per tenant queue: the queue a message arrived on decides its tenant, and only that
 * team may send to it (Service Bus RBAC per queue), so no message body can speak for another team.
 */
import { app, type InvocationContext } from '@azure/functions';
import { readServiceBusTrigger } from '../src/runtime/serviceBusTriggerMetadata.js';
import type { IntakeDeps } from '../src/usecases/intakeDeps.js';
import { contextLogger } from './contextLogger.js';

/** @param queue the queue this trigger receives from; undefined: settings.serviceBus.jobQueue (the single-team form). */
export function makeJobMessagesHandler(getDeps: () => Promise<IntakeDeps>, queue?: string) {
  return async function jobMessages(message: unknown, context: InvocationContext): Promise<void> {
    // As the host delivers it: ids JSON-parsed (a numeric id is a number), enqueuedTimeUtc without an offset.
    const trigger = readServiceBusTrigger(context.triggerMetadata, context.invocationId);
    // The use case (schemas, renderers, adapters) loads on the first message, not when the host
    // imports this file to index the functions: that keeps the cold start short.
    const [{ handleJobMessage }, deps] = await Promise.all([import('../src/usecases/handleJobMessage.js'), getDeps()]);
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
    context.info(JSON.stringify({ message: 'job message settled', outcome: result.kind, jobKey: result.jobKey, invocationId: context.invocationId }));
  };
}

const deps = async () => (await import('../src/runtime/functionsRuntime.js')).functionsDeps();
export const jobMessages = makeJobMessagesHandler(deps);

/** The tenants' queues, comma-separated (SPARK_DISPATCH_JOB_QUEUES); unset: the one queue SPARK_DISPATCH_JOB_QUEUE. */
export function tenantQueues(env: Readonly<Record<string, string | undefined>>): string[] {
  return [...new Set((env.SPARK_DISPATCH_JOB_QUEUES ?? '').split(',').map((q) => q.trim()).filter((q) => q !== ''))];
}

const queues = tenantQueues(process.env);
if (queues.length === 0) {
  app.serviceBusQueue('jobMessages', { connection: 'ServiceBusConnection', queueName: '%SPARK_DISPATCH_JOB_QUEUE%', handler: jobMessages });
} else {
  // Function names allow letters, digits, - and _; queue names may also hold dots.
  for (const queue of queues) {
    app.serviceBusQueue(`jobMessages-${queue.replace(/[^A-Za-z0-9_-]/g, '_')}`, { connection: 'ServiceBusConnection', queueName: queue, handler: makeJobMessagesHandler(deps, queue) });
  }
}
