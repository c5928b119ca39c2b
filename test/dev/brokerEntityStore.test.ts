/** Service Bus semantics of the test broker's entity store, driven by a fake clock (no sockets). */
import { describe, expect, it } from 'vitest';
import {
  EntityNotFoundError,
  EntityStore,
  MAX_DELIVERY_COUNT_EXCEEDED,
  normalizeEntityPath,
  type BrokerEntityOptions,
} from '../../dev/servicebus-broker/entityStore.js';

class FakeClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

function setup(queueOptions: BrokerEntityOptions = {}) {
  const clock = new FakeClock();
  let counter = 0;
  const store = new EntityStore<string>({
    clock,
    newLockToken: () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
  });
  store.createQueue('q', queueOptions);
  return { clock, store };
}

const bodies = (list: { payload: string }[]): string[] => list.map((m) => m.payload);

describe('entityStore', () => {
  it('assigns increasing sequence numbers and the enqueued time', () => {
    const { clock, store } = setup();
    expect(store.send('q', { payload: 'a' }).sequenceNumber).toBe(1);
    clock.advance(5);
    expect(store.send('q', { payload: 'b' }).sequenceNumber).toBe(2);
    expect(store.messages('q').map((m) => [m.sequenceNumber, m.enqueuedTime])).toEqual([
      [1, 1_000_000],
      [2, 1_000_005],
    ]);
    expect(store.stats().sent).toBe(2);
  });

  it('locks a received message for LockDuration and hands each message to one receiver', () => {
    const { clock, store } = setup({ lockDurationMs: 1_000 });
    store.send('q', { payload: 'a' });
    store.send('q', { payload: 'b' });
    const first = store.receive('q', 'peekLock');
    const second = store.receive('q', 'peekLock');
    expect(first?.message.payload).toBe('a');
    expect(second?.message.payload).toBe('b');
    expect(first?.lockedUntil).toBe(clock.now() + 1_000);
    expect(first?.lockToken).not.toBe(second?.lockToken);
    expect(store.receive('q', 'peekLock')).toBeUndefined();
    expect(bodies(store.locked('q'))).toEqual(['a', 'b']);
  });

  it.each([
    ['complete', 'ok', [], []],
    ['abandon', 'ok', ['a'], []],
    ['defer', 'ok', [], []],
    ['deadLetter', 'ok', [], ['a']],
  ] as const)('%s settles the lock (%s); active %j, dead-letter %j', (operation, result, active, dead) => {
    const { store } = setup();
    store.send('q', { payload: 'a' });
    const token = store.receive('q', 'peekLock')!.lockToken!;
    expect(store[operation]('q', token)).toBe(result);
    expect(bodies(store.messages('q'))).toEqual(active);
    expect(bodies(store.messages('q/$deadletterqueue'))).toEqual(dead);
    expect(store.locked('q')).toEqual([]);
    // The lock is gone: a second settlement of the same token is lock-lost.
    expect(store.complete('q', token)).toBe('lockLost');
  });

  it('abandon puts the message back in sequence order with the delivery count raised', () => {
    const { store } = setup();
    store.send('q', { payload: 'a' });
    store.send('q', { payload: 'b' });
    const a = store.receive('q', 'peekLock')!;
    store.abandon('q', a.lockToken!, { retriedBy: 'worker-1' });
    const again = store.receive('q', 'peekLock')!;
    expect(again.message.payload).toBe('a');
    expect(again.message.deliveryCount).toBe(1);
    expect(again.message.propertyUpdates).toEqual({ retriedBy: 'worker-1' });
    expect(store.stats().abandoned).toBe(1);
  });

  it.each([
    { maxDeliveryCount: 1, deliveriesBeforeDeadLetter: 1 },
    { maxDeliveryCount: 3, deliveriesBeforeDeadLetter: 3 },
    { maxDeliveryCount: 10, deliveriesBeforeDeadLetter: 10 },
  ])(
    'MaxDeliveryCount $maxDeliveryCount: dead-lettered after $deliveriesBeforeDeadLetter abandoned deliveries',
    ({ maxDeliveryCount, deliveriesBeforeDeadLetter }) => {
      const { store } = setup({ maxDeliveryCount });
      store.send('q', { payload: 'poison' });
      const seen: number[] = [];
      for (let i = 0; i < deliveriesBeforeDeadLetter; i++) {
        const delivery = store.receive('q', 'peekLock')!;
        seen.push(delivery.message.deliveryCount);
        store.abandon('q', delivery.lockToken!);
      }
      expect(seen).toEqual([...Array(deliveriesBeforeDeadLetter).keys()]);
      expect(store.messages('q')).toEqual([]);
      const [dead] = store.messages('q/$deadletterqueue');
      expect(dead).toMatchObject({
        payload: 'poison',
        deliveryCount: maxDeliveryCount,
        deadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
        deadLetterErrorDescription: `Message could not be consumed after ${maxDeliveryCount} delivery attempts.`,
        propertyUpdates: {
          DeadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
          DeadLetterErrorDescription: `Message could not be consumed after ${maxDeliveryCount} delivery attempts.`,
        },
      });
      expect(store.stats().deadLettered).toBe(1);
    },
  );

  it('lock expiry releases the message like an abandon; the old lock is lost', () => {
    const { clock, store } = setup({ lockDurationMs: 300 });
    store.send('q', { payload: 'slow' });
    const first = store.receive('q', 'peekLock')!;
    expect(store.nextDeadline()).toBe(clock.now() + 300);
    clock.advance(299);
    expect(store.receive('q', 'peekLock')).toBeUndefined();
    clock.advance(1);
    expect(store.tick()).toBe(true);
    const second = store.receive('q', 'peekLock')!;
    expect(second.message.deliveryCount).toBe(1);
    expect(store.complete('q', first.lockToken!)).toBe('lockLost');
    expect(store.complete('q', second.lockToken!)).toBe('ok');
  });

  it('lock expiry at MaxDeliveryCount dead-letters', () => {
    const { clock, store } = setup({ lockDurationMs: 100, maxDeliveryCount: 2 });
    store.send('q', { payload: 'x' });
    store.receive('q', 'peekLock');
    clock.advance(100);
    store.receive('q', 'peekLock');
    clock.advance(100);
    expect(store.messages('q')).toEqual([]);
    expect(store.messages('q/$deadletterqueue')[0]?.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
  });

  it('renewLock extends the lock from now; an expired lock cannot be renewed', () => {
    const { clock, store } = setup({ lockDurationMs: 500 });
    store.send('q', { payload: 'x' });
    const token = store.receive('q', 'peekLock')!.lockToken!;
    clock.advance(400);
    expect(store.renewLock('q', token)).toBe(clock.now() + 500);
    clock.advance(400); // past the original lock
    expect(store.locked('q')).toHaveLength(1);
    clock.advance(100);
    expect(store.renewLock('q', token)).toBeUndefined();
    expect(store.messages('q')).toHaveLength(1);
  });

  it('lock tokens are matched case-insensitively (GUID strings)', () => {
    const { store } = setup();
    store.send('q', { payload: 'x' });
    const token = store.receive('q', 'peekLock')!.lockToken!;
    expect(store.complete('q', token.toUpperCase())).toBe('ok');
  });

  it('receiveAndDelete removes the message as it is handed out', () => {
    const { store } = setup();
    store.send('q', { payload: 'x' });
    const delivery = store.receive('q', 'receiveAndDelete')!;
    expect(delivery.lockToken).toBeUndefined();
    expect(store.messages('q')).toEqual([]);
    expect(store.locked('q')).toEqual([]);
  });

  it('scheduled messages stay invisible until due, then get the due time as enqueued time', () => {
    const { clock, store } = setup();
    const due = clock.now() + 1_000;
    const [seq] = store.schedule('q', [{ payload: 'later', scheduledEnqueueTime: due }]);
    store.send('q', { payload: 'in-the-future', scheduledEnqueueTime: due + 1_000 });
    store.send('q', { payload: 'past-schedule', scheduledEnqueueTime: clock.now() - 1 });
    expect(bodies(store.scheduled('q'))).toEqual(['later', 'in-the-future']);
    expect(bodies(store.messages('q'))).toEqual(['past-schedule']);
    expect(store.nextDeadline()).toBe(due);
    clock.advance(1_000);
    const active = store.messages('q');
    expect(bodies(active)).toEqual(['later', 'past-schedule']);
    expect(active[0]).toMatchObject({ sequenceNumber: seq, enqueuedTime: due, scheduledEnqueueTime: due });
  });

  it('each message of one schedule call becomes visible at its own time', () => {
    const { clock, store } = setup();
    store.schedule('q', [
      { payload: 'soon', scheduledEnqueueTime: clock.now() + 1_000 },
      { payload: 'later', scheduledEnqueueTime: clock.now() + 60_000 },
    ]);
    clock.advance(1_000);
    expect(bodies(store.messages('q'))).toEqual(['soon']);
    clock.advance(59_000);
    expect(bodies(store.messages('q'))).toEqual(['soon', 'later']);
  });

  it('cancels scheduled messages by sequence number and ignores unknown ones', () => {
    const { clock, store } = setup();
    const [a, b] = store.schedule('q', [
      { payload: 'a', scheduledEnqueueTime: clock.now() + 60_000 },
      { payload: 'b', scheduledEnqueueTime: clock.now() + 60_000 },
    ]);
    store.cancelScheduled('q', [a!, 999]);
    expect(bodies(store.scheduled('q'))).toEqual(['b']);
    store.cancelScheduled('q', [b!]);
    clock.advance(60_000);
    expect(store.messages('q')).toEqual([]);
  });

  it.each([
    { window: 0, gap: 0, kept: ['first', 'second'] },
    { window: 10_000, gap: 9_999, kept: ['first'] },
    { window: 10_000, gap: 10_000, kept: ['first', 'second'] },
  ])('duplicate detection window $window ms, resend after $gap ms keeps $kept', ({ window, gap, kept }) => {
    const { clock, store } = setup({ duplicateDetectionWindowMs: window });
    store.send('q', { payload: 'first', messageId: 'same' });
    clock.advance(gap);
    const second = store.send('q', { payload: 'second', messageId: 'same' });
    expect(second.duplicate).toBe(kept.length === 1);
    expect(bodies(store.messages('q'))).toEqual(kept);
    expect(store.stats().duplicatesDropped).toBe(2 - kept.length);
  });

  it('messages without a messageId are never treated as duplicates', () => {
    const { store } = setup({ duplicateDetectionWindowMs: 60_000 });
    store.send('q', { payload: 'a' });
    store.send('q', { payload: 'b' });
    expect(store.messages('q')).toHaveLength(2);
  });

  it('peek returns active, locked, deferred and scheduled messages in order without changing them', () => {
    const { clock, store } = setup();
    store.send('q', { payload: 'a' });
    store.send('q', { payload: 'b' });
    store.send('q', { payload: 'c' });
    store.schedule('q', [{ payload: 'd', scheduledEnqueueTime: clock.now() + 5_000 }]);
    const locked = store.receive('q', 'peekLock')!;
    const deferred = store.receive('q', 'peekLock')!;
    store.defer('q', deferred.lockToken!);
    expect(bodies(store.peek('q', 1, 10))).toEqual(['a', 'b', 'c', 'd']);
    expect(bodies(store.peek('q', 2, 2))).toEqual(['b', 'c']);
    expect(store.peek('q', 5, 10)).toEqual([]);
    expect(locked.message.deliveryCount).toBe(0);
    expect(bodies(store.locked('q'))).toEqual(['a']);
  });

  it('deferred messages are fetched by sequence number; abandon returns them to the deferred set', () => {
    const { store } = setup();
    store.send('q', { payload: 'a' });
    const delivery = store.receive('q', 'peekLock')!;
    store.defer('q', delivery.lockToken!);
    expect(store.receive('q', 'peekLock')).toBeUndefined();
    const [fetched] = store.receiveDeferred('q', [delivery.message.sequenceNumber, 42], 'peekLock');
    expect(fetched?.message.payload).toBe('a');
    store.abandon('q', fetched!.lockToken!);
    expect(bodies(store.deferred('q'))).toEqual(['a']);
    const [again] = store.receiveDeferred('q', [delivery.message.sequenceNumber], 'peekLock');
    expect(store.complete('q', again!.lockToken!)).toBe('ok');
    expect(store.deferred('q')).toEqual([]);
  });

  it('explicit dead-letter records reason, description and extra properties', () => {
    const { store } = setup();
    store.send('q', { payload: 'bad' });
    const token = store.receive('q', 'peekLock')!.lockToken!;
    store.deadLetter('q', token, { reason: 'Invalid', description: 'no main file', propertiesToModify: { by: 'w1' } });
    expect(store.messages('q/$DeadLetterQueue')[0]).toMatchObject({
      deadLetterReason: 'Invalid',
      deadLetterErrorDescription: 'no main file',
      propertyUpdates: { by: 'w1', DeadLetterReason: 'Invalid', DeadLetterErrorDescription: 'no main file' },
    });
  });

  it('MaxDeliveryCount does not apply inside a dead-letter queue', () => {
    const { store } = setup({ maxDeliveryCount: 1 });
    store.send('q', { payload: 'x' });
    store.abandon('q', store.receive('q', 'peekLock')!.lockToken!);
    for (let i = 0; i < 5; i++) {
      store.abandon('q/$deadletterqueue', store.receive('q/$deadletterqueue', 'peekLock')!.lockToken!);
    }
    expect(bodies(store.messages('q/$deadletterqueue'))).toEqual(['x']);
  });

  it('a topic copies each message to every subscription under one sequence number', () => {
    const { clock, store } = setup();
    store.createTopic('events', { audit: {}, billing: { duplicateDetectionWindowMs: 60_000 } });
    expect(store.send('events', { payload: 'e1', messageId: 'm' }).sequenceNumber).toBe(1);
    store.send('events', { payload: 'e1-again', messageId: 'm' });
    store.schedule('events', [{ payload: 'e2', scheduledEnqueueTime: clock.now() + 100 }]);
    expect(bodies(store.messages('events/subscriptions/audit'))).toEqual(['e1', 'e1-again']);
    expect(bodies(store.messages('Events/Subscriptions/Billing'))).toEqual(['e1']);
    expect(bodies(store.scheduled('events'))).toEqual(['e2']);
    clock.advance(100);
    expect(store.messages('events/subscriptions/audit').map((m) => m.sequenceNumber)).toEqual([1, 2, 3]);
    expect(store.messages('events/subscriptions/billing').map((m) => m.sequenceNumber)).toEqual([1, 3]);
    // Copies are independent: settling one does not touch the other.
    const token = store.receive('events/subscriptions/audit', 'peekLock')!.lockToken!;
    store.deadLetter('events/subscriptions/audit', token, { reason: 'r' });
    expect(store.messages('events/subscriptions/audit/$deadletterqueue')).toHaveLength(1);
    expect(store.messages('events/subscriptions/billing')[0]?.deadLetterReason).toBeUndefined();
  });

  it.each([
    ['jobs', 'jobs'],
    ['/Jobs/', 'jobs'],
    ['jobs/$DeadLetterQueue', 'jobs/$deadletterqueue'],
    ['Events/Subscriptions/Audit/$DeadLetterQueue', 'events/subscriptions/audit/$deadletterqueue'],
  ])('normalizes entity path %s → %s', (input, expected) => {
    expect(normalizeEntityPath(input)).toBe(expected);
  });

  it('knows what each address is and rejects unknown entities', () => {
    const { store } = setup();
    store.createTopic('events', { audit: {} });
    expect(store.kindOf('q')).toBe('queue');
    expect(store.kindOf('q/$DeadLetterQueue')).toBe('deadLetter');
    expect(store.kindOf('events')).toBe('topic');
    expect(store.kindOf('events/Subscriptions/audit')).toBe('subscription');
    expect(store.kindOf('nope')).toBeUndefined();
    expect(() => store.send('nope', { payload: 'x' })).toThrow(EntityNotFoundError);
    expect(() => store.createQueue('Q')).toThrow(/already exists/);
  });
});
