/** QueuePort and EventsPort over @azure/service-bus senders. */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import type { EventsPort, LifecycleEvent, OutgoingMessage, QueuePort } from '../../usecases/queuePort.js';
import { toServiceBusError } from './serviceBusClient.js';
import { lifecycleMessageId } from '../../domain/tenant/jobIdentity.js';
import { coalescingSender } from './coalescingSender.js';

const toSdk = (message: OutgoingMessage): ServiceBusMessage => ({
  body: message.body,
  messageId: message.messageId,
  contentType: 'application/json',
  applicationProperties: { ...message.applicationProperties },
  ...(message.subject ? { subject: message.subject } : {}),
});

/** Every job queue through one client: one sender per queue, made on its first message. */
export function serviceBusQueues(client: ServiceBusClient): QueuePort & { close(): Promise<void> } {
  const senders = new Map<string, ServiceBusSender>();
  const get = (queue: string) => {
    let sender = senders.get(queue);
    if (!sender) senders.set(queue, (sender = client.createSender(queue)));
    return sender;
  };
  return {
    async send(message) {
      try {
        await get(message.queue).sendMessages(toSdk(message));
      } catch (error) {
        throw toServiceBusError(error, `send to queue ${message.queue}`);
      }
    },
    async schedule(message, at) {
      try {
        await get(message.queue).scheduleMessages(toSdk(message), at);
      } catch (error) {
        throw toServiceBusError(error, `schedule on queue ${message.queue}`);
      }
    },
    close: async () => {
      await Promise.all([...senders.values()].map((s) => s.close()));
    },
  };
}

/**
 * Lifecycle events on a topic; the message id is the job key and event type, so repeats deduplicate.
 * Events published while another send is in flight go together in one batch (coalescingSender).
 */
export function serviceBusEvents(client: ServiceBusClient, topicName: string): EventsPort & { close(): Promise<void> } {
  let sender: ServiceBusSender | undefined;
  const batched = coalescingSender(() => (sender ??= client.createSender(topicName)));
  return {
    async publish(event: LifecycleEvent) {
      try {
        await batched.send({
          body: event,
          // One event of each kind per job, so a redelivered message that publishes again is dropped
          // by the topic's duplicate detection; a job can be deferred many times, so those keep their time.
          messageId: lifecycleMessageId(event.jobKey, event.type, event.at),
          subject: event.type,
          contentType: 'application/json',
          correlationId: event.jobKey.slice(0, 128),
          applicationProperties: {
            type: event.type,
            jobKey: event.jobKey.slice(0, 256),
            ...(event.tenant ? { tenant: event.tenant } : {}),
            ...(event.namespace ? { namespace: event.namespace } : {}),
          },
        });
      } catch (error) {
        throw toServiceBusError(error, `publish ${event.type} to topic ${topicName}`);
      }
    },
    close: async () => sender?.close(),
  };
}
