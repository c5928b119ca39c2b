/**
 * Runs a Service Bus queue trigger handler outside the Functions host, with the host's settlement
 * behaviour (host.json autoCompleteMessages): the handler resolves → complete; it throws → abandon,
 * so Service Bus redelivers at once and dead-letters after maxDeliveryCount. Used by the local
 * stack and by integration tests; in Azure the real host does this.
 *
 * The trigger metadata is exactly what the host gives a Node function (serviceBusTriggerMetadata):
 * deliveryCount 1 on the first delivery (the JS SDK reports the AMQP header's count of failed
 * deliveries, 0 on the first), `enqueuedTimeUtc` without an offset, ids and other strings
 * JSON-parsed (a message id "12345" is the number 12345), every key's first letter lower-cased.
 */
import functions, { type InvocationContext } from '@azure/functions';
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { randomUUID } from 'node:crypto';
import { serviceBusTriggerMetadata } from '../../src/triggers/serviceBusTriggerMetadata.js';

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

function invocationContext(
  functionName: string,
  message: ServiceBusReceivedMessage,
  onLog?: (level: string, line: string) => void,
): InvocationContext {
  return new functions.InvocationContext({
    invocationId: randomUUID(),
    functionName,
    triggerMetadata: serviceBusTriggerMetadata(message),
    logHandler: (level, ...args) => onLog?.(level, args.map(String).join(' ')),
  });
}
