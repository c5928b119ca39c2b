/**
 * The test broker (dev/servicebus-broker) driven by the real `@azure/service-bus` SDK over AMQP.
 *
 * Note on delivery counts: Service Bus puts the number of *failed* deliveries in the AMQP header,
 * and @azure/service-bus 7.x reports that header value unchanged as `deliveryCount`, so against
 * real Service Bus (and here) the first receive shows 0 and the receive after one abandon shows 1.
 * (The .NET and Java SDKs add 1 on their side.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../dev/servicebus-broker/index.js';

let broker: Broker;
const clients: ServiceBusClient[] = [];

function newClient(): ServiceBusClient {
  const client = new ServiceBusClient(broker.connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 50, timeoutInMs: 5_000 },
  });
  clients.push(client);
  return client;
}

async function receiveOne(receiver: ServiceBusReceiver, maxWaitTimeInMs = 2_000): Promise<ServiceBusReceivedMessage> {
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs });
  if (message === undefined) throw new Error('no message received');
  return message;
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isServiceBusError(error) ? error.code : `non-ServiceBusError: ${String(error)}`;
  }
  return 'no error';
}

beforeAll(async () => {
  broker = await startBroker({
    queues: {
      basic: {},
      bodies: {},
      batch: {},
      drain: {},
      abandon: {},
      maxdc: { maxDeliveryCount: 3 },
      deadletter: {},
      shortlock: { lockDurationMs: 300 },
      renew: { lockDurationMs: 500 },
      locklost: { lockDurationMs: 300 },
      sched: {},
      cancel: {},
      peek: {},
      dedupe: { duplicateDetectionWindowMs: 60_000 },
      stream: {},
      size: {},
      rad: {},
      defer: {},
    },
    topics: { events: { subscriptions: { audit: {}, billing: {} } } },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await broker?.close();
});

describe('test broker through @azure/service-bus', () => {
  it('sends, receives in peek-lock and completes', async () => {
    const client = newClient();
    await client.createSender('basic').sendMessages({ body: { job: 'wordcount' }, messageId: 'm-1' });
    expect(broker.messages('basic')).toHaveLength(1);

    const receiver = client.createReceiver('basic');
    const message = await receiveOne(receiver);
    expect(message.body).toEqual({ job: 'wordcount' });
    expect(message.messageId).toBe('m-1');
    expect(message.deliveryCount).toBe(0);
    expect(message.sequenceNumber?.toNumber()).toBe(1);
    expect(message.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(message.lockedUntilUtc!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(message.lockToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(broker.messages('basic')).toHaveLength(0);
    expect(broker.locked('basic')).toHaveLength(1);

    await receiver.completeMessage(message);
    expect(broker.locked('basic')).toHaveLength(0);
    expect(broker.messages('basic')).toHaveLength(0);
  });

  it('round-trips bodies and message properties', async () => {
    const client = newClient();
    const sender = client.createSender('bodies');
    await sender.sendMessages([
      {
        body: { nested: { list: [1, 'two', true] } },
        messageId: 'obj',
        contentType: 'application/json',
        subject: 'job.submit',
        correlationId: 'corr-1',
        applicationProperties: { attempt: 3, tenant: 'acme', urgent: true, ratio: 0.5 },
      },
      { body: 'plain text', messageId: 'str' },
      { body: Buffer.from([0, 1, 2, 255]), messageId: 'buf' },
    ]);
    const view = broker.messages('bodies')[0];
    expect(view).toMatchObject({
      messageId: 'obj',
      body: { nested: { list: [1, 'two', true] } },
      contentType: 'application/json',
      subject: 'job.submit',
      correlationId: 'corr-1',
      applicationProperties: { attempt: 3, tenant: 'acme', urgent: true, ratio: 0.5 },
    });

    const receiver = client.createReceiver('bodies', { receiveMode: 'receiveAndDelete' });
    const received = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2_000 });
    const byId = new Map(received.map((m) => [m.messageId, m]));
    expect(byId.get('obj')).toMatchObject({
      body: { nested: { list: [1, 'two', true] } },
      contentType: 'application/json',
      subject: 'job.submit',
      correlationId: 'corr-1',
      applicationProperties: { attempt: 3, tenant: 'acme', urgent: true, ratio: 0.5 },
    });
    expect(byId.get('str')?.body).toBe('plain text');
    expect(Buffer.from(byId.get('buf')?.body as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('batch-sends 100 messages and receives them all', async () => {
    const client = newClient();
    const sender = client.createSender('batch');
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    for (let i = 0; i < 100; i++) {
      expect(batch.tryAddMessage({ body: { i }, messageId: `b-${i}` })).toBe(true);
    }
    await sender.sendMessages(batch);
    expect(broker.messages('batch')).toHaveLength(100);

    const receiver = client.createReceiver('batch');
    const received = await receiver.receiveMessages(100, { maxWaitTimeInMs: 3_000 });
    expect(received).toHaveLength(100);
    expect(received.map((m) => (m.body as { i: number }).i)).toEqual([...Array(100).keys()]);
    const sequenceNumbers = received.map((m) => m.sequenceNumber!.toNumber());
    expect(sequenceNumbers).toEqual([...sequenceNumbers].sort((a, b) => a - b));
    await Promise.all(received.map((m) => receiver.completeMessage(m)));
    expect(broker.locked('batch')).toHaveLength(0);
  });

  it('drains unused credit so a later receive gets exactly what it asked for', async () => {
    const client = newClient();
    const sender = client.createSender('drain');
    const receiver = client.createReceiver('drain');
    await sender.sendMessages([{ body: 1 }, { body: 2 }]);
    const started = Date.now();
    const first = await receiver.receiveMessages(5, { maxWaitTimeInMs: 6_000 });
    // The SDK stops 1 s after the first message, drains the 3 unused credits and waits for the
    // broker's drain answer; without one it would sit out the rest of maxWaitTimeInMs.
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(first.map((m) => m.body)).toEqual([1, 2]);

    await sender.sendMessages([{ body: 3 }, { body: 4 }, { body: 5 }]);
    const second = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2_000 });
    expect(second.map((m) => m.body)).toEqual([3, 4]);
    // Nothing was pushed beyond the link credit: message 5 is still on the queue.
    expect(broker.messages('drain').map((m) => m.body)).toEqual([5]);
    expect(broker.locked('drain')).toHaveLength(4);
    await Promise.all([...first, ...second].map((m) => receiver.completeMessage(m)));
  });

  it('abandon redelivers the message with the delivery count raised', async () => {
    const client = newClient();
    await client.createSender('abandon').sendMessages({ body: 'again', messageId: 'a-1' });
    const receiver = client.createReceiver('abandon');
    const first = await receiveOne(receiver);
    expect(first.deliveryCount).toBe(0);
    const before = broker.stats().abandoned;
    await receiver.abandonMessage(first, { retriedBy: 'worker-1' });
    expect(broker.stats().abandoned).toBe(before + 1);
    expect(broker.messages('abandon')[0]?.deliveryCount).toBe(1);

    const second = await receiveOne(receiver);
    expect(second.messageId).toBe('a-1');
    expect(second.deliveryCount).toBe(1);
    expect(second.lockToken).not.toBe(first.lockToken);
    // propertiesToModify of an abandon land in the application properties.
    expect(second.applicationProperties).toMatchObject({ retriedBy: 'worker-1' });
    await receiver.completeMessage(second);
  });

  it('dead-letters after MaxDeliveryCount abandons', async () => {
    const client = newClient();
    await client.createSender('maxdc').sendMessages({ body: 'poison', messageId: 'p-1' });
    const receiver = client.createReceiver('maxdc');
    const counts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const message = await receiveOne(receiver);
      counts.push(message.deliveryCount ?? -1);
      await receiver.abandonMessage(message);
    }
    expect(counts).toEqual([0, 1, 2]);
    expect(broker.messages('maxdc')).toHaveLength(0);
    expect(broker.messages('maxdc/$deadletterqueue')).toMatchObject([
      { messageId: 'p-1', deadLetterReason: 'MaxDeliveryCountExceeded', deliveryCount: 3 },
    ]);

    const dlq = client.createReceiver('maxdc', { subQueueType: 'deadLetter' });
    const dead = await receiveOne(dlq);
    expect(dead.messageId).toBe('p-1');
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead.deadLetterErrorDescription).toContain('3 delivery attempts');
    await dlq.completeMessage(dead);
    expect(broker.messages('maxdc/$deadletterqueue')).toHaveLength(0);
  });

  it('explicit deadLetter carries reason and description to the dead-letter queue', async () => {
    const client = newClient();
    await client.createSender('deadletter').sendMessages({
      body: { bad: true },
      messageId: 'd-1',
      applicationProperties: { tenant: 'acme' },
    });
    const receiver = client.createReceiver('deadletter');
    const message = await receiveOne(receiver);
    await receiver.deadLetterMessage(message, {
      deadLetterReason: 'InvalidJobSpec',
      deadLetterErrorDescription: 'mainApplicationFile is missing',
    });
    expect(broker.messages('deadletter')).toHaveLength(0);
    expect(broker.messages('deadletter/$DeadLetterQueue')).toMatchObject([
      {
        messageId: 'd-1',
        deadLetterReason: 'InvalidJobSpec',
        deadLetterErrorDescription: 'mainApplicationFile is missing',
        applicationProperties: { tenant: 'acme' },
      },
    ]);

    const dlq = client.createReceiver('deadletter', { subQueueType: 'deadLetter' });
    const dead = await receiveOne(dlq);
    expect(dead.body).toEqual({ bad: true });
    expect(dead.deadLetterReason).toBe('InvalidJobSpec');
    expect(dead.deadLetterErrorDescription).toBe('mainApplicationFile is missing');
    expect(dead.applicationProperties).toMatchObject({ tenant: 'acme' });
    await dlq.completeMessage(dead);
  });

  it('redelivers when the lock expires', async () => {
    const client = newClient();
    await client.createSender('shortlock').sendMessages({ body: 'slow', messageId: 's-1' });
    const receiver = client.createReceiver('shortlock', { maxAutoLockRenewalDurationInMs: 0 });
    const first = await receiveOne(receiver);
    expect(first.lockedUntilUtc!.getTime() - Date.now()).toBeLessThanOrEqual(300);
    expect(broker.locked('shortlock')).toHaveLength(1);
    await sleep(400);
    expect(broker.locked('shortlock')).toHaveLength(0);
    const second = await receiveOne(receiver);
    expect(second.messageId).toBe('s-1');
    expect(second.deliveryCount).toBe(1);
    await receiver.completeMessage(second);
  });

  it('renewLock extends the lock', async () => {
    const client = newClient();
    await client.createSender('renew').sendMessages({ body: 'long job' });
    const receiver = client.createReceiver('renew', { maxAutoLockRenewalDurationInMs: 0 });
    const message = await receiveOne(receiver);
    const originalLock = message.lockedUntilUtc!.getTime();
    await sleep(300);
    const renewed = await receiver.renewMessageLock(message);
    expect(renewed.getTime()).toBeGreaterThan(originalLock);
    await sleep(300); // past the original lock, within the renewed one
    expect(broker.locked('renew')).toHaveLength(1);
    await receiver.completeMessage(message);
    expect(broker.locked('renew')).toHaveLength(0);
    expect(broker.messages('renew')).toHaveLength(0);
  });

  it('settling after the lock expired fails with MessageLockLost', async () => {
    const client = newClient();
    await client.createSender('locklost').sendMessages({ body: 'too slow' });
    const receiver = client.createReceiver('locklost', { maxAutoLockRenewalDurationInMs: 0 });
    const message = await receiveOne(receiver);
    await sleep(400);
    expect(await errorCode(receiver.completeMessage(message))).toBe('MessageLockLost');
    expect(await errorCode(receiver.renewMessageLock(message))).toBe('MessageLockLost');
    // The message itself is still there, available again.
    expect(broker.messages('locklost')).toHaveLength(1);
  });

  it('keeps a scheduled message invisible until its time', async () => {
    const client = newClient();
    const sender = client.createSender('sched');
    const at = new Date(Date.now() + 700);
    const [sequenceNumber] = await sender.scheduleMessages({ body: 'later', messageId: 'later-1' }, at);
    expect(sequenceNumber?.toNumber()).toBeGreaterThan(0);
    expect(broker.scheduled('sched')).toMatchObject([{ messageId: 'later-1', scheduledEnqueueTime: at }]);
    expect(broker.messages('sched')).toHaveLength(0);

    const receiver = client.createReceiver('sched');
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toHaveLength(0);
    const message = await receiveOne(receiver, 3_000);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
    expect(message.messageId).toBe('later-1');
    expect(message.sequenceNumber?.toNumber()).toBe(sequenceNumber?.toNumber());
    expect(message.scheduledEnqueueTimeUtc?.getTime()).toBe(at.getTime());
    await receiver.completeMessage(message);
  });

  it('cancels scheduled messages', async () => {
    const client = newClient();
    const sender = client.createSender('cancel');
    const at = new Date(Date.now() + 60_000);
    const sequenceNumbers = await sender.scheduleMessages(
      [
        { body: 'x', messageId: 'c-1' },
        { body: 'y', messageId: 'c-2' },
      ],
      at,
    );
    expect(broker.scheduled('cancel')).toHaveLength(2);
    await sender.cancelScheduledMessages(sequenceNumbers[0]!);
    expect(broker.scheduled('cancel').map((m) => m.messageId)).toEqual(['c-2']);
    await sender.cancelScheduledMessages(sequenceNumbers[1]!);
    expect(broker.scheduled('cancel')).toHaveLength(0);
    // A message sent with scheduledEnqueueTimeUtc is scheduled too.
    await sender.sendMessages({ body: 'z', messageId: 'c-3', scheduledEnqueueTimeUtc: at });
    expect(broker.scheduled('cancel').map((m) => m.messageId)).toEqual(['c-3']);
    expect(broker.messages('cancel')).toHaveLength(0);
  });

  it('peek neither locks nor counts a delivery', async () => {
    const client = newClient();
    await client.createSender('peek').sendMessages([1, 2, 3].map((n) => ({ body: n, messageId: `k-${n}` })));
    const receiver = client.createReceiver('peek');
    const peeked = await receiver.peekMessages(10);
    expect(peeked.map((m) => m.body)).toEqual([1, 2, 3]);
    expect(peeked.every((m) => m.lockToken === undefined)).toBe(true);
    expect(broker.locked('peek')).toHaveLength(0);
    expect(broker.messages('peek').map((m) => m.deliveryCount)).toEqual([0, 0, 0]);
    // The SDK continues from the last peeked sequence number.
    expect(await receiver.peekMessages(10)).toHaveLength(0);

    const received = await receiveOne(receiver);
    expect(received.deliveryCount).toBe(0);
    expect(received.body).toBe(1);
  });

  it('drops a repeated messageId inside the duplicate detection window', async () => {
    const client = newClient();
    const sender = client.createSender('dedupe');
    const before = broker.stats().duplicatesDropped;
    await sender.sendMessages({ body: 'first', messageId: 'same' });
    await sender.sendMessages({ body: 'second', messageId: 'same' });
    await sender.sendMessages({ body: 'other', messageId: 'different' });
    expect(broker.messages('dedupe').map((m) => m.body)).toEqual(['first', 'other']);
    expect(broker.stats().duplicatesDropped).toBe(before + 1);
  });

  it('copies a topic message to every subscription', async () => {
    const client = newClient();
    await client.createSender('events').sendMessages({ body: { event: 'JobStarted' }, messageId: 'e-1' });
    expect(broker.messages('events/subscriptions/audit')).toHaveLength(1);
    expect(broker.messages('events/subscriptions/billing')).toHaveLength(1);

    const audit = client.createReceiver('events', 'audit');
    const billing = client.createReceiver('events', 'billing');
    const [a, b] = await Promise.all([receiveOne(audit), receiveOne(billing)]);
    expect(a.body).toEqual({ event: 'JobStarted' });
    expect(b.body).toEqual({ event: 'JobStarted' });
    expect(a.sequenceNumber?.toNumber()).toBe(b.sequenceNumber?.toNumber());
    await billing.completeMessage(b);
    await audit.deadLetterMessage(a, { deadLetterReason: 'Audit', deadLetterErrorDescription: 'kept for audit' });
    expect(broker.messages('events/subscriptions/audit/$deadletterqueue')).toMatchObject([{ messageId: 'e-1', deadLetterReason: 'Audit' }]);
    const auditDlq = client.createReceiver('events', 'audit', { subQueueType: 'deadLetter' });
    expect((await receiveOne(auditDlq)).deadLetterErrorDescription).toBe('kept for audit');
  });

  it('subscribe(): 4 competing receivers complete 200 messages exactly once', async () => {
    const producer = newClient();
    const sender = producer.createSender('stream');
    const batch = await sender.createMessageBatch();
    for (let i = 0; i < 200; i++) batch.tryAddMessage({ body: { i }, messageId: `s-${i}` });
    await sender.sendMessages(batch);
    const completedBefore = broker.stats().completed;

    const processed: string[] = [];
    const errors: unknown[] = [];
    let done: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    const subscriptions = [];
    for (let consumer = 0; consumer < 4; consumer++) {
      const receiver = newClient().createReceiver('stream');
      subscriptions.push(
        receiver.subscribe(
          {
            processMessage: async (message) => {
              await receiver.completeMessage(message);
              processed.push(String(message.messageId));
              if (processed.length === 200) done();
            },
            processError: async (args) => {
              errors.push(args.error);
            },
          },
          { autoCompleteMessages: false, maxConcurrentCalls: 4 },
        ),
      );
    }
    await Promise.race([allDone, sleep(8_000)]);
    await Promise.all(subscriptions.map((s) => s.close()));

    expect(errors).toEqual([]);
    expect(processed).toHaveLength(200);
    expect(new Set(processed).size).toBe(200);
    expect(broker.stats().completed - completedBefore).toBe(200);
    expect(broker.messages('stream')).toHaveLength(0);
    expect(broker.locked('stream')).toHaveLength(0);
  });

  it('refuses a message larger than the link max-message-size', async () => {
    const client = newClient();
    const sender = client.createSender('size');
    const tooBig = { body: Buffer.alloc(300 * 1024, 1) };
    expect(await errorCode(sender.sendMessages(tooBig))).toBe('MessageSizeExceeded');
    const batch = await sender.createMessageBatch();
    expect(batch.tryAddMessage(tooBig)).toBe(false);
    await sender.sendMessages({ body: Buffer.alloc(200 * 1024, 1) });
    expect(broker.messages('size')).toHaveLength(1);
  });

  it('receiveAndDelete removes messages as they are delivered', async () => {
    const client = newClient();
    await client.createSender('rad').sendMessages([{ body: 'a' }, { body: 'b' }]);
    const receiver = client.createReceiver('rad', { receiveMode: 'receiveAndDelete' });
    const received = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2_000 });
    expect(received.map((m) => m.body)).toEqual(['a', 'b']);
    expect(received.every((m) => m.lockToken === undefined)).toBe(true);
    expect(broker.messages('rad')).toHaveLength(0);
    expect(broker.locked('rad')).toHaveLength(0);
  });

  it('defers a message and receives it by sequence number', async () => {
    const client = newClient();
    await client.createSender('defer').sendMessages({ body: 'later please', messageId: 'f-1' });
    const receiver = client.createReceiver('defer');
    const message = await receiveOne(receiver);
    await receiver.deferMessage(message);
    expect(broker.messages('defer')).toHaveLength(0);
    const [deferred] = await receiver.receiveDeferredMessages(message.sequenceNumber!);
    expect(deferred?.messageId).toBe('f-1');
    expect(deferred?.lockToken).toBeDefined();
    await receiver.completeMessage(deferred!);
    expect(broker.locked('defer')).toHaveLength(0);
    expect(await receiver.peekMessages(5)).toHaveLength(0);
  });

  it('reports an unknown entity as MessagingEntityNotFound', async () => {
    const client = newClient();
    expect(await errorCode(client.createSender('no-such-queue').sendMessages({ body: 1 }))).toBe('MessagingEntityNotFound');
  });
});
