import { createServiceBusClient, toServiceBusError } from '../../adapters/serviceBus/serviceBusClient.js';
import { PROPS } from '../../domain/intake/messageProps.js';
import { oneOf, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { CONFIG_OPTION, OUTPUT_OPTION, SERVICE_BUS_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { cliAzure, withAccess } from '../cliAzure.js';
import { formatTable } from '../formatTable.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { queuedJobs } from '../queueTrace.js';
import { scopedKey } from '../../domain/tenant/jobIdentity.js';

/** A copy starts a fresh outage budget; everything else (the key, the request's id, deferrals) is kept. */
const DROPPED_ON_REPLAY: readonly string[] = [PROPS.retries, PROPS.firstFailure];

export const replayCommand: Command = {
  name: 'replay',
  summary: "list a tenant's dead-lettered job messages, or send them to its queue again",
  usage: '[MESSAGE_ID…] [--all] [--tenant ID] [--servicebus NAMESPACE | --connection-string CS] [-o text|json]',
  description:
    "Without ids: lists the tenant's dead-letter queue (job key, why, when). With message ids, or --all: sends each\n" +
    'again to the queue (same body, key and request id; a fresh outage budget) and removes it from the dead-letter\n' +
    'queue. A job that already ran is not launched twice: the ledger and the cluster recognise its key. A namespace\n' +
    'without a connection string is reached with your Azure sign-in (az login): listing needs Azure Service Bus Data\n' +
    'Receiver on the queue, sending again Data Sender too.',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    ...SERVICE_BUS_OPTION,
    all: { type: 'boolean', description: 'send every dead-lettered message again' },
    'connection-string': {
      type: 'string',
      description: 'Service Bus connection string (default: settings.serviceBus, then SERVICEBUS_CONNECTION_STRING)',
      valueName: 'CS',
    },
    ...OUTPUT_OPTION(['text', 'json'], 'text'),
  },
  examples: [
    'spark-dispatch replay --tenant sales',
    'spark-dispatch replay --tenant sales 3f2a9c… 77b1e0…',
    'spark-dispatch replay --tenant sales --all',
  ],
  async run(args, io) {
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    const ids = [...args.positionals];
    const all = args.values.all === true;
    if (all && ids.length > 0) throw new UsageError('give message ids or --all, not both');
    const viaNamespace = stringOption(args, 'servicebus') !== undefined;
    if (viaNamespace && stringOption(args, 'connection-string') !== undefined)
      throw new UsageError('give --servicebus (your Azure sign-in) or --connection-string, not both');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const owner = cliTenant(args, loaded.settings);
    const queue = owner.tenant.queue;
    const connectionString =
      stringOption(args, 'connection-string') ??
      loaded.settings.serviceBus.connectionString ??
      (viaNamespace ? undefined : io.env.SERVICEBUS_CONNECTION_STRING);
    const azure = cliAzure(io);
    const namespace = loaded.settings.serviceBus.fullyQualifiedNamespace;
    const client = await createServiceBusClient(
      { ...loaded.settings.serviceBus, connectionString },
      azure.credentialFor,
      loaded.settings.blob.managedIdentityClientId,
    );
    // With the sign-in, a refusal names the role the signed-in identity lacks.
    const access = <T>(
      role: 'Azure Service Bus Data Receiver' | 'Azure Service Bus Data Sender',
      doing: string,
      work: () => Promise<T>,
    ): Promise<T> => {
      const mapped = () => work().catch((error: unknown) => Promise.reject(toServiceBusError(error, `${doing} on queue ${queue}`)));
      return connectionString === undefined && namespace !== undefined
        ? withAccess(azure, { service: 'servicebus', doing, namespace, queue, role }, mapped)
        : mapped();
    };
    try {
      if (!all && ids.length === 0) {
        const dead = (
          await access('Azure Service Bus Data Receiver', 'read dead-lettered messages', () => queuedJobs(client, queue))
        ).filter((j) => j.where === 'dead-lettered');
        const rows = dead.map((j) => ({
          messageId: j.messageId,
          jobKey: scopedKey(owner.id, j.jobKey),
          at: j.at?.toISOString(),
          reason: j.reason,
        }));
        if (format === 'json') io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) io.stdout.write(`no dead-lettered job messages on ${queue}\n`);
        else
          io.stdout.write(
            formatTable(
              ['MESSAGE ID', 'JOB KEY', 'DEAD-LETTERED', 'WHY'],
              rows.map((r) => [r.messageId, r.jobKey, (r.at ?? '-').replace('T', ' ').slice(0, 19), r.reason ?? '-']),
            ),
          );
        return EXIT.ok;
      }
      const wanted = new Set(ids);
      const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
      const sender = client.createSender(queue);
      const replayed: string[] = [];
      try {
        // Receive in batches until the dead-letter queue has nothing more to give, or gives back
        // only messages already passed over (an abandoned message comes back at once).
        const passed = new Set<string>();
        for (let round = 0; round < 100; round++) {
          const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: 1_000 });
          if (batch.length === 0) break;
          let fresh = 0;
          for (const message of batch) {
            const id = String(message.messageId ?? '');
            if (!all && !wanted.has(id)) {
              if (!passed.has(id)) fresh++;
              passed.add(id);
              await receiver.abandonMessage(message);
              continue;
            }
            fresh++;
            const props = Object.fromEntries(
              Object.entries(message.applicationProperties ?? {}).filter(([name]) => !DROPPED_ON_REPLAY.includes(name)),
            );
            await sender.sendMessages({
              body: message.body,
              messageId: `${id}~replay${Date.now()}`,
              contentType: message.contentType ?? 'application/json',
              subject: message.subject ?? 'job',
              applicationProperties: { [PROPS.messageId]: id, ...props },
            });
            await receiver.completeMessage(message);
            replayed.push(id);
          }
          if ((!all && replayed.length === wanted.size) || fresh === 0) break;
        }
      } finally {
        await receiver.close();
        await sender.close();
      }
      const missing = ids.filter((id) => !replayed.includes(id));
      if (format === 'json') io.stdout.write(`${JSON.stringify({ replayed, missing }, null, 2)}\n`);
      else {
        io.stdout.write(
          `sent again to ${queue}: ${replayed.length} message${replayed.length === 1 ? '' : 's'}${replayed.length > 0 ? ` (${replayed.join(', ')})` : ''}\n`,
        );
        if (missing.length > 0) io.stderr.write(`not on the dead-letter queue of ${queue}: ${missing.join(', ')}\n`);
      }
      return missing.length > 0 ? EXIT.invalid : EXIT.ok;
    } finally {
      await client.close();
    }
  },
  errorHint: (error) =>
    error.kind === 'configuration'
      ? 'Pass --servicebus NAMESPACE (with `az login`) or --connection-string, or set settings.serviceBus.'
      : undefined,
};
