/**
 * Sends through one Service Bus sender, putting messages that arrive while a send is on the wire
 * into one batch for the next send. A quiet sender sends each message at once, as before; a busy
 * one (many invocations of a worker publishing events at the same time) sends one AMQP transfer
 * for many messages instead of one each, which is what Microsoft's performance guidance asks of
 * busy senders ("Batching store access" and client-side batching in "Best practices for
 * performance improvements using Service Bus Messaging"), without the fixed flush delay the older
 * .NET client used (BatchFlushInterval, 20 ms): nothing waits unless a send is already in flight.
 *
 * A batch is sent as a whole or not at all (Service Bus stores its messages together), so each
 * caller gets the outcome of the batch its message went in: resolved once the broker accepted it,
 * or rejected with the error the SDK raised.
 */
import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

interface Waiting {
  readonly message: ServiceBusMessage;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface CoalescingSender {
  send(message: ServiceBusMessage): Promise<void>;
}

export function coalescingSender(sender: () => ServiceBusSender): CoalescingSender {
  let waiting: Waiting[] = [];
  let sending = false;

  const sendAll = async (taken: readonly Waiting[]): Promise<void> => {
    if (taken.length === 1) {
      await settle(taken, () => sender().sendMessages(taken[0]!.message));
      return;
    }
    // The SDK's batch knows the link's maximum message size; what does not fit goes in the next one.
    let batch = await sender().createMessageBatch();
    let members: Waiting[] = [];
    for (const item of taken) {
      if (batch.tryAddMessage(item.message)) {
        members.push(item);
        continue;
      }
      if (members.length > 0) {
        const full = batch;
        await settle(members, () => sender().sendMessages(full));
        batch = await sender().createMessageBatch();
        members = [];
        if (batch.tryAddMessage(item.message)) {
          members.push(item);
          continue;
        }
      }
      // Too large even alone: sent alone, so the caller gets the SDK's own size error.
      await settle([item], () => sender().sendMessages(item.message));
    }
    if (members.length > 0) {
      const last = batch;
      await settle(members, () => sender().sendMessages(last));
    }
  };

  const drain = async (): Promise<void> => {
    sending = true;
    try {
      while (waiting.length > 0) {
        const taken = waiting;
        waiting = [];
        try {
          await sendAll(taken);
        } catch (error) {
          // createMessageBatch failed (the link could not open): everyone still waiting in this round hears it.
          for (const item of taken) item.reject(error);
        }
      }
    } finally {
      sending = false;
    }
  };

  return {
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ message, resolve, reject });
        if (!sending) void drain();
      }),
  };
}

/** Runs one send and tells each member its outcome. A promise settled twice keeps the first outcome. */
async function settle(members: readonly Waiting[], send: () => Promise<void>): Promise<void> {
  try {
    await send();
    for (const m of members) m.resolve();
  } catch (error) {
    for (const m of members) m.reject(error);
  }
}
