/**
 * The Service Bus trigger's metadata as the Azure Functions host hands it to a Node.js (v4 model)
 * function, and how to read it back. Production builds it in three steps, each reproduced here so
 * that the local host (queueTriggerHost) and the tests see what Azure gives:
 *
 * 1. The Service Bus extension (Microsoft.Azure.WebJobs.Extensions.ServiceBus 5.x,
 *    ServiceBusTriggerBindingStrategy.AddBindingData) turns the received message into binding data:
 *    DeliveryCount (int), DeadLetterSource, LockToken, ExpiresAtUtc (`ExpiresAt.DateTime`, a
 *    DateTime of unspecified kind), ExpiresAt (DateTimeOffset), EnqueuedTimeUtc
 *    (`EnqueuedTime.DateTime`), EnqueuedTime, MessageId, ContentType, ReplyTo, SequenceNumber
 *    (long), To, Subject, Label (the subject again), CorrelationId, ApplicationProperties,
 *    UserProperties (the same dictionary), SessionId, ReplyToSessionId, PartitionKey,
 *    TransactionPartitionKey, and SDK objects (MessageReceiver, MessageActions, Client…) that are
 *    of no use to a Node function and left out here.
 * 2. The host converts each value to RPC TypedData (RpcMessageConversionExtensions.ToRpc): a
 *    string stays a string, null is empty, anything else is JSON from Newtonsoft.Json
 *    (JsonConvert.SerializeObject): dates in ISO 8601 with up to seven fraction digits, trailing
 *    zeros dropped, and an offset only where the .NET value has one: none for the `…Utc` fields
 *    (unspecified kind), `Z` for UTC DateTimes, `+00:00` for DateTimeOffsets.
 * 3. The Node library (fromRpcTriggerMetadata, fromRpcTypedData) JSON-parses the JSON values *and
 *    the strings* (tryJsonParse: a message id "12345" arrives as the number 12345, "true" as true,
 *    "1e5" as 100000), then lower-cases the first letter of every key, nested keys included.
 *
 * So a handler must not trust `new Date(enqueuedTimeUtc)` (an offset-less ISO time is local time
 * to JavaScript) nor `String(messageId)` for numbers beyond 2^53 (the digits are already gone).
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/** RpcTypedData as far as these fields use it: a string, JSON text, or nothing (null). */
type TypedData = { readonly string: string } | { readonly json: string } | Record<string, never>;

/** The `triggerMetadata` the Functions host gives a Node function for this message (single dispatch). */
export function serviceBusTriggerMetadata(message: ServiceBusReceivedMessage): Record<string, unknown> {
  return fromRpcTriggerMetadata(toRpcBindingData(message));
}

/** Steps 1 and 2: the extension's binding data, as the host puts it on the wire. */
export function toRpcBindingData(message: ServiceBusReceivedMessage): Record<string, TypedData> {
  const text = (value: string | number | Buffer | undefined | null): TypedData =>
    value === undefined || value === null ? {} : { string: Buffer.isBuffer(value) ? value.toString('hex') : String(value) };
  const properties = netJsonProperties(message.applicationProperties ?? {});
  return {
    // The JS SDK counts earlier deliveries (0 on the first); .NET counts this one too.
    DeliveryCount: { json: String((message.deliveryCount ?? 0) + 1) },
    DeadLetterSource: text(message.deadLetterSource),
    LockToken: text(message.lockToken),
    ExpiresAtUtc: message.expiresAtUtc ? { json: JSON.stringify(netDateTime(message.expiresAtUtc, '')) } : {},
    ExpiresAt: message.expiresAtUtc ? { json: JSON.stringify(netDateTime(message.expiresAtUtc, '+00:00')) } : {},
    EnqueuedTimeUtc: message.enqueuedTimeUtc ? { json: JSON.stringify(netDateTime(message.enqueuedTimeUtc, '')) } : {},
    EnqueuedTime: message.enqueuedTimeUtc ? { json: JSON.stringify(netDateTime(message.enqueuedTimeUtc, '+00:00')) } : {},
    MessageId: text(message.messageId),
    ContentType: text(message.contentType),
    ReplyTo: text(message.replyTo),
    // A long, written as JSON digits.
    SequenceNumber: message.sequenceNumber === undefined ? {} : { json: message.sequenceNumber.toString() },
    To: text(message.to),
    Subject: text(message.subject),
    Label: text(message.subject),
    CorrelationId: text(message.correlationId),
    ApplicationProperties: { json: properties },
    UserProperties: { json: properties },
    SessionId: text(message.sessionId),
    ReplyToSessionId: text(message.replyToSessionId),
    PartitionKey: text(message.partitionKey),
    TransactionPartitionKey: {},
  };
}

/** Step 3, as @azure/functions does it (fromRpcTriggerMetadata for a non-HTTP, non-timer trigger). */
export function fromRpcTriggerMetadata(data: Readonly<Record<string, TypedData>>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) result[camelCaseKey(key)] = camelCaseValue(fromRpcTypedData(value));
  return result;
}

function fromRpcTypedData(data: TypedData): unknown {
  if ('string' in data && typeof data.string === 'string') return tryJsonParse(data.string);
  if ('json' in data && typeof data.json === 'string') return JSON.parse(data.json) as unknown;
  return undefined;
}

function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const camelCaseKey = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

function camelCaseValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(camelCaseValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelCaseKey(k), camelCaseValue(v)]));
}

/**
 * A DateTime as Newtonsoft.Json writes it by default: `yyyy-MM-ddTHH:mm:ss.FFFFFFF` (fraction
 * digits only as needed) and the offset the .NET value carries ('' for an unspecified kind).
 */
export function netDateTime(date: Date, offset: '' | 'Z' | '+00:00'): string {
  const iso = date.toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}${offset}`;
}

/** Application properties as Newtonsoft serialises the .NET dictionary (AMQP timestamps are UTC DateTimes, binary is base64). */
function netJsonProperties(properties: Readonly<Record<string, unknown>>): string {
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value instanceof Date) converted[key] = netDateTime(value, 'Z');
    else if (Buffer.isBuffer(value)) converted[key] = value.toString('base64');
    else if (typeof value === 'bigint') converted[key] = value.toString();
    else converted[key] = value;
  }
  return JSON.stringify(converted);
}

// ── Reading it back ─────────────────────────────────────────────────────────────────────────

export interface ServiceBusTrigger {
  readonly messageId: string;
  readonly deliveryCount: number;
  readonly enqueuedTime: Date | undefined;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  /** What could not be read as sent, for the log. */
  readonly notes: readonly string[];
}

/**
 * What a job message's trigger metadata says, read as production delivers it.
 * @param fallbackId when the message has no id at all (the invocation id)
 */
export function readServiceBusTrigger(meta: Readonly<Record<string, unknown>> | undefined, fallbackId: string): ServiceBusTrigger {
  const m = meta ?? {};
  const notes: string[] = [];
  const id = messageIdOf(m.messageId, m.sequenceNumber);
  if (id.note) notes.push(id.note);
  const count = typeof m.deliveryCount === 'number' ? m.deliveryCount : Number(m.deliveryCount ?? 1);
  const properties = m.applicationProperties ?? m.userProperties;
  return {
    messageId: id.id ?? fallbackId,
    deliveryCount: Number.isSafeInteger(count) && count >= 1 ? count : 1,
    enqueuedTime: utcInstant(m.enqueuedTimeUtc) ?? utcInstant(m.enqueuedTime),
    applicationProperties:
      typeof properties === 'object' && properties !== null && !Array.isArray(properties) ? (properties as Record<string, unknown>) : {},
    notes,
  };
}

/**
 * The message id as sent, as far as it can be told. The host's JSON-parse turns an id that reads
 * as JSON into that value: a safe integer or a literal (true, null) gives its text back exactly;
 * a number past 2^53 (a 19-digit snowflake id, say) or in exponent form ("123e4567", a plausible
 * hex id, arrives as Infinity) has lost its digits, so two messages could map to one job key. For
 * those the id is the message's sequence number (unique on its queue, the same on every
 * redelivery), `seq:<n>`, with a note.
 */
export function messageIdOf(value: unknown, sequenceNumber?: unknown): { readonly id: string | undefined; readonly note?: string } {
  if (typeof value === 'string') return { id: value === '' ? undefined : value };
  if (value === undefined) return { id: undefined };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { id: String(value) };
  if (typeof value === 'boolean' || value === null) return { id: String(value) };
  if (typeof value === 'number') {
    const lost = `the message id reached the function as the number ${String(value)} (the Functions host JSON-parses ids): its digits are lost`;
    if (typeof sequenceNumber === 'number' && Number.isSafeInteger(sequenceNumber))
      return {
        id: `seq:${sequenceNumber}`,
        note: `${lost}; using its sequence number (seq:${sequenceNumber}): give such messages a jobKey`,
      };
    return { id: String(value), note: `${lost}; no sequence number to use instead` };
  }
  // An id that is JSON text of an object or a list: its canonical JSON (spacing may differ from what was sent).
  return { id: JSON.stringify(value), note: 'the message id reached the function as parsed JSON; using its JSON text' };
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * An instant from the trigger: a Date, or an ISO 8601 time, where a time without an offset is
 * UTC (the host writes `EnqueuedTimeUtc` that way; JavaScript would read it as local time).
 */
export function utcInstant(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const millis = (m[2] ?? '').slice(0, 3).padEnd(3, '0');
  const t = Date.parse(`${m[1]}.${millis}${m[3] ?? 'Z'}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}
