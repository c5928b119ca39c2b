/** QueuePort and EventsPort over @azure/service-bus senders. */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import type { EventsPort, LifecycleEvent, OutgoingMessage, QueuePort } from '../../usecases/queuePort.js';
import { hashKey } from '../../domain/render/naming.js';
import { toServiceBusError } from './serviceBusClient.js';

const toSdk = (message: OutgoingMessage): ServiceBusMessage => ({
  body: message.body,
  messageId: message.messageId,
  contentType: 'application/json',
  applicationProperties: { ...message.applicationProperties },
  ...(message.subject ? { subject: message.subject } : {}),
});

export function serviceBusQueue(client: ServiceBusClient, queueName: string): QueuePort & { close(): Promise<void> } {
  let sender: ServiceBusSender | undefined;
  const get = () => (sender ??= client.createSender(queueName));
  return {
    async send(message) {
      try {
        await get().sendMessages(toSdk(message));
      } catch (error) {
        throw toServiceBusError(error, `send to queue ${queueName}`);
      }
    },
    async schedule(message, at) {
      try {
        await get().scheduleMessages(toSdk(message), at);
      } catch (error) {
        throw toServiceBusError(error, `schedule on queue ${queueName}`);
      }
    },
    close: async () => sender?.close(),
  };
}

/** Lifecycle events on a topic; the message id is the job key and event type, so repeats deduplicate. */
export function serviceBusEvents(client: ServiceBusClient, topicName: string): EventsPort & { close(): Promise<void> } {
  let sender: ServiceBusSender | undefined;
  return {
    async publish(event: LifecycleEvent) {
      try {
        await (sender ??= client.createSender(topicName)).sendMessages({
          body: event,
          // One event of each kind per job, so a redelivered message that publishes again is dropped
          // by the topic's duplicate detection; a job can be deferred many times, so those keep their time.
          messageId: `${hashKey(event.jobKey)}:${event.type}${event.type === 'deferred' ? `:${event.at}` : ''}`,
          subject: event.type,
          contentType: 'application/json',
          correlationId: event.jobKey.slice(0, 128),
          applicationProperties: { type: event.type, jobKey: event.jobKey.slice(0, 256), ...(event.namespace ? { namespace: event.namespace } : {}) },
        });
      } catch (error) {
        throw toServiceBusError(error, `publish ${event.type} to topic ${topicName}`);
      }
    },
    close: async () => sender?.close(),
  };
}
