/**
 * Protocol details of the test broker seen from a bare rhea client: things the SDK relies on but
 * does not exercise deterministically (drain answered when the credit is already used up,
 * settled dispositions, delivery tag = lock token, advertised max-message-size, attach refusal).
 */
import { once } from 'node:events';
import rhea from 'rhea';
import type { Connection, EventContext, Receiver, Sender } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../dev/servicebus-broker/index.js';

let broker: Broker;
let connection: Connection | undefined;

function waitFor(emitter: Receiver | Sender | Connection, event: string, timeoutMs = 1_000): Promise<EventContext> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${event}'`)), timeoutMs);
    emitter.once(event, (context: EventContext) => {
      clearTimeout(timer);
      resolve(context);
    });
  });
}

async function connect(): Promise<Connection> {
  const container = rhea.create_container();
  connection = container.connect({ host: '127.0.0.1', port: broker.port, reconnect: false });
  await waitFor(connection, 'connection_open');
  return connection;
}

async function openReceiver(conn: Connection, address: string): Promise<Receiver> {
  const receiver = conn.open_receiver({
    source: { address },
    credit_window: 0,
    autoaccept: false,
    rcv_settle_mode: 1,
    snd_settle_mode: 0,
  });
  await waitFor(receiver, 'receiver_open');
  return receiver;
}

async function sendOne(conn: Connection, address: string, body: string): Promise<Sender> {
  const sender = conn.open_sender({ target: { address } });
  await waitFor(sender, 'sendable');
  sender.send({ body, message_id: body });
  await waitFor(sender, 'accepted');
  return sender;
}

beforeAll(async () => {
  broker = await startBroker({ queues: { q: {}, q2: {} }, maxMessageSizeBytes: 64 * 1024 });
});

afterEach(async () => {
  if (connection !== undefined) {
    const closing = connection;
    connection = undefined;
    closing.close();
    await Promise.race([once(closing, 'connection_close'), new Promise((r) => setTimeout(r, 500))]);
  }
});

afterAll(async () => {
  await broker?.close();
});

describe('test broker at the AMQP level', () => {
  it('advertises max-message-size on links and refuses oversized transfers', async () => {
    const conn = await connect();
    const sender = conn.open_sender({ target: { address: 'q2' } });
    await waitFor(sender, 'sendable');
    expect(sender.max_message_size).toBe(64 * 1024);
    sender.send({ body: Buffer.alloc(70 * 1024) });
    const rejected = await waitFor(sender, 'rejected');
    expect(rejected.delivery?.remote_state?.['error']?.condition).toBe('amqp:link:message-size-exceeded');
    expect(broker.messages('q2')).toHaveLength(0);
  });

  it('uses the lock token as delivery tag and answers settlement with a settled disposition', async () => {
    const conn = await connect();
    await sendOne(conn, 'q', 'm1');
    const receiver = await openReceiver(conn, 'q');
    receiver.add_credit(1);
    const { delivery, message } = await waitFor(receiver, 'message');
    expect(message?.body).toBe('m1');
    expect(message?.delivery_count ?? 0).toBe(0);
    const tag = delivery!.tag as Buffer;
    expect(tag).toHaveLength(16);
    expect(broker.locked('q')).toHaveLength(1);

    const settled = waitFor(receiver, 'settled');
    delivery!.accept();
    const { delivery: answered } = await settled;
    expect(answered?.remote_settled).toBe(true);
    const outcome = answered?.remote_state?.constructor as { composite_type?: string } | undefined;
    expect(outcome?.composite_type).toBe('accepted');
    expect(broker.locked('q')).toHaveLength(0);
  });

  it('answers a drain even when the last credit was already used', async () => {
    const conn = await connect();
    await sendOne(conn, 'q', 'm2');
    const receiver = await openReceiver(conn, 'q');
    receiver.add_credit(1);
    const { delivery } = await waitFor(receiver, 'message');
    // rhea on its own only answers drains while credit remains; the SDK waits for the answer.
    receiver.drain_credit();
    await waitFor(receiver, 'receiver_drained', 500);
    receiver.drain = false;
    delivery!.accept();
    await waitFor(receiver, 'settled');
  });

  it('drain with credit left gives the credit back without sending more than asked', async () => {
    const conn = await connect();
    const receiver = await openReceiver(conn, 'q');
    receiver.add_credit(5);
    receiver.drain_credit();
    await waitFor(receiver, 'receiver_drained', 500);
    expect((receiver as unknown as { credit: number }).credit).toBe(0);
    receiver.drain = false;
    await sendOne(conn, 'q', 'after-drain');
    // No credit: nothing may arrive.
    await expect(waitFor(receiver, 'message', 200)).rejects.toThrow(/timed out/);
    expect(broker.messages('q').map((m) => m.messageId)).toEqual(['after-drain']);
    receiver.add_credit(1);
    const { delivery } = await waitFor(receiver, 'message');
    delivery!.accept();
    await waitFor(receiver, 'settled');
  });

  it('refuses to attach to an entity that does not exist', async () => {
    const conn = await connect();
    const receiver = conn.open_receiver({ source: { address: 'missing' } });
    const { receiver: failed } = await waitFor(receiver, 'receiver_error');
    const error = failed?.error as { condition?: string; description?: string } | undefined;
    expect(error?.condition).toBe('amqp:not-found');
    expect(error?.description).toMatch(/The messaging entity .* could not be found/);
  });
});
