/**
 * Request/response operations of the test/local-development Service Bus stand-in (see
 * `amqpBroker.ts`): the `$cbs` put-token node and each entity's `$management` node, with the
 * operation names and map keys `@azure/service-bus` 7.x uses (`core/managementClient.js`).
 * Not production code.
 */
import rhea from 'rhea';
import type { Message } from 'rhea';
import { EntityNotFoundError, type EntityStore, type IncomingMessage, type ReceiveMode } from './entityStore.js';
import {
  asRecord,
  encodeForTransfer,
  MessageState,
  messageIdText,
  parseMessage,
  uuidToLockToken,
  type ParsedMessage,
} from './messageCodec.js';

export const Operations = {
  putToken: 'put-token',
  peekMessage: 'com.microsoft:peek-message',
  renewLock: 'com.microsoft:renew-lock',
  scheduleMessage: 'com.microsoft:schedule-message',
  cancelScheduledMessage: 'com.microsoft:cancel-scheduled-message',
  updateDisposition: 'com.microsoft:update-disposition',
  receiveBySequenceNumber: 'com.microsoft:receive-by-sequence-number',
} as const;

export const ErrorConditions = {
  lockLost: 'com.microsoft:message-lock-lost',
  messageNotFound: 'com.microsoft:message-not-found',
  notFound: 'amqp:not-found',
  notImplemented: 'amqp:not-implemented',
  internalError: 'amqp:internal-error',
  badRequest: 'amqp:invalid-field',
} as const;

/** The description Service Bus gives with `com.microsoft:message-lock-lost`. */
export const LOCK_LOST_DESCRIPTION =
  'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.';

export interface OperationReply {
  statusCode: number;
  statusDescription: string;
  errorCondition?: string;
  body?: unknown;
}

const MANAGEMENT_SUFFIX = '/$management';

/** `jobs/$management` → `jobs`; undefined when the address is not a management node. */
export function managementEntityPath(address: string): string | undefined {
  const trimmed = address.replace(/\/+$/, '');
  if (!trimmed.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) return undefined;
  return trimmed.slice(0, trimmed.length - MANAGEMENT_SUFFIX.length);
}

/**
 * Management replies carry `statusCode`/`statusDescription` (and `errorCondition` on failure) as
 * application properties; the SDK treats 2xx as success and maps errorCondition to its error codes.
 * CBS replies use `status-code`/`status-description`.
 */
export function replyMessage(request: Message, reply: OperationReply, cbs: boolean): Message {
  const applicationProperties: Record<string, unknown> = cbs
    ? { 'status-code': reply.statusCode, 'status-description': reply.statusDescription }
    : { statusCode: reply.statusCode, statusDescription: reply.statusDescription };
  if (reply.errorCondition !== undefined) applicationProperties['errorCondition'] = reply.errorCondition;
  const message: Message = {
    body: reply.body ?? null,
    correlation_id: request.message_id ?? request.correlation_id,
    application_properties: applicationProperties,
  } as Message;
  if (typeof request.reply_to === 'string') message.to = request.reply_to;
  return message;
}

function ok(body?: unknown): OperationReply {
  return body === undefined ? { statusCode: 200, statusDescription: 'OK' } : { statusCode: 200, statusDescription: 'OK', body };
}

function failure(statusCode: number, errorCondition: string, statusDescription: string): OperationReply {
  return { statusCode, statusDescription, errorCondition };
}

/** CBS: any token is accepted (the stand-in does no authorization). */
export function handleCbsRequest(request: Message): OperationReply {
  const operation: unknown = request.application_properties?.['operation'];
  if (operation !== Operations.putToken) {
    return failure(400, ErrorConditions.badRequest, `Unsupported CBS operation '${String(operation)}'`);
  }
  return { statusCode: 200, statusDescription: 'OK' };
}

type RequestBody = Record<string, unknown>;

function requestBody(request: Message): RequestBody {
  return asRecord(request.body) ?? {};
}

function toArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Sequence numbers arrive as AMQP longs: a number, or 8 big-endian bytes when rhea cannot fit it. */
function toSequenceNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  return undefined;
}

function sequenceNumbersOf(value: unknown): number[] {
  return toArray(value)
    .map(toSequenceNumber)
    .filter((n): n is number => n !== undefined);
}

function lockTokensOf(value: unknown): string[] {
  return toArray(value)
    .map(uuidToLockToken)
    .filter((token): token is string => token !== undefined);
}

function lockLost(): OperationReply {
  return failure(410, ErrorConditions.lockLost, LOCK_LOST_DESCRIPTION);
}

/**
 * Runs one `$management` request against the entity the node belongs to. `mode` of a received
 * deferred message follows the request's `receiver-settle-mode` (0 = receiveAndDelete).
 */
export function handleManagementRequest(store: EntityStore<ParsedMessage>, entityPath: string, request: Message): OperationReply {
  const operation: unknown = request.application_properties?.['operation'];
  const body = requestBody(request);
  try {
    switch (operation) {
      case Operations.peekMessage:
        return peek(store, entityPath, body);
      case Operations.renewLock:
        return renewLock(store, entityPath, body);
      case Operations.scheduleMessage:
        return schedule(store, entityPath, body);
      case Operations.cancelScheduledMessage:
        store.cancelScheduled(entityPath, sequenceNumbersOf(body['sequence-numbers']));
        return ok();
      case Operations.updateDisposition:
        return updateDisposition(store, entityPath, body);
      case Operations.receiveBySequenceNumber:
        return receiveBySequenceNumber(store, entityPath, body);
      default:
        return failure(501, ErrorConditions.notImplemented, `The operation '${String(operation)}' is not supported by the test broker`);
    }
  } catch (error) {
    if (error instanceof EntityNotFoundError) {
      return failure(404, ErrorConditions.notFound, error.message);
    }
    const description = error instanceof Error ? error.message : String(error);
    return failure(500, ErrorConditions.internalError, description);
  }
}

/** Peek: 204 when nothing is left from the requested sequence number on. */
function peek(store: EntityStore<ParsedMessage>, entityPath: string, body: RequestBody): OperationReply {
  const from = toSequenceNumber(body['from-sequence-number']) ?? 1;
  const count = typeof body['message-count'] === 'number' ? body['message-count'] : 1;
  const found = store.peek(entityPath, from, count);
  if (found.length === 0) return { statusCode: 204, statusDescription: 'No messages available' };
  const messages = found.map((message) => {
    const state =
      message.scheduledEnqueueTime !== undefined && message.enqueuedTime < message.scheduledEnqueueTime
        ? MessageState.scheduled
        : message.deferred
          ? MessageState.deferred
          : MessageState.active;
    const options = message.lockedUntil === undefined ? { state } : { state, lockedUntil: message.lockedUntil };
    return { message: encodeForTransfer(message, options) };
  });
  return ok({ messages });
}

function renewLock(store: EntityStore<ParsedMessage>, entityPath: string, body: RequestBody): OperationReply {
  const expirations: Date[] = [];
  for (const token of lockTokensOf(body['lock-tokens'])) {
    const lockedUntil = store.renewLock(entityPath, token);
    if (lockedUntil === undefined) return lockLost();
    expirations.push(new Date(lockedUntil));
  }
  return ok({ expirations });
}

function schedule(store: EntityStore<ParsedMessage>, entityPath: string, body: RequestBody): OperationReply {
  const incoming: (IncomingMessage<ParsedMessage> & { scheduledEnqueueTime: number })[] = [];
  for (const entry of toArray(body['messages'])) {
    const record = asRecord(entry);
    const encoded: unknown = record?.['message'];
    if (!Buffer.isBuffer(encoded)) {
      return failure(400, ErrorConditions.badRequest, 'schedule-message entry without an encoded message');
    }
    const payload = parseMessage(encoded);
    if (payload.scheduledEnqueueTime === undefined) {
      return failure(400, ErrorConditions.badRequest, 'Scheduled message without x-opt-scheduled-enqueue-time');
    }
    const item: IncomingMessage<ParsedMessage> & { scheduledEnqueueTime: number } = {
      payload,
      scheduledEnqueueTime: payload.scheduledEnqueueTime,
    };
    const messageId = messageIdText(payload.messageId);
    if (messageId !== undefined) item.messageId = messageId;
    incoming.push(item);
  }
  const sequenceNumbers = incoming.length === 0 ? [] : store.schedule(entityPath, incoming);
  return ok({ 'sequence-numbers': rhea.types.wrap_array(sequenceNumbers, 0x81, undefined) });
}

/** Settlement through the management link (used by the SDK for deferred messages). */
function updateDisposition(store: EntityStore<ParsedMessage>, entityPath: string, body: RequestBody): OperationReply {
  const status = body['disposition-status'];
  const propertiesToModify = asRecord(body['properties-to-modify']);
  for (const token of lockTokensOf(body['lock-tokens'])) {
    let result;
    switch (status) {
      case 'completed':
        result = store.complete(entityPath, token);
        break;
      case 'abandoned':
        result = store.abandon(entityPath, token, propertiesToModify);
        break;
      case 'defered':
        result = store.defer(entityPath, token, propertiesToModify);
        break;
      case 'suspended': {
        const details: { reason?: string; description?: string; propertiesToModify?: Record<string, unknown> } = {};
        if (typeof body['deadletter-reason'] === 'string') details.reason = body['deadletter-reason'];
        if (typeof body['deadletter-description'] === 'string') details.description = body['deadletter-description'];
        if (propertiesToModify !== undefined) details.propertiesToModify = propertiesToModify;
        result = store.deadLetter(entityPath, token, details);
        break;
      }
      default:
        return failure(400, ErrorConditions.badRequest, `Unknown disposition-status '${String(status)}'`);
    }
    if (result === 'lockLost') return lockLost();
  }
  return ok();
}

/** Receiving deferred messages; 404 message-not-found when any of them is not deferred. */
function receiveBySequenceNumber(store: EntityStore<ParsedMessage>, entityPath: string, body: RequestBody): OperationReply {
  const sequenceNumbers = sequenceNumbersOf(body['sequence-numbers']);
  const deferred = new Set(store.deferred(entityPath).map((message) => message.sequenceNumber));
  const missing = sequenceNumbers.filter((n) => !deferred.has(n));
  if (missing.length > 0) {
    return failure(
      404,
      ErrorConditions.messageNotFound,
      `Failed to lock one or more specified messages. Either the message is not deferred or it does not exist (sequence numbers: ${missing.join(', ')}).`,
    );
  }
  const mode: ReceiveMode = body['receiver-settle-mode'] === 0 ? 'receiveAndDelete' : 'peekLock';
  const messages = store.receiveDeferred(entityPath, sequenceNumbers, mode).map((delivery) => {
    const options = delivery.lockedUntil === undefined ? {} : { lockedUntil: delivery.lockedUntil };
    const entry: Record<string, unknown> = { message: encodeForTransfer(delivery.message, options) };
    if (delivery.lockToken !== undefined) {
      entry['lock-token'] = rhea.types.wrap_uuid(rhea.string_to_uuid(delivery.lockToken));
    }
    return entry;
  });
  return ok({ messages });
}
