/**
 * Lifecycle events sent through coalescingSender with the real @azure/service-bus SDK to the
 * project's broker: concurrent publishes share transfers, every event arrives once, a quiet sender
 * sends each event at once, and a failure reaches exactly the callers whose events it concerned.
 */
import { ServiceBusClient, isServiceBusError, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../dev/servicebus-broker/index.js';
import { coalescingSender } from '../../src/adapters/serviceBus/coalescingSender.js';
import { serviceBusEvents } from '../../src/adapters/serviceBus/serviceBusQueue.js';
import type { LifecycleEvent } from '../../src/usecases/queuePort.js';

const MAX_MESSAGE = 64 * 1024;
let broker: Broker;
let client: ServiceBusClient;

beforeAll(async () => {
  broker = await startBroker({
    queues: { many: {}, quiet: {}, sizes: {} },
    topics: { events: { subscriptions: { all: {} } } },
    maxMessageSizeBytes: MAX_MESSAGE,
  });
  client = new ServiceBusClient(broker.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

afterAll(async () => {
  await client.close();
  await broker.close();
});

async function drain(queue: string, subscription?: string): Promise<ServiceBusReceivedMessage[]> {
  const receiver = subscription
    ? client.createReceiver(queue, subscription, { receiveMode: 'receiveAndDelete' })
    : client.createReceiver(queue, { receiveMode: 'receiveAndDelete' });
  const all: ServiceBusReceivedMessage[] = [];
  for (;;) {
    const got = await receiver.receiveMessages(500, { maxWaitTimeInMs: 300 });
    if (got.length === 0) break;
    all.push(...got);
  }
  await receiver.close();
  return all;
}

describe('coalescingSender', () => {
  it('publishes made at the same time share transfers, and every message arrives exactly once', async () => {
    const sender = client.createSender('many');
    const batched = coalescingSender(() => sender);
    await batched.send({ body: 'warm-up', messageId: 'warm-up' });
    const before = broker.stats().transfers;
    await Promise.all(Array.from({ length: 200 }, (_, i) => batched.send({ body: { i }, messageId: `m-${i}` })));
    const transfers = broker.stats().transfers - before;
    // Without coalescing, 200 transfers; here they wait for the send in flight and go in a few batches.
    expect(transfers).toBeGreaterThanOrEqual(1);
    expect(transfers).toBeLessThanOrEqual(10);
    const received = await drain('many');
    const ids = received.map((m) => String(m.messageId)).filter((id) => id !== 'warm-up');
    expect(new Set(ids).size).toBe(200);
    expect(ids).toHaveLength(200);
    await sender.close();
  });

  it('a quiet sender sends each message at once, alone, in order', async () => {
    const sender = client.createSender('quiet');
    const batched = coalescingSender(() => sender);
    const before = broker.stats().transfers;
    for (let i = 0; i < 5; i++) await batched.send({ body: { i }, messageId: `q-${i}` });
    expect(broker.stats().transfers - before).toBe(5);
    expect((await drain('quiet')).map((m) => m.messageId)).toEqual(['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
    await sender.close();
  });

  it('what does not fit in one batch goes in the next; a message too large alone fails for its caller only', async () => {
    const sender = client.createSender('sizes');
    const batched = coalescingSender(() => sender);
    const blocker = batched.send({ body: 'first', messageId: 'first' });
    // Queued while the first is on the wire: 6 × 20 KiB do not fit one 64 KiB batch; one of 100 KiB fits none.
    const big = (i: number) => batched.send({ body: 'x'.repeat(20 * 1024), messageId: `big-${i}` });
    const results = await Promise.allSettled([
      blocker,
      ...Array.from({ length: 3 }, (_, i) => big(i)),
      batched.send({ body: 'y'.repeat(100 * 1024), messageId: 'too-large' }),
      ...Array.from({ length: 3 }, (_, i) => big(i + 3)),
    ]);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, reason: r.reason as unknown }] : []));
    expect(failed.map((f) => f.i)).toEqual([4]);
    expect(isServiceBusError(failed[0]!.reason) && failed[0]!.reason.code).toBe('MessageSizeExceeded');
    const ids = (await drain('sizes')).map((m) => String(m.messageId)).sort();
    expect(ids).toEqual(['big-0', 'big-1', 'big-2', 'big-3', 'big-4', 'big-5', 'first']);
    await sender.close();
  });

  it('when the send fails, every caller whose message was in it hears the error, and the next send works again', async () => {
    const sender = client.createSender('nowhere');
    const batched = coalescingSender(() => sender);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => batched.send({ body: i, messageId: `n-${i}` })));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    await sender.close().catch(() => undefined);
  });
});

describe('serviceBusEvents', () => {
  it('lifecycle events published together reach the topic in fewer transfers, each with its own id and properties', async () => {
    const events = serviceBusEvents(client, 'events');
    const at = '2026-12-06T22:00:00.000Z';
    const event = (i: number): LifecycleEvent =>
      ({ type: 'launched', jobKey: `team-a/job-${i}`, at, tenant: 'team-a', namespace: 'spark-a' }) as LifecycleEvent;
    await events.publish(event(-1));
    const before = broker.stats().transfers;
    await Promise.all(Array.from({ length: 50 }, (_, i) => events.publish(event(i))));
    expect(broker.stats().transfers - before).toBeLessThan(50);
    const received = await drain('events', 'all');
    expect(received).toHaveLength(51);
    const one = received.find((m) => m.applicationProperties?.jobKey === 'team-a/job-7')!;
    expect(one.subject).toBe('launched');
    expect(one.applicationProperties).toMatchObject({ type: 'launched', tenant: 'team-a', namespace: 'spark-a' });
    expect(new Set(received.map((m) => m.messageId)).size).toBe(51);
    await events.close();
  });
});
