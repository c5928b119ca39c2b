/**
 * Runs a Service Bus queue trigger handler outside the Functions host, with the host's settlement
 * behaviour (host.json autoCompleteMessages): the handler resolves → complete; it throws → abandon,
 * so Service Bus redelivers at once and dead-letters after maxDeliveryCount. Used by the local
 * stack and by integration tests; in Azure the real host does this.
 *
 * The trigger metadata is shaped as the host gives it: deliveryCount is 1 on the first delivery
 * (the JS SDK reports the AMQP header's count of failed deliveries, 0 on the first), and
 * application property names have their first letter lower-cased.
 */
import functions, { type InvocationContext } from '@azure/functions';
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { randomUUID } from 'node:crypto';

export type QueueHandler = (message: unknown, context: InvocationContext) => Promise<void>;

export interface QueueTriggerHost {
  close(): Promise<void>;
  /** Settled messages so far, for progress displays and tests. */
  readonly settled: { completed: number; abandoned: number };
}

export interface QueueTriggerOptions {
  readonly client: ServiceBusClient;
  readonly queueName: string;
  readonly functionName: string;
  readonly handler: QueueHandler;
  /** host.json serviceBus.maxConcurrentCalls (default 16). */
  readonly maxConcurrentCalls?: number;
  readonly onLog?: (level: string, line: string) => void;
}

export function startQueueTriggerHost(options: QueueTriggerOptions): QueueTriggerHost {
  const receiver = options.client.createReceiver(options.queueName, { receiveMode: 'peekLock' });
  const settled = { completed: 0, abandoned: 0 };
  const subscription = receiver.subscribe(
    {
      processMessage: async (message) => {
        const context = invocationContext(options.functionName, message, options.onLog);
        try {
          await options.handler(message.body, context);
        } catch (error) {
          options.onLog?.('error', `${options.functionName} failed: ${String(error)}`);
          await receiver.abandonMessage(message);
          settled.abandoned++;
          return;
        }
        await receiver.completeMessage(message);
        settled.completed++;
      },
      processError: async (args) => {
        options.onLog?.('warning', `receiver error on ${options.queueName}: ${String(args.error)}`);
      },
    },
    { autoCompleteMessages: false, maxConcurrentCalls: options.maxConcurrentCalls ?? 16 },
  );
  return {
    settled,
    async close() {
      await subscription.close();
      await receiver.close();
    },
  };
}

function invocationContext(functionName: string, message: ServiceBusReceivedMessage, onLog?: (level: string, line: string) => void): InvocationContext {
  const applicationProperties = Object.fromEntries(Object.entries(message.applicationProperties ?? {}).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
  return new functions.InvocationContext({
    invocationId: randomUUID(),
    functionName,
    triggerMetadata: {
      messageId: message.messageId === undefined ? undefined : String(message.messageId),
      deliveryCount: (message.deliveryCount ?? 0) + 1,
      enqueuedTimeUtc: message.enqueuedTimeUtc?.toISOString(),
      sequenceNumber: message.sequenceNumber?.toString(),
      lockToken: message.lockToken,
      correlationId: message.correlationId === undefined ? undefined : String(message.correlationId),
      subject: message.subject,
      applicationProperties,
    },
    logHandler: (level, ...args) => onLog?.(level, args.map(String).join(' ')),
  });
}
