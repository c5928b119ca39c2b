/**
 * Service Bus queue trigger: one job message per invocation. Resolving completes the message;
 * throwing abandons it, so Service Bus redelivers it (and dead-letters it after maxDeliveryCount).
 */
import { app, type InvocationContext } from '@azure/functions';
import type { IntakeDeps } from '../src/usecases/intakeDeps.js';
import { contextLogger } from './contextLogger.js';

export function makeJobMessagesHandler(getDeps: () => Promise<IntakeDeps>) {
  return async function jobMessages(message: unknown, context: InvocationContext): Promise<void> {
    const meta = context.triggerMetadata ?? {};
    // The use case (schemas, renderers, adapters) loads on the first message, not when the host
    // imports this file to index the functions: that keeps the cold start short.
    const [{ handleJobMessage }, deps] = await Promise.all([import('../src/usecases/handleJobMessage.js'), getDeps()]);
    const result = await handleJobMessage(
      {
        body: message,
        messageId: String(meta.messageId ?? context.invocationId),
        deliveryCount: Number(meta.deliveryCount ?? 1),
        enqueuedTime: typeof meta.enqueuedTimeUtc === 'string' ? new Date(meta.enqueuedTimeUtc) : undefined,
        applicationProperties: (meta.applicationProperties as Record<string, unknown> | undefined) ?? {},
        invocationId: context.invocationId,
      },
      { ...deps, log: contextLogger(context) },
    );
    context.info(JSON.stringify({ message: 'job message settled', outcome: result.kind, jobKey: result.jobKey, invocationId: context.invocationId }));
  };
}

export const jobMessages = makeJobMessagesHandler(async () => (await import('../src/runtime/functionsRuntime.js')).functionsDeps());

app.serviceBusQueue('jobMessages', {
  connection: 'ServiceBusConnection',
  queueName: '%SPARK_DISPATCH_JOB_QUEUE%',
  handler: jobMessages,
});
