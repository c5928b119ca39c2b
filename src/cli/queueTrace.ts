/**
 * A job's trace on its tenant's queue, for when the ledger has none (storage was down when the
 * job came): a scheduled copy waiting to come back, or a dead-lettered message with its reason.
 * Read by peeking: nothing is received, locked or changed.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { PROPS } from '../domain/intake/messageProps.js';

export interface QueuedJob {
  readonly where: 'scheduled' | 'waiting' | 'dead-lettered';
  readonly messageId: string;
  /** The key the message asks for: sd-job-key, else the body's jobKey, else its (original) message id. */
  readonly jobKey: string;
  readonly at?: Date | undefined;
  readonly reason?: string | undefined;
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  readonly sequenceNumber?: bigint | undefined;
}

/** Peeks at most this many messages of a queue (and as many of its dead-letter queue). */
export const MAX_PEEK = 1000;

export function requestedKey(message: Pick<ServiceBusReceivedMessage, 'applicationProperties' | 'body' | 'messageId'>): string {
  const props = message.applicationProperties ?? {};
  if (typeof props[PROPS.jobKey] === 'string') return props[PROPS.jobKey] as string;
  const body = message.body as { jobKey?: unknown } | undefined;
  if (body !== null && typeof body === 'object' && typeof body.jobKey === 'string') return body.jobKey;
  if (typeof props[PROPS.messageId] === 'string') return props[PROPS.messageId] as string;
  return String(message.messageId ?? '');
}

function view(message: ServiceBusReceivedMessage, where: QueuedJob['where']): QueuedJob {
  return {
    where,
    messageId: String(message.messageId ?? ''),
    jobKey: requestedKey(message),
    at: where === 'scheduled' ? message.scheduledEnqueueTimeUtc : message.enqueuedTimeUtc,
    reason:
      where === 'dead-lettered' ? [message.deadLetterReason, message.deadLetterErrorDescription].filter(Boolean).join(': ') : undefined,
    body: message.body,
    applicationProperties: message.applicationProperties ?? {},
    sequenceNumber: message.sequenceNumber === undefined ? undefined : BigInt(message.sequenceNumber.toString()),
  };
}

/** Every message of a queue and of its dead-letter queue, as jobs. */
export async function queuedJobs(client: ServiceBusClient, queue: string): Promise<QueuedJob[]> {
  const jobs: QueuedJob[] = [];
  for (const deadLetter of [false, true]) {
    const receiver = client.createReceiver(queue, deadLetter ? { subQueueType: 'deadLetter' } : {});
    try {
      const peeked = await receiver.peekMessages(MAX_PEEK);
      for (const m of peeked) jobs.push(view(m, deadLetter ? 'dead-lettered' : m.state === 'scheduled' ? 'scheduled' : 'waiting'));
    } finally {
      await receiver.close();
    }
  }
  return jobs;
}
