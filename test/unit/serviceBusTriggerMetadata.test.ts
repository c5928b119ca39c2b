/**
 * Issue "Spark and Azure fidelity", item 14: the queue trigger's metadata in the local host has the
 * real host's shapes, and the job-message function reads them correctly.
 *
 * The oracle for the Node library's step is its own test (azure-functions-nodejs-library,
 * test/converters/fromRpcTriggerMetadata.test.ts, "serviceBusTrigger"); for the host's step,
 * ServiceBusTriggerBindingStrategy.AddBindingData (EnqueuedTimeUtc = EnqueuedTime.DateTime, an
 * unspecified-kind DateTime) serialised by Newtonsoft.Json.
 */
import functions from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterEach, describe, expect, it } from 'vitest';
import { makeJobMessagesHandler } from '../../src/triggers/jobMessagesHandler.js';
import { DispatchError } from '../../src/shared/errors.js';
import {
  fromRpcTriggerMetadata,
  messageIdOf,
  netDateTime,
  readServiceBusTrigger,
  serviceBusTriggerMetadata,
  utcInstant,
} from '../../src/triggers/serviceBusTriggerMetadata.js';
import { PROPS } from '../../src/domain/intake/messageProps.js';
import { BASE_SPEC, settingsWith } from '../support/fixtures.js';
import { memoryDeps } from '../support/memoryPorts.js';

const ENQUEUED = new Date('2026-11-23T10:00:00.120Z');

/** A received message as @azure/service-bus gives it (the fields the binding reads). */
function received(fields: Partial<Record<keyof ServiceBusReceivedMessage, unknown>> = {}): ServiceBusReceivedMessage {
  const sequence = { toString: () => '17' };
  return {
    body: { ...BASE_SPEC },
    messageId: 'm-1',
    deliveryCount: 0,
    enqueuedTimeUtc: ENQUEUED,
    expiresAtUtc: new Date('2026-12-07T10:00:00Z'),
    lockToken: '8c7e1f2a-0000-4000-8000-000000000001',
    sequenceNumber: sequence,
    subject: 'job',
    contentType: 'application/json',
    applicationProperties: { 'sd-job-key': 'nightly/2026-11-23', MyCount: 3, Sent: new Date('2026-11-23T09:59:59Z') },
    state: 'active',
    ...fields,
  } as unknown as ServiceBusReceivedMessage;
}

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('item 14: the local host gives the trigger metadata the real host gives', () => {
  it("the Node library step matches @azure/functions' own Service Bus fixture: strings and JSON parsed, keys camel-cased", () => {
    expect(
      fromRpcTriggerMetadata({
        DeliveryCount: { json: '1' },
        LockToken: { string: '00000000-0000-0000-0000-000000000000' },
        ExpiresAtUtc: { json: '"2022-09-08T05:06:39.775Z"' },
        EnqueuedTimeUtc: { json: '"2022-08-25T05:06:39.775Z"' },
        MessageId: { string: 'a11f788b439b4c5daa6a9f173bf78d68' },
        ContentType: { string: 'text/plain' },
        SequenceNumber: { json: '17' },
        UserProperties: { json: '{"$AzureWebJobsParentId":"4cad516d-0081-4fa8-8ddb-2f898c664d2b"}' },
        name: { string: 'world' },
      }),
    ).toEqual({
      deliveryCount: 1,
      lockToken: '00000000-0000-0000-0000-000000000000',
      expiresAtUtc: '2022-09-08T05:06:39.775Z',
      enqueuedTimeUtc: '2022-08-25T05:06:39.775Z',
      messageId: 'a11f788b439b4c5daa6a9f173bf78d68',
      contentType: 'text/plain',
      sequenceNumber: 17,
      userProperties: { $AzureWebJobsParentId: '4cad516d-0081-4fa8-8ddb-2f898c664d2b' },
      name: 'world',
    });
  });

  it('a received message: enqueuedTimeUtc without an offset, enqueuedTime with +00:00, counts and sequence numbers as numbers', () => {
    const meta = serviceBusTriggerMetadata(received());
    expect(meta).toMatchObject({
      messageId: 'm-1',
      deliveryCount: 1,
      enqueuedTimeUtc: '2026-11-23T10:00:00.12',
      enqueuedTime: '2026-11-23T10:00:00.12+00:00',
      expiresAtUtc: '2026-12-07T10:00:00',
      sequenceNumber: 17,
      lockToken: '8c7e1f2a-0000-4000-8000-000000000001',
      subject: 'job',
      label: 'job',
      contentType: 'application/json',
    });
    // Absent (null) values arrive as undefined.
    expect(meta).toHaveProperty('correlationId', undefined);
    expect(meta.sessionId).toBeUndefined();
  });

  it('application properties: first letter of each name lower-cased, timestamps as UTC text, and the same under userProperties', () => {
    const meta = serviceBusTriggerMetadata(received());
    const want = { 'sd-job-key': 'nightly/2026-11-23', myCount: 3, sent: '2026-11-23T09:59:59Z' };
    expect(meta.applicationProperties).toEqual(want);
    expect(meta.userProperties).toEqual(want);
  });

  it('a message id that reads as JSON arrives parsed: "12345" is a number, "true" a boolean, "123e4567" Infinity', () => {
    expect(serviceBusTriggerMetadata(received({ messageId: '12345' })).messageId).toBe(12345);
    expect(serviceBusTriggerMetadata(received({ messageId: 'true' })).messageId).toBe(true);
    expect(serviceBusTriggerMetadata(received({ messageId: '123e4567' })).messageId).toBe(Infinity);
    expect(serviceBusTriggerMetadata(received({ messageId: '0123' })).messageId).toBe('0123'); // not JSON: kept
    expect(serviceBusTriggerMetadata(received({ messageId: '"quoted"' })).messageId).toBe('quoted');
  });

  it('dates as Newtonsoft writes them: fraction digits only as needed, the offset the .NET value has', () => {
    expect(netDateTime(new Date('2026-11-23T10:00:00.000Z'), '')).toBe('2026-11-23T10:00:00');
    expect(netDateTime(new Date('2026-11-23T10:00:00.100Z'), 'Z')).toBe('2026-11-23T10:00:00.1Z');
    expect(netDateTime(new Date('2026-11-23T10:00:00.123Z'), '+00:00')).toBe('2026-11-23T10:00:00.123+00:00');
  });
});

describe("item 14: the job-message function reads the host's shapes", () => {
  it("an offset-less time is UTC, whatever the machine's time zone (JavaScript alone reads it as local time)", () => {
    process.env.TZ = 'America/New_York';
    expect(new Date('2026-11-23T10:00:00.123').toISOString()).toBe('2026-11-23T15:00:00.123Z'); // the trap
    expect(utcInstant('2026-11-23T10:00:00.123')?.toISOString()).toBe('2026-11-23T10:00:00.123Z');
    expect(utcInstant('2026-11-23T10:00:00')?.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(utcInstant('2026-11-23T10:00:00.1234567')?.toISOString()).toBe('2026-11-23T10:00:00.123Z');
    expect(utcInstant('2026-11-23T10:00:00.12+00:00')?.toISOString()).toBe('2026-11-23T10:00:00.120Z');
    expect(utcInstant('2026-11-23T11:00:00+01:00')?.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(utcInstant('not a time')).toBeUndefined();
    expect(utcInstant(undefined)).toBeUndefined();
  });

  it('a numeric message id becomes its string; one whose digits the host lost becomes seq:<sequence number>', () => {
    expect(messageIdOf(12345)).toEqual({ id: '12345' });
    expect(messageIdOf('m-1')).toEqual({ id: 'm-1' });
    expect(messageIdOf(true)).toEqual({ id: 'true' });
    expect(messageIdOf(null)).toEqual({ id: 'null' });
    expect(messageIdOf(undefined)).toEqual({ id: undefined });
    // A 19-digit snowflake id: JSON.parse already rounded it.
    const snowflake = messageIdOf(JSON.parse('1234567890123456789') as number, 17);
    expect(snowflake.id).toBe('seq:17');
    expect(snowflake.note).toMatch(/digits are lost/);
    expect(messageIdOf(Infinity, 18).id).toBe('seq:18');
    expect(messageIdOf(Infinity).id).toBe('Infinity');
  });

  it('readServiceBusTrigger: what the host gives, read back', () => {
    process.env.TZ = 'Asia/Tokyo';
    const trigger = readServiceBusTrigger(serviceBusTriggerMetadata(received({ messageId: '4711' })), 'inv-1');
    expect(trigger).toEqual({
      messageId: '4711',
      deliveryCount: 1,
      enqueuedTime: ENQUEUED,
      applicationProperties: { 'sd-job-key': 'nightly/2026-11-23', myCount: 3, sent: '2026-11-23T09:59:59Z' },
      notes: [],
    });
    expect(readServiceBusTrigger(undefined, 'inv-2')).toEqual({
      messageId: 'inv-2',
      deliveryCount: 1,
      enqueuedTime: undefined,
      applicationProperties: {},
      notes: [],
    });
  });

  it("the exported handler, given host-shaped metadata (numeric id, offset-less time), keys the job by the id's text and counts the wait from the enqueued time in UTC", async () => {
    process.env.TZ = 'America/Los_Angeles';
    const deps = memoryDeps(settingsWith());
    // A full namespace: the job is deferred, and the deferral counts from when the message was enqueued.
    const full = {
      create: async () => {
        throw new DispatchError('quota-exceeded', 'pods "x" is forbidden: exceeded quota: spark-drivers', {
          serverMessage: 'exceeded quota: spark-drivers',
        });
      },
      read: async () => undefined,
      remove: async () => false,
      list: async () => ({ items: [] }),
      readLog: async () => undefined,
    };
    const handler = makeJobMessagesHandler(async () => ({ ...deps, cluster: async () => full }));
    const meta = serviceBusTriggerMetadata(received({ messageId: '12345', applicationProperties: {} }));
    expect(meta.messageId).toBe(12345);
    expect(meta.enqueuedTimeUtc).toBe('2026-11-23T10:00:00.12');
    await handler(
      { ...BASE_SPEC },
      new functions.InvocationContext({ invocationId: 'inv-14', functionName: 'jobMessages', triggerMetadata: meta }),
    );

    const record = await deps.ledger.get('default/12345');
    expect(record).toMatchObject({ state: 'deferred', source: { kind: 'message', ref: '12345' } });
    expect(record?.history[0]?.ids).toMatchObject({ messageId: '12345', deliveryCount: 1 });
    const copy = deps.scheduled[0]?.message;
    expect(copy?.applicationProperties).toMatchObject({
      [PROPS.messageId]: '12345',
      [PROPS.jobKey]: '12345',
      [PROPS.firstSeen]: '2026-11-23T10:00:00.120Z',
    });
  });

  it('the exported handler: an id whose digits the host lost takes the sequence number, so two such messages stay two jobs', async () => {
    const deps = memoryDeps(settingsWith());
    const handler = makeJobMessagesHandler(async () => deps);
    for (const [id, sequence] of [
      ['1234567890123456789', '41'],
      ['1234567890123456788', '42'],
    ] as const) {
      const meta = serviceBusTriggerMetadata(
        received({ messageId: id, sequenceNumber: { toString: () => sequence }, applicationProperties: {} }),
      );
      expect(meta.messageId).toBe(1234567890123456800); // both: the host rounded them to the same number
      await handler(
        { ...BASE_SPEC },
        new functions.InvocationContext({ invocationId: `inv-${sequence}`, functionName: 'jobMessages', triggerMetadata: meta }),
      );
    }
    // The cluster is unreachable here: each job waits on its own key as an outage retry.
    expect((await deps.ledger.get('default/seq:41'))?.state).toBe('retrying');
    expect((await deps.ledger.get('default/seq:42'))?.state).toBe('retrying');
    expect(await deps.ledger.get('default/1234567890123456800')).toBeUndefined();
  });
});
