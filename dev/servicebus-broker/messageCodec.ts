/**
 * AMQP message handling for the test/local-development Service Bus stand-in (see `amqpBroker.ts`):
 * splitting Service Bus batched transfers, keeping a message's sections byte-for-byte, writing the
 * broker-owned header and `x-opt-*` annotations on the way out, lock token ↔ delivery tag, and the
 * inspection view tests read. Not production code.
 */
import rhea from 'rhea';
import type { Typed } from 'rhea';
import type { StoredMessage } from './entityStore.js';
import { createReader, createWriter } from './rheaInternals.js';

/** Message format of a Service Bus batch: the body is data sections, each one an encoded message. */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

/** Annotation keys Service Bus puts on messages it delivers (see `@azure/core-amqp` Constants). */
export const Annotations = {
  enqueuedTime: 'x-opt-enqueued-time',
  sequenceNumber: 'x-opt-sequence-number',
  lockedUntil: 'x-opt-locked-until',
  scheduledEnqueueTime: 'x-opt-scheduled-enqueue-time',
  messageState: 'x-opt-message-state',
} as const;

/** `x-opt-message-state` values the SDK understands. */
export const MessageState = { active: 0, deferred: 1, scheduled: 2 } as const;
export type MessageStateValue = (typeof MessageState)[keyof typeof MessageState];

const SectionCode = {
  header: 0x70,
  deliveryAnnotations: 0x71,
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
  data: 0x75,
  sequence: 0x76,
  value: 0x77,
  footer: 0x78,
} as const;

const symbolicSectionCodes: Record<string, number> = {
  'amqp:header:list': SectionCode.header,
  'amqp:delivery-annotations:map': SectionCode.deliveryAnnotations,
  'amqp:message-annotations:map': SectionCode.messageAnnotations,
  'amqp:properties:list': SectionCode.properties,
  'amqp:application-properties:map': SectionCode.applicationProperties,
  'amqp:data:binary': SectionCode.data,
  'amqp:amqp-sequence:list': SectionCode.sequence,
  'amqp:value:*': SectionCode.value,
  'amqp:footer:map': SectionCode.footer,
};

export interface HeaderFields {
  durable: boolean | undefined;
  priority: number | undefined;
  ttl: number | undefined;
}

/**
 * A message as the broker keeps it. The properties section and the body/footer sections are kept
 * as the sender encoded them; the header and message annotations are re-written on every transfer
 * (delivery count, sequence number, lock), and the application properties are re-encoded from
 * their original typed values so abandon/dead-letter can add to them.
 */
export interface ParsedMessage {
  readonly header: HeaderFields;
  readonly annotations: ReadonlyMap<string, Typed>;
  readonly propertiesSection: Buffer | undefined;
  readonly applicationProperties: ReadonlyMap<string, Typed>;
  readonly bodySections: Buffer[];
  readonly messageId: unknown;
  readonly subject: string | undefined;
  readonly contentType: string | undefined;
  readonly correlationId: unknown;
  readonly scheduledEnqueueTime: number | undefined;
}

export interface BrokerMessageView {
  messageId?: string;
  body: unknown;
  applicationProperties: Record<string, unknown>;
  deliveryCount: number;
  sequenceNumber: number;
  enqueuedTime: Date;
  scheduledEnqueueTime?: Date;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
  contentType?: string;
  subject?: string;
  correlationId?: string;
}

interface BodySection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function isBodySection(value: unknown): value is BodySection {
  return typeof value === 'object' && value !== null && 'typecode' in value && 'content' in value;
}

function sectionCode(section: Typed): number | undefined {
  const descriptor: unknown = section.descriptor;
  if (descriptor === undefined || descriptor === null) return undefined;
  const value: unknown = typeof descriptor === 'object' && 'value' in descriptor ? descriptor.value : descriptor;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return symbolicSectionCodes[value];
  return undefined;
}

function typedItems(section: Typed): Typed[] {
  const value: unknown = section.value;
  return Array.isArray(value) ? (value as Typed[]) : [];
}

function typedMap(section: Typed): Map<string, Typed> {
  const items = typedItems(section);
  const map = new Map<string, Typed>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i];
    const value = items[i + 1];
    if (key === undefined || value === undefined) continue;
    map.set(String(rhea.types.unwrap(key)), value);
  }
  return map;
}

function unwrapAt(items: Typed[], index: number): unknown {
  const item = items[index];
  return item === undefined ? undefined : rhea.types.unwrap(item);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function toTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return undefined;
}

/** A message id as a comparable string (duplicate detection, views). */
/** An AMQP map value as a record (not a list, a buffer or a primitive), else undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function messageIdText(messageId: unknown): string | undefined {
  if (messageId === undefined || messageId === null) return undefined;
  if (Buffer.isBuffer(messageId)) {
    return messageId.length === 16 ? rhea.uuid_to_string(messageId) : messageId.toString('hex');
  }
  return String(messageId);
}

/** The encoded messages carried by one transfer (one for format 0, each data section of a batch). */
export function splitTransfer(format: number, payload: Buffer): Buffer[] {
  if (format !== BATCH_MESSAGE_FORMAT) return [payload];
  const envelope = rhea.message.decode(payload);
  const body: unknown = envelope.body;
  if (!isBodySection(body) || body.typecode !== SectionCode.data) {
    throw new Error('Batched message body must consist of data sections');
  }
  const parts = body.multiple === true && Array.isArray(body.content) ? body.content : [body.content];
  return parts.map((part) => {
    if (!Buffer.isBuffer(part)) throw new Error('Batched message data section is not binary');
    return part;
  });
}

/** Splits an encoded message into sections, decoding what the broker needs to read or rewrite. */
export function parseMessage(encoded: Buffer): ParsedMessage {
  const reader = createReader(encoded);
  const header: HeaderFields = { durable: undefined, priority: undefined, ttl: undefined };
  let annotations = new Map<string, Typed>();
  let applicationProperties = new Map<string, Typed>();
  let propertiesSection: Buffer | undefined;
  let propertyItems: Typed[] = [];
  const bodySections: Buffer[] = [];
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    const raw = encoded.subarray(start, reader.position);
    switch (sectionCode(section)) {
      case SectionCode.header: {
        const items = typedItems(section);
        const durable = unwrapAt(items, 0);
        header.durable = typeof durable === 'boolean' ? durable : undefined;
        header.priority = optionalNumber(unwrapAt(items, 1));
        header.ttl = optionalNumber(unwrapAt(items, 2));
        break;
      }
      case SectionCode.deliveryAnnotations:
        // Delivery annotations are hop-by-hop; Service Bus does not pass them on.
        break;
      case SectionCode.messageAnnotations:
        annotations = typedMap(section);
        break;
      case SectionCode.properties:
        propertiesSection = Buffer.from(raw);
        propertyItems = typedItems(section);
        break;
      case SectionCode.applicationProperties:
        applicationProperties = typedMap(section);
        break;
      case SectionCode.data:
      case SectionCode.sequence:
      case SectionCode.value:
      case SectionCode.footer:
        bodySections.push(Buffer.from(raw));
        break;
      default:
        throw new Error('Message contains an unknown or undescribed section');
    }
  }
  const scheduledTyped = annotations.get(Annotations.scheduledEnqueueTime);
  return {
    header,
    annotations,
    propertiesSection,
    applicationProperties,
    bodySections,
    messageId: unwrapAt(propertyItems, 0),
    subject: optionalString(unwrapAt(propertyItems, 3)),
    correlationId: unwrapAt(propertyItems, 5),
    contentType: optionalString(unwrapAt(propertyItems, 6)),
    scheduledEnqueueTime: scheduledTyped === undefined ? undefined : toTime(rhea.types.unwrap(scheduledTyped)),
  };
}

/**
 * Service Bus gives every message a MessageId: when the sender sets none, the broker assigns one
 * (a GUID). The SDK relies on it (its auto lock renewal is keyed by messageId).
 */
export function ensureMessageId(message: ParsedMessage, newId: () => string): ParsedMessage {
  if (message.messageId !== undefined && message.messageId !== null) return message;
  const messageId = newId();
  const items: Typed[] = [];
  if (message.propertiesSection !== undefined) {
    items.push(...typedItems(createReader(message.propertiesSection).read()));
  }
  items[0] = rhea.types.wrap_string(messageId);
  const writer = createWriter();
  writer.write(describedSection(SectionCode.properties, rhea.types.wrap_list(items)));
  return { ...message, messageId, propertiesSection: writer.toBuffer() };
}

/** Application properties after abandon/defer/dead-letter changes, still as typed AMQP values. */
function mergedApplicationProperties(message: StoredMessage<ParsedMessage>): Map<string, Typed> {
  const merged = new Map(message.payload.applicationProperties);
  for (const [key, value] of Object.entries(message.propertyUpdates)) {
    merged.set(key, rhea.types.wrap(value));
  }
  return merged;
}

function describedSection(code: number, value: Typed): Typed {
  return rhea.types.described(rhea.types.wrap_ulong(code), value) as Typed;
}

export interface TransferOptions {
  lockedUntil?: number;
  state?: MessageStateValue;
}

/**
 * The bytes Service Bus would put on the wire for this message: a fresh header whose delivery-count
 * is the number of failed deliveries so far (Service Bus semantics: 0 on the first delivery; the
 * JS SDK surfaces this value as `deliveryCount` unchanged), the sender's annotations plus the
 * broker's `x-opt-*` ones, then the original properties, application properties and body.
 */
export function encodeForTransfer(message: StoredMessage<ParsedMessage>, options: TransferOptions = {}): Buffer {
  const { payload } = message;
  const types = rhea.types;
  const writer = createWriter();
  writer.write(
    describedSection(
      SectionCode.header,
      types.wrap_list([
        types.wrap_boolean(payload.header.durable ?? false),
        types.wrap_ubyte(payload.header.priority ?? 4),
        payload.header.ttl === undefined ? types.wrap(null) : types.wrap_uint(payload.header.ttl),
        types.wrap_boolean(false),
        types.wrap_uint(message.deliveryCount),
      ]),
    ),
  );
  const annotations: Record<string, Typed> = {};
  for (const [key, value] of payload.annotations) annotations[key] = value;
  annotations[Annotations.enqueuedTime] = types.wrap_timestamp(message.enqueuedTime);
  annotations[Annotations.sequenceNumber] = types.wrap_long(message.sequenceNumber);
  if (message.scheduledEnqueueTime !== undefined) {
    annotations[Annotations.scheduledEnqueueTime] = types.wrap_timestamp(message.scheduledEnqueueTime);
  }
  if (options.lockedUntil !== undefined) {
    annotations[Annotations.lockedUntil] = types.wrap_timestamp(options.lockedUntil);
  }
  if (options.state !== undefined && options.state !== MessageState.active) {
    annotations[Annotations.messageState] = types.wrap_int(options.state);
  }
  writer.write(describedSection(SectionCode.messageAnnotations, types.wrap_symbolic_map(annotations)));
  const head = writer.toBuffer();
  const parts: Buffer[] = [head];
  if (payload.propertiesSection !== undefined) parts.push(payload.propertiesSection);
  const applicationProperties = mergedApplicationProperties(message);
  if (applicationProperties.size > 0) {
    const appWriter = createWriter();
    const entries: Record<string, Typed> = {};
    for (const [key, value] of applicationProperties) entries[key] = value;
    appWriter.write(describedSection(SectionCode.applicationProperties, types.wrap_map(entries)));
    parts.push(appWriter.toBuffer());
  }
  parts.push(...payload.bodySections);
  return Buffer.concat(parts);
}

/**
 * Service Bus lock tokens are GUIDs; the delivery tag carries the GUID in .NET byte order, so the
 * SDK shows `uuid_to_string(reorder(tag))` as `lockToken` and sends the string back (as an AMQP
 * uuid) in management requests.
 */
function reorderGuidBytes(bytes: Buffer): Buffer {
  const b = (index: number): number => bytes[index] ?? 0;
  return Buffer.from([b(3), b(2), b(1), b(0), b(5), b(4), b(7), b(6), b(8), b(9), b(10), b(11), b(12), b(13), b(14), b(15)]);
}

export function lockTokenToDeliveryTag(lockToken: string): Buffer {
  return reorderGuidBytes(rhea.string_to_uuid(lockToken));
}

export function deliveryTagToLockToken(tag: Buffer): string {
  return rhea.uuid_to_string(reorderGuidBytes(tag));
}

/** Lock tokens in management requests are AMQP uuids holding the GUID in RFC 4122 order. */
export function uuidToLockToken(value: unknown): string | undefined {
  if (Buffer.isBuffer(value) && value.length === 16) return rhea.uuid_to_string(value);
  if (typeof value === 'string') return value.toLowerCase();
  return undefined;
}

/** The body as the SDK would decode it: data sections as JSON when they parse, else a Buffer. */
function decodeBody(bodySections: Buffer[]): unknown {
  const dataParts: Buffer[] = [];
  for (const raw of bodySections) {
    const decoded = rhea.message.decode(raw);
    const body: unknown = decoded.body;
    if (isBodySection(body)) {
      if (body.typecode === SectionCode.data) {
        const parts = body.multiple === true && Array.isArray(body.content) ? body.content : [body.content];
        for (const part of parts) if (Buffer.isBuffer(part)) dataParts.push(part);
        continue;
      }
      return body.content;
    }
    if (body !== undefined) return body;
  }
  if (dataParts.length === 0) return undefined;
  const data = Buffer.concat(dataParts);
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return data;
  }
}

export function toMessageView(message: StoredMessage<ParsedMessage>): BrokerMessageView {
  const { payload } = message;
  const applicationProperties: Record<string, unknown> = {};
  for (const [key, value] of mergedApplicationProperties(message)) {
    applicationProperties[key] = rhea.types.unwrap(value);
  }
  const view: BrokerMessageView = {
    body: decodeBody(payload.bodySections),
    applicationProperties,
    deliveryCount: message.deliveryCount,
    sequenceNumber: message.sequenceNumber,
    enqueuedTime: new Date(message.enqueuedTime),
  };
  const messageId = messageIdText(payload.messageId);
  if (messageId !== undefined) view.messageId = messageId;
  if (message.scheduledEnqueueTime !== undefined) view.scheduledEnqueueTime = new Date(message.scheduledEnqueueTime);
  if (message.deadLetterReason !== undefined) view.deadLetterReason = message.deadLetterReason;
  if (message.deadLetterErrorDescription !== undefined) {
    view.deadLetterErrorDescription = message.deadLetterErrorDescription;
  }
  if (payload.contentType !== undefined) view.contentType = payload.contentType;
  if (payload.subject !== undefined) view.subject = payload.subject;
  const correlationId = messageIdText(payload.correlationId);
  if (correlationId !== undefined) view.correlationId = correlationId;
  return view;
}
