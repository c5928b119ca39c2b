/**
 * A small AMQP 1.0 broker that speaks enough of Azure Service Bus for the real
 * `@azure/service-bus` SDK (7.x) to send, batch-send, schedule, receive (peek-lock and
 * receiveAndDelete, pull and streaming), settle, renew locks, peek, and read dead-letter queues.
 *
 * TEST AND LOCAL-DEVELOPMENT ONLY. No Service Bus emulator can be installed here (the official one
 * is a Docker image), so tests and local runs point the SDK at this broker with
 * `UseDevelopmentEmulator=true` (plain TCP, anonymous SASL). Production uses Azure Service Bus;
 * nothing here authenticates, persists, or scales.
 *
 * Split: `entityStore.ts` holds the Service Bus semantics (locks, delivery counts, dead-lettering,
 * scheduling, duplicate detection) as pure logic; `messageCodec.ts` the message bytes;
 * `managementOperations.ts` the `$cbs`/`$management` request-response nodes; this file the server,
 * link handling, flow control and settlement.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import rhea from 'rhea';
import type { AmqpError, Connection, Delivery, EventContext, Message, Receiver, Sender } from 'rhea';
import {
  EntityNotFoundError,
  EntityStore,
  normalizeEntityPath,
  systemClock,
  type Clock,
  type BrokerEntityOptions,
  type BrokerStats,
  type LockedDelivery,
  type ReceiveMode,
  type SettleResult,
} from './entityStore.js';
import {
  handleCbsRequest,
  handleManagementRequest,
  LOCK_LOST_DESCRIPTION,
  ErrorConditions,
  managementEntityPath,
  replyMessage,
} from './managementOperations.js';
import {
  asRecord,
  encodeForTransfer,
  ensureMessageId,
  deliveryTagToLockToken,
  lockTokenToDeliveryTag,
  messageIdText,
  parseMessage,
  splitTransfer,
  toMessageView,
  type BrokerMessageView,
  type ParsedMessage,
} from './messageCodec.js';
import {
  acceptedOutcome,
  alwaysAnswerDrain,
  completeDrain,
  creditLimit,
  modifiedOutcome,
  rejectedOutcome,
  releasedOutcome,
  setLocalAttachFields,
  settleOutgoing,
} from './rheaInternals.js';

export type { BrokerEntityOptions } from './entityStore.js';
export type { BrokerMessageView } from './messageCodec.js';

export interface BrokerOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Queues created at start. */
  queues?: Record<string, BrokerEntityOptions>;
  /** Topics (with their subscriptions) created at start. */
  topics?: Record<string, { subscriptions: Record<string, BrokerEntityOptions> }>;
  /** Link max-message-size; default 256 KiB (Service Bus Standard tier). */
  maxMessageSizeBytes?: number;
  /** The broker's time (scheduled messages, locks); tests move it forward and call `tick()`. */
  clock?: Clock;
}

export interface Broker {
  readonly port: number;
  /** `Endpoint=sb://host:port;SharedAccessKeyName=…;SharedAccessKey=…;UseDevelopmentEmulator=true` */
  readonly connectionString: string;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
  createQueue(name: string, options?: BrokerEntityOptions): void;
  createTopic(name: string, subscriptions: Record<string, BrokerEntityOptions>): void;
  /** Active messages (not locked, not deferred, not scheduled in the future). */
  messages(entityPath: string): BrokerMessageView[];
  /** Scheduled messages not yet due (for a topic: held at the topic until due). */
  scheduled(entityPath: string): BrokerMessageView[];
  /** Delivered in peek-lock, lock still held. */
  locked(entityPath: string): BrokerMessageView[];
  /** The store's counters, and `transfers`: AMQP transfers to queues and topics (a batch of messages is one). */
  stats(): BrokerStats & { readonly transfers: number };
  /** Applies the clock now: expired locks, scheduled messages come due (after a test moved the clock). */
  tick(): void;
  /**
   * An outage of the broker as its clients see it: every connection dropped and the port closed for
   * `downMs`, then open again on the same port. The entities and messages are kept, as Service Bus
   * keeps them through its own outages.
   */
  interrupt(downMs: number): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;
const CBS_NODE = '$cbs';

/** Service Bus's wording, which the SDK turns into MessagingEntityNotFound. */
function entityNotFound(host: string, address: string): AmqpError {
  return {
    condition: ErrorConditions.notFound,
    description: `The messaging entity 'sb://${host}/${address}' could not be found.`,
  };
}

interface ConsumerLink {
  readonly sender: Sender;
  readonly entityPath: string;
  readonly mode: ReceiveMode;
  /** Deliveries handed to rhea on this link, plus credit consumed by drains. */
  sentCount: number;
}

type NodeKind = { kind: 'cbs' } | { kind: 'management'; entityPath: string } | { kind: 'entity'; entityPath: string };

interface TransferContext extends EventContext {
  format?: number;
}

class AmqpBroker implements Broker {
  readonly store: EntityStore<ParsedMessage>;
  private readonly container = rhea.create_container({
    id: 'spark-dispatch-test-broker',
    // Every disposition on incoming messages is decided below (accept, reject on size, ...).
    autoaccept: false,
    // Abandon (modified) and release must stay distinguishable.
    treat_modified_as_released: false,
  });
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<Connection>();
  private readonly consumers = new Map<string, ConsumerLink[]>();
  private readonly consumerBySender = new Map<Sender, ConsumerLink>();
  private readonly roundRobin = new Map<string, number>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt: number | undefined;
  private transfers = 0;
  private closed = false;
  port = 0;
  private advertisedHost = '127.0.0.1';

  private listenHost = '127.0.0.1';
  private handlersRegistered = false;

  constructor(
    private readonly maxMessageSize: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.store = new EntityStore<ParsedMessage>({ clock });
  }

  get connectionString(): string {
    return (
      `Endpoint=sb://${this.advertisedHost}:${this.port};SharedAccessKeyName=RootManageSharedAccessKey;` +
      'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true'
    );
  }

  async listen(host: string, port: number): Promise<void> {
    this.listenHost = host;
    this.advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    if (!this.handlersRegistered) {
      this.handlersRegistered = true;
      this.container.sasl_server_mechanisms.enable_anonymous();
      this.container.sasl_server_mechanisms.enable_plain(() => true);
      this.registerHandlers();
    }
    const server = this.container.listen({ port, host });
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.once('listening', () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const connection of this.connections) {
      try {
        connection.close({ condition: 'amqp:connection:forced', description: 'The test broker is shutting down' });
      } catch {
        // already closing
      }
    }
    // Give the close frames a moment to reach the peers, then drop whatever is left.
    await new Promise<void>((resolve) => setTimeout(resolve, 20).unref());
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server !== undefined) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  tick(): void {
    this.guard(() => {
      this.store.tick();
      this.pumpAll();
    });
    this.armTimer();
  }

  async interrupt(downMs: number): Promise<void> {
    const server = this.server;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => setTimeout(resolve, downMs));
    if (!this.closed) await this.listen(this.listenHost, this.port);
  }

  createQueue(name: string, options?: BrokerEntityOptions): void {
    this.store.createQueue(name, options);
  }

  createTopic(name: string, subscriptions: Record<string, BrokerEntityOptions>): void {
    this.store.createTopic(name, subscriptions);
  }

  messages(entityPath: string): BrokerMessageView[] {
    return this.store.messages(entityPath).map(toMessageView);
  }

  scheduled(entityPath: string): BrokerMessageView[] {
    return this.store.scheduled(entityPath).map(toMessageView);
  }

  locked(entityPath: string): BrokerMessageView[] {
    return this.store.locked(entityPath).map(toMessageView);
  }

  stats(): BrokerStats & { readonly transfers: number } {
    return { ...this.store.stats(), transfers: this.transfers };
  }

  // ---------------------------------------------------------------------------------------------
  // Event wiring

  private registerHandlers(): void {
    const c = this.container;
    c.on('connection_open', (ctx: EventContext) => this.connections.add(ctx.connection));
    c.on('disconnected', (ctx: EventContext) => this.onDisconnected(ctx.connection));
    c.on('connection_close', (ctx: EventContext) => this.onDisconnected(ctx.connection));
    // Unhandled rhea errors would be thrown from the container's EventEmitter.
    c.on('error', () => undefined);
    c.on('connection_error', () => undefined);
    c.on('protocol_error', () => undefined);
    c.on('session_error', () => undefined);
    c.on('sender_error', () => undefined);
    c.on('receiver_error', () => undefined);
    c.on('session_close', (ctx: EventContext) => {
      if (ctx.session !== undefined) this.dropConsumers((link) => link.sender.session === ctx.session);
    });
    c.on('sender_close', (ctx: EventContext) => {
      if (ctx.sender !== undefined) this.dropConsumers((link) => link.sender === ctx.sender);
    });
    c.on('sender_open', (ctx: EventContext) => this.guard(() => ctx.sender && this.onSenderOpen(ctx.sender)));
    c.on('receiver_open', (ctx: EventContext) => this.guard(() => ctx.receiver && this.onReceiverOpen(ctx.receiver)));
    c.on('message', (ctx: TransferContext) => this.guard(() => this.onMessage(ctx)));
    c.on('sender_flow', (ctx: EventContext) => this.guard(() => ctx.sender && this.onFlow(ctx.sender)));
    c.on('sender_draining', (ctx: EventContext) => this.guard(() => ctx.sender && this.onDraining(ctx.sender)));
    for (const outcome of ['accepted', 'rejected', 'modified', 'released'] as const) {
      c.on(outcome, (ctx: EventContext) =>
        this.guard(() => ctx.sender && ctx.delivery && this.onDisposition(ctx.sender, ctx.delivery, outcome)),
      );
    }
  }

  /**
   * Runs an event handler, then re-arms the lock/schedule timer. A failing handler must not break
   * rhea's frame processing (and with it the peer's connection), so errors are reported, not thrown.
   */
  private guard(handler: () => unknown): void {
    if (this.closed) return;
    try {
      handler();
    } catch (error) {
      console.error('[test broker] event handler failed:', error);
    } finally {
      this.armTimer();
    }
  }

  private classify(address: string | undefined): NodeKind | undefined {
    if (address === undefined) return undefined;
    if (address === CBS_NODE) return { kind: 'cbs' };
    const managed = managementEntityPath(address);
    if (managed !== undefined) {
      return this.store.kindOf(managed) === undefined ? undefined : { kind: 'management', entityPath: managed };
    }
    return this.store.kindOf(address) === undefined ? undefined : { kind: 'entity', entityPath: address };
  }

  /** The peer attached a receiver: we send to it (deliveries, or replies on $cbs/$management). */
  private onSenderOpen(sender: Sender): void {
    const address = sender.source?.address;
    const node = this.classify(address);
    if (node === undefined || address === undefined) {
      sender.close(entityNotFound(this.advertisedHost, address ?? ''));
      return;
    }
    sender.set_source({ address });
    sender.set_target({ address: sender.target?.address ?? sender.name });
    if (node.kind !== 'entity') return;
    const kind = this.store.kindOf(node.entityPath);
    if (kind === 'topic') {
      sender.close({
        condition: 'amqp:not-allowed',
        description: `Cannot receive from topic '${address}': receive from one of its subscriptions.`,
      });
      return;
    }
    // The SDK asks for settled transfers (snd-settle-mode 1) in receiveAndDelete mode and for
    // unsettled ones with receiver-settle-mode "second" in peek-lock; echo what it asked for.
    const mode: ReceiveMode = sender.snd_settle_mode === 1 ? 'receiveAndDelete' : 'peekLock';
    setLocalAttachFields(sender, {
      snd_settle_mode: sender.snd_settle_mode,
      rcv_settle_mode: sender.rcv_settle_mode,
      max_message_size: this.maxMessageSize,
    });
    alwaysAnswerDrain(sender);
    const entityPath = normalizeEntityPath(node.entityPath);
    const link: ConsumerLink = { sender, entityPath, mode, sentCount: 0 };
    const list = this.consumers.get(entityPath) ?? [];
    list.push(link);
    this.consumers.set(entityPath, list);
    this.consumerBySender.set(sender, link);
  }

  /** The peer attached a sender: we receive from it (messages, or $cbs/$management requests). */
  private onReceiverOpen(receiver: Receiver): void {
    const address = receiver.target?.address;
    const node = this.classify(address);
    if (node === undefined || address === undefined) {
      receiver.close(entityNotFound(this.advertisedHost, address ?? ''));
      return;
    }
    if (node.kind === 'entity') {
      const kind = this.store.kindOf(node.entityPath);
      if (kind !== 'queue' && kind !== 'topic') {
        receiver.close({
          condition: 'amqp:not-allowed',
          description: `Cannot send to '${address}': only queues and topics accept messages.`,
        });
        return;
      }
    }
    receiver.set_target({ address });
    if (receiver.source?.address !== undefined) receiver.set_source({ address: receiver.source.address });
    // The SDK sizes batches from the link's max-message-size (Service Bus: 256 KiB on Standard).
    setLocalAttachFields(receiver, { max_message_size: this.maxMessageSize, rcv_settle_mode: 0 });
  }

  private onMessage(ctx: TransferContext): void {
    const { receiver, delivery } = ctx;
    if (receiver === undefined || delivery === undefined) return;
    const node = this.classify(receiver.target?.address);
    if (node === undefined) {
      delivery.reject({ condition: ErrorConditions.notFound, description: 'Unknown node' });
      return;
    }
    if (node.kind === 'entity') {
      this.onEntityMessage(node.entityPath, ctx, delivery);
      return;
    }
    const request = ctx.message;
    delivery.accept();
    if (request === undefined) return;
    const reply = node.kind === 'cbs' ? handleCbsRequest(request) : handleManagementRequest(this.store, node.entityPath, request);
    const response = replyMessage(request, reply, node.kind === 'cbs');
    this.sendReply(ctx.connection, receiver, request, response);
    this.pumpAll();
  }

  /** Replies go to the peer's receiver on the same node whose name or target is the reply-to. */
  private sendReply(connection: Connection, requestLink: Receiver, request: Message, response: Message): void {
    const node = requestLink.target?.address;
    const replyTo = typeof request.reply_to === 'string' ? request.reply_to : undefined;
    const candidates: Sender[] = [];
    connection.each_sender((sender: Sender) => {
      if (sender.source?.address === node && sender.is_open()) candidates.push(sender);
    });
    const target =
      candidates.find((s) => replyTo !== undefined && (s.target?.address === replyTo || s.name === replyTo)) ??
      candidates.find((s) => s.session === requestLink.session);
    target?.send(response);
  }

  /** Send to a queue or topic: single messages and Service Bus batches (format 0x80013700). */
  private onEntityMessage(entityPath: string, ctx: TransferContext, delivery: Delivery): void {
    const raw: unknown = ctx.message;
    const format = ctx.format ?? 0;
    // rhea hands format-0 messages over decoded; re-encode them to get the sections back.
    const payload = Buffer.isBuffer(raw) ? raw : rhea.message.encode(raw);
    this.transfers++;
    // Service Bus refuses a message larger than the link's max-message-size with
    // amqp:link:message-size-exceeded (the SDK reports MessageSizeExceeded).
    if (payload.length > this.maxMessageSize) {
      delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description:
          `The received message (delivery-id:${delivery.id}, size:${payload.length} bytes) exceeds the limit ` +
          `(${this.maxMessageSize} bytes) currently allowed on the link.`,
      });
      return;
    }
    let parsed: ParsedMessage[];
    try {
      parsed = splitTransfer(format, payload).map((part) => ensureMessageId(parseMessage(part), newMessageId));
    } catch (error) {
      delivery.reject({
        condition: 'amqp:decode-error',
        description: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    try {
      for (const message of parsed) {
        const incoming: { payload: ParsedMessage; messageId?: string; scheduledEnqueueTime?: number } = { payload: message };
        const messageId = messageIdText(message.messageId);
        if (messageId !== undefined) incoming.messageId = messageId;
        if (message.scheduledEnqueueTime !== undefined) incoming.scheduledEnqueueTime = message.scheduledEnqueueTime;
        // Duplicates are accepted and silently dropped, as Service Bus does.
        this.store.send(entityPath, incoming);
      }
    } catch (error) {
      delivery.reject(
        error instanceof EntityNotFoundError
          ? entityNotFound(this.advertisedHost, entityPath)
          : { condition: ErrorConditions.internalError, description: error instanceof Error ? error.message : String(error) },
      );
      return;
    }
    delivery.accept();
    this.pumpAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Delivery: flow control and settlement

  private onFlow(sender: Sender): void {
    const link = this.consumerBySender.get(sender);
    if (link !== undefined) this.pump(link.entityPath);
  }

  /**
   * Drain (what `receiveMessages` does when it stops waiting): send what is available within the
   * credit, then give the rest of the credit back with a drain=true flow.
   */
  private onDraining(sender: Sender): void {
    const link = this.consumerBySender.get(sender);
    if (link === undefined) return;
    this.pump(link.entityPath);
    link.sentCount = creditLimit(sender);
    completeDrain(sender);
  }

  private availableCredit(link: ConsumerLink): number {
    if (!link.sender.is_open() || !link.sender.is_remote_open()) return 0;
    return creditLimit(link.sender) - link.sentCount;
  }

  private pumpAll(): void {
    for (const entityPath of this.consumers.keys()) this.pump(entityPath);
  }

  /**
   * Hands available messages to the consumers of one entity, round-robin among links with credit,
   * never beyond a link's credit. Each message goes to exactly one consumer (it is locked or
   * removed as it is handed out).
   */
  private pump(entityPath: string): void {
    const links = this.consumers.get(entityPath);
    if (links === undefined || links.length === 0) return;
    let start = this.roundRobin.get(entityPath) ?? 0;
    for (;;) {
      let chosen: ConsumerLink | undefined;
      for (let i = 0; i < links.length; i++) {
        const candidate = links[(start + i) % links.length];
        if (candidate !== undefined && this.availableCredit(candidate) > 0) {
          chosen = candidate;
          start = (start + i + 1) % links.length;
          break;
        }
      }
      if (chosen === undefined) break;
      const delivery = this.store.receive(entityPath, chosen.mode);
      if (delivery === undefined) break;
      this.transfer(chosen, delivery);
    }
    this.roundRobin.set(entityPath, start);
  }

  /** The delivery tag is the lock token (16 bytes, .NET GUID byte order), as with Service Bus. */
  private transfer(link: ConsumerLink, delivery: LockedDelivery<ParsedMessage>): void {
    const tag = delivery.lockToken === undefined ? randomBytes(16) : lockTokenToDeliveryTag(delivery.lockToken);
    const options = delivery.lockedUntil === undefined ? {} : { lockedUntil: delivery.lockedUntil };
    link.sender.send(encodeForTransfer(delivery.message, options), tag, 0);
    link.sentCount += 1;
  }

  /**
   * Settlement by the SDK over the receive link: accepted = complete, modified = abandon (or defer
   * when undeliverable-here), rejected = dead-letter (reason/description in the error info),
   * released = abandon. The answer is a settled disposition; a lock that expired or was never
   * held answers com.microsoft:message-lock-lost, which the SDK reports as MessageLockLost.
   */
  private onDisposition(sender: Sender, delivery: Delivery, outcome: 'accepted' | 'rejected' | 'modified' | 'released'): void {
    const link = this.consumerBySender.get(sender);
    if (link === undefined || link.mode === 'receiveAndDelete' || delivery.settled) return;
    const tag = typeof delivery.tag === 'string' ? Buffer.from(delivery.tag) : delivery.tag;
    const lockToken = tag.length === 16 ? deliveryTagToLockToken(tag) : '';
    const state: Record<string, unknown> = delivery.remote_state ?? {};
    let result: SettleResult;
    let reply: unknown;
    switch (outcome) {
      case 'accepted':
        result = this.store.complete(link.entityPath, lockToken);
        reply = acceptedOutcome();
        break;
      case 'modified': {
        const annotations = asRecord(state['message_annotations']);
        const undeliverableHere = state['undeliverable_here'] === true;
        result = undeliverableHere
          ? this.store.defer(link.entityPath, lockToken, annotations)
          : this.store.abandon(link.entityPath, lockToken, annotations);
        reply = modifiedOutcome({ delivery_failed: state['delivery_failed'] === true, undeliverable_here: undeliverableHere });
        break;
      }
      case 'rejected': {
        const error = asRecord(state['error']);
        const info = { ...(asRecord(error?.['info']) ?? {}) };
        const reason = info['DeadLetterReason'];
        const description = info['DeadLetterErrorDescription'];
        delete info['DeadLetterReason'];
        delete info['DeadLetterErrorDescription'];
        const details: { reason?: string; description?: string; propertiesToModify?: Record<string, unknown> } = {
          propertiesToModify: info,
        };
        if (typeof reason === 'string') details.reason = reason;
        if (typeof description === 'string') details.description = description;
        result = this.store.deadLetter(link.entityPath, lockToken, details);
        reply = rejectedOutcome({});
        break;
      }
      case 'released':
        result = this.store.abandon(link.entityPath, lockToken);
        reply = releasedOutcome();
        break;
    }
    if (result === 'lockLost') {
      settleOutgoing(delivery, rejectedOutcome({ condition: ErrorConditions.lockLost, description: LOCK_LOST_DESCRIPTION }));
    } else {
      settleOutgoing(delivery, reply);
    }
    this.pumpAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Time and teardown

  /** One timer at the earliest lock expiry / scheduled time; unref'd so it never holds a process. */
  private armTimer(): void {
    if (this.closed) return;
    const next = this.store.nextDeadline();
    if (next === undefined) {
      if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      this.wakeAt = undefined;
      return;
    }
    if (this.wakeTimer !== undefined && this.wakeAt !== undefined && this.wakeAt <= next) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = undefined;
        this.guard(() => {
          this.store.tick();
          this.pumpAll();
        });
      },
      Math.max(0, next - this.clock.now()) + 1,
    );
    this.wakeTimer.unref();
  }

  private onDisconnected(connection: Connection): void {
    this.connections.delete(connection);
    this.dropConsumers((link) => link.sender.connection === connection);
  }

  /** Locks held by a closed link stay until they expire (Service Bus keeps them too). */
  private dropConsumers(predicate: (link: ConsumerLink) => boolean): void {
    for (const [entityPath, links] of this.consumers) {
      const kept = links.filter((link) => {
        if (!predicate(link)) return true;
        this.consumerBySender.delete(link.sender);
        return false;
      });
      if (kept.length === 0) this.consumers.delete(entityPath);
      else this.consumers.set(entityPath, kept);
    }
  }
}

/** Service Bus-assigned message ids look like `Guid.ToString("N")`. */
function newMessageId(): string {
  return randomUUID().replace(/-/g, '');
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const broker = new AmqpBroker(options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE, options.clock);
  for (const [name, entityOptions] of Object.entries(options.queues ?? {})) {
    broker.createQueue(name, entityOptions);
  }
  for (const [name, topic] of Object.entries(options.topics ?? {})) {
    broker.createTopic(name, topic.subscriptions);
  }
  await broker.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return broker;
}
