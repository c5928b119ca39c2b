/**
 * Queues, topics/subscriptions and their dead-letter sub-queues for the test/local-development
 * Service Bus stand-in (see `amqpBroker.ts`). Pure logic: no sockets, no timers; time comes from an
 * injectable clock and lock tokens from an injectable generator, so every rule can be table-tested.
 *
 * The payload type `P` is opaque here (the broker stores its parsed AMQP message in it).
 *
 * Each rule below names the Azure Service Bus behaviour it copies. Not production code.
 */
import { randomUUID } from 'node:crypto';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BrokerEntityOptions {
  /** Service Bus `MaxDeliveryCount`; default 10. */
  maxDeliveryCount?: number;
  /** Service Bus `LockDuration`; default 30 s. */
  lockDurationMs?: number;
  /** Service Bus `DuplicateDetectionHistoryTimeWindow`; 0 (default) disables duplicate detection. */
  duplicateDetectionWindowMs?: number;
}

export type ReceiveMode = 'peekLock' | 'receiveAndDelete';

export type EntityKind = 'queue' | 'topic' | 'subscription' | 'deadLetter';

/** The dead-letter reason Service Bus writes when MaxDeliveryCount is exceeded. */
export const MAX_DELIVERY_COUNT_EXCEEDED = 'MaxDeliveryCountExceeded';

export interface StoredMessage<P> {
  readonly payload: P;
  readonly messageId: string | undefined;
  /** Assigned by the queue or topic when the message is accepted (or scheduled). */
  readonly sequenceNumber: number;
  /** When the message became active (for scheduled messages: when it came due). */
  enqueuedTime: number;
  scheduledEnqueueTime: number | undefined;
  /**
   * Service Bus counts failed deliveries: the count goes up when a lock is abandoned or expires, and
   * that count is what the service puts in the AMQP header's delivery-count on every transfer.
   */
  deliveryCount: number;
  deferred: boolean;
  lockToken: string | undefined;
  lockedUntil: number | undefined;
  deadLetterReason: string | undefined;
  deadLetterErrorDescription: string | undefined;
  /** Application-property changes made by abandon/defer/dead-letter (`propertiesToModify`). */
  propertyUpdates: Record<string, unknown>;
}

export interface IncomingMessage<P> {
  payload: P;
  messageId?: string;
  /** From the `x-opt-scheduled-enqueue-time` annotation, if any. */
  scheduledEnqueueTime?: number;
}

export interface SendResult {
  /** Undefined when the message was dropped as a duplicate. */
  sequenceNumber: number | undefined;
  duplicate: boolean;
}

export interface LockedDelivery<P> {
  message: StoredMessage<P>;
  /** Undefined in receiveAndDelete mode. */
  lockToken: string | undefined;
  lockedUntil: number | undefined;
}

export type SettleResult = 'ok' | 'lockLost';

export interface DeadLetterDetails {
  reason?: string;
  description?: string;
  propertiesToModify?: Record<string, unknown>;
}

export interface BrokerStats {
  sent: number;
  completed: number;
  abandoned: number;
  deadLettered: number;
  duplicatesDropped: number;
}

export class EntityNotFoundError extends Error {
  constructor(readonly entityPath: string) {
    super(`The messaging entity '${entityPath}' could not be found.`);
    this.name = 'EntityNotFoundError';
  }
}

export interface EntityStoreOptions {
  clock?: Clock;
  newLockToken?: () => string;
}

const DEFAULT_MAX_DELIVERY_COUNT = 10;
const DEFAULT_LOCK_DURATION_MS = 30_000;

/**
 * Service Bus entity names are case-insensitive; the SDK addresses a subscription as
 * `topic/Subscriptions/sub` and a dead-letter queue as `entity/$DeadLetterQueue`.
 */
export function normalizeEntityPath(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment.length > 0)
    .join('/')
    .toLowerCase();
}

function insertBySequence<P>(list: StoredMessage<P>[], message: StoredMessage<P>): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const probe = list[mid];
    if (probe !== undefined && probe.sequenceNumber < message.sequenceNumber) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, message);
}

function bySequence<P>(a: StoredMessage<P>, b: StoredMessage<P>): number {
  return a.sequenceNumber - b.sequenceNumber;
}

/** A queue, a subscription, or the dead-letter sub-queue of either. */
class MessageEntity<P> {
  readonly available: StoredMessage<P>[] = [];
  readonly locked = new Map<string, StoredMessage<P>>();
  readonly deferred = new Map<number, StoredMessage<P>>();
  /** Only queues hold scheduled messages; a topic holds them for its subscriptions. */
  readonly scheduled: StoredMessage<P>[] = [];
  readonly seenMessageIds = new Map<string, number>();
  readonly deadLetter: MessageEntity<P> | undefined;
  readonly maxDeliveryCount: number;
  readonly lockDurationMs: number;
  readonly duplicateDetectionWindowMs: number;
  nextSequenceNumber = 1;

  constructor(
    readonly path: string,
    readonly kind: 'queue' | 'subscription' | 'deadLetter',
    options: BrokerEntityOptions,
  ) {
    this.lockDurationMs = options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
    this.duplicateDetectionWindowMs = kind === 'deadLetter' ? 0 : (options.duplicateDetectionWindowMs ?? 0);
    // Service Bus: MaxDeliveryCount does not apply inside a dead-letter queue; messages stay there
    // until they are completed.
    this.maxDeliveryCount = kind === 'deadLetter' ? Number.POSITIVE_INFINITY : (options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT);
    this.deadLetter =
      kind === 'deadLetter'
        ? undefined
        : new MessageEntity<P>(`${path}/$deadletterqueue`, 'deadLetter', {
            lockDurationMs: this.lockDurationMs,
          });
  }

  /**
   * Service Bus duplicate detection: a MessageId seen within the window is accepted but dropped.
   * Returns true when the message is a duplicate; otherwise records the id.
   */
  isDuplicate(messageId: string | undefined, now: number): boolean {
    if (this.duplicateDetectionWindowMs <= 0 || messageId === undefined) return false;
    // Insertion order is seen order: expired ids are all at the front.
    for (const [id, seenAt] of this.seenMessageIds) {
      if (now - seenAt < this.duplicateDetectionWindowMs) break;
      this.seenMessageIds.delete(id);
    }
    if (this.seenMessageIds.has(messageId)) return true;
    this.seenMessageIds.set(messageId, now);
    return false;
  }
}

class TopicEntity<P> {
  readonly subscriptions = new Map<string, MessageEntity<P>>();
  readonly scheduled: StoredMessage<P>[] = [];
  nextSequenceNumber = 1;

  constructor(readonly path: string) {}
}

type Resolved<P> = { kind: 'queue' | 'subscription' | 'deadLetter'; entity: MessageEntity<P> } | { kind: 'topic'; topic: TopicEntity<P> };

export class EntityStore<P> {
  private readonly clock: Clock;
  private readonly newLockToken: () => string;
  private readonly entities = new Map<string, MessageEntity<P>>();
  private readonly topics = new Map<string, TopicEntity<P>>();
  private readonly counters: BrokerStats = {
    sent: 0,
    completed: 0,
    abandoned: 0,
    deadLettered: 0,
    duplicatesDropped: 0,
  };

  constructor(options: EntityStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.newLockToken = options.newLockToken ?? (() => randomUUID());
  }

  createQueue(name: string, options: BrokerEntityOptions = {}): void {
    const path = normalizeEntityPath(name);
    if (this.entities.has(path) || this.topics.has(path)) {
      throw new Error(`Entity '${name}' already exists`);
    }
    this.register(new MessageEntity<P>(path, 'queue', options));
  }

  createTopic(name: string, subscriptions: Record<string, BrokerEntityOptions>): void {
    const path = normalizeEntityPath(name);
    if (this.entities.has(path) || this.topics.has(path)) {
      throw new Error(`Entity '${name}' already exists`);
    }
    const topic = new TopicEntity<P>(path);
    for (const [subscriptionName, options] of Object.entries(subscriptions)) {
      const subscriptionPath = `${path}/subscriptions/${normalizeEntityPath(subscriptionName)}`;
      const entity = new MessageEntity<P>(subscriptionPath, 'subscription', options);
      topic.subscriptions.set(subscriptionPath, entity);
      this.register(entity);
    }
    this.topics.set(path, topic);
  }

  /** What kind of entity an address names, or undefined when there is none. */
  kindOf(path: string): EntityKind | undefined {
    return this.tryResolve(path)?.kind;
  }

  /**
   * Sending to a queue or topic. Service Bus assigns the sequence number (per queue; per topic,
   * shared by the copy in each subscription) and the enqueued time; a message carrying a future
   * `x-opt-scheduled-enqueue-time` is held as a scheduled message.
   */
  send(path: string, incoming: IncomingMessage<P>): SendResult {
    this.tick();
    const now = this.clock.now();
    const resolved = this.resolve(path);
    if (resolved.kind === 'topic') {
      const { topic } = resolved;
      const sequenceNumber = topic.nextSequenceNumber++;
      this.counters.sent += 1;
      const message = this.newMessage(incoming, sequenceNumber, now);
      if (message.scheduledEnqueueTime !== undefined && message.scheduledEnqueueTime > now) {
        insertBySequence(topic.scheduled, message);
        return { sequenceNumber, duplicate: false };
      }
      const copies = this.fanOut(topic, message, now);
      return { sequenceNumber, duplicate: copies === 0 && topic.subscriptions.size > 0 };
    }
    if (resolved.kind !== 'queue') {
      throw new Error(`Cannot send to '${path}': only queues and topics accept messages`);
    }
    const { entity } = resolved;
    if (entity.isDuplicate(incoming.messageId, now)) {
      this.counters.duplicatesDropped += 1;
      return { sequenceNumber: undefined, duplicate: true };
    }
    const message = this.newMessage(incoming, entity.nextSequenceNumber++, now);
    this.counters.sent += 1;
    if (message.scheduledEnqueueTime !== undefined && message.scheduledEnqueueTime > now) {
      insertBySequence(entity.scheduled, message);
    } else {
      insertBySequence(entity.available, message);
    }
    return { sequenceNumber: message.sequenceNumber, duplicate: false };
  }

  /**
   * Management `schedule-message`: the messages get their sequence numbers now and become visible
   * at its own `scheduledEnqueueTime`. (Duplicate detection is not applied to scheduled messages here.)
   */
  schedule(path: string, incoming: (IncomingMessage<P> & { readonly scheduledEnqueueTime: number })[]): number[] {
    this.tick();
    const now = this.clock.now();
    const resolved = this.resolve(path);
    const target = resolved.kind === 'topic' ? resolved.topic : resolved.kind === 'queue' ? resolved.entity : undefined;
    if (target === undefined) {
      throw new Error(`Cannot schedule on '${path}': only queues and topics accept messages`);
    }
    const sequenceNumbers: number[] = [];
    for (const item of incoming) {
      const message = this.newMessage(item, target.nextSequenceNumber++, now);
      this.counters.sent += 1;
      insertBySequence(target.scheduled, message);
      sequenceNumbers.push(message.sequenceNumber);
    }
    this.tick();
    return sequenceNumbers;
  }

  /** Management `cancel-scheduled-message`: unknown sequence numbers are ignored. */
  cancelScheduled(path: string, sequenceNumbers: number[]): void {
    const resolved = this.resolve(path);
    const list = resolved.kind === 'topic' ? resolved.topic.scheduled : resolved.kind === 'queue' ? resolved.entity.scheduled : undefined;
    if (list === undefined) return;
    const cancel = new Set(sequenceNumbers);
    for (let i = list.length - 1; i >= 0; i--) {
      const message = list[i];
      if (message !== undefined && cancel.has(message.sequenceNumber)) list.splice(i, 1);
    }
  }

  /**
   * Takes the next active message. Peek-lock: the message is locked for the entity's LockDuration
   * under a fresh lock token (Service Bus: one consumer at a time). ReceiveAndDelete: the message is
   * removed as it is handed out.
   */
  receive(path: string, mode: ReceiveMode): LockedDelivery<P> | undefined {
    this.tick();
    const entity = this.receivable(path);
    const message = entity.available.shift();
    if (message === undefined) return undefined;
    if (mode === 'receiveAndDelete') {
      return { message, lockToken: undefined, lockedUntil: undefined };
    }
    return this.lock(entity, message);
  }

  /** Complete: the message is removed. */
  complete(path: string, lockToken: string): SettleResult {
    const taken = this.takeLocked(path, lockToken);
    if (taken === undefined) return 'lockLost';
    this.counters.completed += 1;
    return 'ok';
  }

  /**
   * Abandon: the lock is released and the delivery count goes up; the message is available again
   * right away (a deferred message goes back to the deferred set), unless the count has reached
   * MaxDeliveryCount, in which case Service Bus dead-letters it with reason MaxDeliveryCountExceeded.
   */
  abandon(path: string, lockToken: string, propertiesToModify?: Record<string, unknown>): SettleResult {
    const taken = this.takeLocked(path, lockToken);
    if (taken === undefined) return 'lockLost';
    this.counters.abandoned += 1;
    Object.assign(taken.message.propertyUpdates, propertiesToModify ?? {});
    this.release(taken.entity, taken.message);
    return 'ok';
  }

  /** Defer: the message leaves the active set and can only be fetched by sequence number. */
  defer(path: string, lockToken: string, propertiesToModify?: Record<string, unknown>): SettleResult {
    const taken = this.takeLocked(path, lockToken);
    if (taken === undefined) return 'lockLost';
    Object.assign(taken.message.propertyUpdates, propertiesToModify ?? {});
    taken.message.deferred = true;
    taken.entity.deferred.set(taken.message.sequenceNumber, taken.message);
    return 'ok';
  }

  /**
   * Dead-letter: the message moves to the entity's `$deadletterqueue`, with `DeadLetterReason` and
   * `DeadLetterErrorDescription` added to its application properties (as Service Bus does).
   */
  deadLetter(path: string, lockToken: string, details: DeadLetterDetails = {}): SettleResult {
    const taken = this.takeLocked(path, lockToken);
    if (taken === undefined) return 'lockLost';
    Object.assign(taken.message.propertyUpdates, details.propertiesToModify ?? {});
    this.moveToDeadLetter(taken.entity, taken.message, details.reason, details.description);
    return 'ok';
  }

  /** Management `renew-lock`: the lock is extended by LockDuration from now. */
  renewLock(path: string, lockToken: string): number | undefined {
    this.tick();
    const entity = this.receivable(path);
    const message = entity.locked.get(lockToken);
    if (message === undefined) return undefined;
    message.lockedUntil = this.clock.now() + entity.lockDurationMs;
    return message.lockedUntil;
  }

  /**
   * Management `peek-message`: messages from `fromSequenceNumber` on, in sequence order, without
   * locking them or touching the delivery count. Like Service Bus, peek also returns locked,
   * deferred and (for queues) scheduled messages.
   */
  peek(path: string, fromSequenceNumber: number, maxCount: number): StoredMessage<P>[] {
    this.tick();
    const entity = this.receivable(path);
    const all = [...entity.available, ...entity.locked.values(), ...entity.deferred.values(), ...entity.scheduled];
    return all
      .filter((message) => message.sequenceNumber >= fromSequenceNumber)
      .sort(bySequence)
      .slice(0, Math.max(0, maxCount));
  }

  /**
   * Management `receive-by-sequence-number`: deferred messages only; they are locked (peek-lock) or
   * removed (receiveAndDelete). Unknown or non-deferred sequence numbers are skipped.
   */
  receiveDeferred(path: string, sequenceNumbers: number[], mode: ReceiveMode): LockedDelivery<P>[] {
    this.tick();
    const entity = this.receivable(path);
    const result: LockedDelivery<P>[] = [];
    for (const sequenceNumber of sequenceNumbers) {
      const message = entity.deferred.get(sequenceNumber);
      if (message === undefined) continue;
      entity.deferred.delete(sequenceNumber);
      if (mode === 'receiveAndDelete') {
        result.push({ message, lockToken: undefined, lockedUntil: undefined });
      } else {
        result.push(this.lock(entity, message));
      }
    }
    return result;
  }

  /**
   * Applies the passage of time: expired locks are released like an abandon (delivery count + 1,
   * dead-letter at MaxDeliveryCount), and scheduled messages that came due are enqueued.
   * Returns true when anything changed.
   */
  tick(): boolean {
    const now = this.clock.now();
    let changed = false;
    for (const entity of this.entities.values()) {
      for (const [token, message] of entity.locked) {
        if (message.lockedUntil !== undefined && message.lockedUntil <= now) {
          entity.locked.delete(token);
          this.release(entity, message);
          changed = true;
        }
      }
      while (entity.scheduled.length > 0) {
        const due = entity.scheduled.findIndex((m) => (m.scheduledEnqueueTime ?? 0) <= now);
        if (due < 0) break;
        const [message] = entity.scheduled.splice(due, 1);
        if (message === undefined) break;
        message.enqueuedTime = now;
        insertBySequence(entity.available, message);
        changed = true;
      }
    }
    for (const topic of this.topics.values()) {
      while (topic.scheduled.length > 0) {
        const due = topic.scheduled.findIndex((m) => (m.scheduledEnqueueTime ?? 0) <= now);
        if (due < 0) break;
        const [message] = topic.scheduled.splice(due, 1);
        if (message === undefined) break;
        message.enqueuedTime = now;
        this.fanOut(topic, message, now);
        changed = true;
      }
    }
    return changed;
  }

  /** The earliest lock expiry or scheduled time, for the broker's timer. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    const consider = (time: number | undefined): void => {
      if (time !== undefined && (next === undefined || time < next)) next = time;
    };
    for (const entity of this.entities.values()) {
      for (const message of entity.locked.values()) consider(message.lockedUntil);
      for (const message of entity.scheduled) consider(message.scheduledEnqueueTime);
    }
    for (const topic of this.topics.values()) {
      for (const message of topic.scheduled) consider(message.scheduledEnqueueTime);
    }
    return next;
  }

  /** Active messages: neither locked, deferred nor scheduled. */
  messages(path: string): StoredMessage<P>[] {
    this.tick();
    const resolved = this.tryResolve(path);
    if (resolved === undefined || resolved.kind === 'topic') return [];
    return [...resolved.entity.available];
  }

  scheduled(path: string): StoredMessage<P>[] {
    this.tick();
    const resolved = this.tryResolve(path);
    if (resolved === undefined) return [];
    const list = resolved.kind === 'topic' ? resolved.topic.scheduled : resolved.entity.scheduled;
    return [...list].sort(bySequence);
  }

  locked(path: string): StoredMessage<P>[] {
    this.tick();
    const resolved = this.tryResolve(path);
    if (resolved === undefined || resolved.kind === 'topic') return [];
    return [...resolved.entity.locked.values()].sort(bySequence);
  }

  deferred(path: string): StoredMessage<P>[] {
    this.tick();
    const resolved = this.tryResolve(path);
    if (resolved === undefined || resolved.kind === 'topic') return [];
    return [...resolved.entity.deferred.values()].sort(bySequence);
  }

  stats(): BrokerStats {
    return { ...this.counters };
  }

  private register(entity: MessageEntity<P>): void {
    this.entities.set(entity.path, entity);
    if (entity.deadLetter !== undefined) this.entities.set(entity.deadLetter.path, entity.deadLetter);
  }

  private tryResolve(path: string): Resolved<P> | undefined {
    const normalized = normalizeEntityPath(path);
    const entity = this.entities.get(normalized);
    if (entity !== undefined) return { kind: entity.kind, entity };
    const topic = this.topics.get(normalized);
    if (topic !== undefined) return { kind: 'topic', topic };
    return undefined;
  }

  private resolve(path: string): Resolved<P> {
    const resolved = this.tryResolve(path);
    if (resolved === undefined) throw new EntityNotFoundError(path);
    return resolved;
  }

  private receivable(path: string): MessageEntity<P> {
    const resolved = this.resolve(path);
    if (resolved.kind === 'topic') {
      throw new Error(`Cannot receive from topic '${path}': receive from one of its subscriptions`);
    }
    return resolved.entity;
  }

  private newMessage(incoming: IncomingMessage<P>, sequenceNumber: number, now: number): StoredMessage<P> {
    return {
      payload: incoming.payload,
      messageId: incoming.messageId,
      sequenceNumber,
      enqueuedTime: now,
      scheduledEnqueueTime: incoming.scheduledEnqueueTime,
      deliveryCount: 0,
      deferred: false,
      lockToken: undefined,
      lockedUntil: undefined,
      deadLetterReason: undefined,
      deadLetterErrorDescription: undefined,
      propertyUpdates: {},
    };
  }

  /**
   * Topic → subscriptions: every subscription gets its own copy (no filters: each subscription
   * behaves as if it had the default `1=1` rule). Duplicate detection is applied per subscription.
   * Returns the number of copies enqueued.
   */
  private fanOut(topic: TopicEntity<P>, message: StoredMessage<P>, now: number): number {
    let copies = 0;
    for (const subscription of topic.subscriptions.values()) {
      if (subscription.isDuplicate(message.messageId, now)) {
        this.counters.duplicatesDropped += 1;
        continue;
      }
      insertBySequence(subscription.available, { ...message, propertyUpdates: { ...message.propertyUpdates } });
      copies += 1;
    }
    return copies;
  }

  private lock(entity: MessageEntity<P>, message: StoredMessage<P>): LockedDelivery<P> {
    let lockToken = this.newLockToken().toLowerCase();
    while (entity.locked.has(lockToken)) lockToken = this.newLockToken().toLowerCase();
    message.lockToken = lockToken;
    message.lockedUntil = this.clock.now() + entity.lockDurationMs;
    entity.locked.set(lockToken, message);
    return { message, lockToken, lockedUntil: message.lockedUntil };
  }

  private takeLocked(path: string, lockToken: string): { entity: MessageEntity<P>; message: StoredMessage<P> } | undefined {
    this.tick();
    const entity = this.receivable(path);
    const token = lockToken.toLowerCase();
    const message = entity.locked.get(token);
    if (message === undefined) return undefined;
    entity.locked.delete(token);
    message.lockToken = undefined;
    message.lockedUntil = undefined;
    return { entity, message };
  }

  /** Abandon and lock expiry share this rule. */
  private release(entity: MessageEntity<P>, message: StoredMessage<P>): void {
    message.lockToken = undefined;
    message.lockedUntil = undefined;
    message.deliveryCount += 1;
    if (message.deliveryCount >= entity.maxDeliveryCount) {
      this.moveToDeadLetter(
        entity,
        message,
        MAX_DELIVERY_COUNT_EXCEEDED,
        `Message could not be consumed after ${entity.maxDeliveryCount} delivery attempts.`,
      );
      return;
    }
    if (message.deferred) {
      entity.deferred.set(message.sequenceNumber, message);
    } else {
      insertBySequence(entity.available, message);
    }
  }

  private moveToDeadLetter(
    entity: MessageEntity<P>,
    message: StoredMessage<P>,
    reason: string | undefined,
    description: string | undefined,
  ): void {
    this.counters.deadLettered += 1;
    message.lockToken = undefined;
    message.lockedUntil = undefined;
    message.deferred = false;
    message.deadLetterReason = reason;
    message.deadLetterErrorDescription = description;
    if (reason !== undefined) message.propertyUpdates['DeadLetterReason'] = reason;
    if (description !== undefined) message.propertyUpdates['DeadLetterErrorDescription'] = description;
    // A dead-letter queue has no dead-letter queue of its own: the message stays where it is.
    const target = entity.deadLetter ?? entity;
    insertBySequence(target.available, message);
  }
}
