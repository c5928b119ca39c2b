import type { LedgerRecord } from '../../domain/intake/ledgerRecord.js';
import { createServiceBusClient } from '../../adapters/serviceBus/serviceBusClient.js';
import { tenantRefs } from '../../domain/tenant/tenancy.js';
import type { Settings } from '../../settings/settingsSchema.js';
import { queuedJobs } from '../queueTrace.js';
import { integerOption, oneOf, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliLedger, findRecord } from '../cliLedger.js';
import { CONFIG_OPTION, OUTPUT_OPTION, SERVICE_BUS_OPTION, STORAGE_ACCOUNT_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { cliAzure, withAccess, type CliAzure } from '../cliAzure.js';
import { formatTable } from '../formatTable.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { jobId, scopedKey } from '../../domain/tenant/jobIdentity.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show a job from the ledger (with its history), or the latest jobs',
  usage: '[JOBKEY] [--tenant ID] [--limit N] [--storage-account NAME] [--servicebus NAMESPACE] [-o text|json]',
  description:
    'Reads the job ledger (settings.ledger and settings.blob). Every job request ends there: launched, deferred or rejected with its reasons.\n' +
    "A deployment's ledger is read with your Azure sign-in (az login), which needs Storage Blob Data Reader on the ledger container.",
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    ...STORAGE_ACCOUNT_OPTION,
    ...SERVICE_BUS_OPTION,
    limit: { type: 'string', description: 'how many of the latest jobs (default 20)', valueName: 'N' },
    ...OUTPUT_OPTION(['text', 'json'], 'text'),
  },
  examples: [
    'spark-dispatch status',
    'spark-dispatch status daily-sales/2026-11-22 -o json',
    'spark-dispatch status --storage-account sdlake7x2q4 --servicebus sd-bus-7x2q4',
  ],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError('name at most one job key');
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    const limit = integerOption(args, 'limit', { min: 1, max: 1000 }) ?? 20;
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const azure = cliAzure(io);
    const ledger = cliLedger(loaded.settings, azure, io.cwd);
    const { account, container } = loaded.settings.ledger;
    return withAccess(
      azure,
      { service: 'storage', doing: 'read the job ledger', account: account!, container, role: 'Storage Blob Data Reader' },
      async () => {
        const key = args.positionals[0];
        if (key !== undefined) {
          const record = await findRecord(ledger, loaded.settings, key, stringOption(args, 'tenant'));
          if (!record) {
            // Not in the ledger: it may be waiting on its queue (storage was down when it came), or dead-lettered.
            const queued = await onQueues(
              loaded.settings,
              key,
              stringOption(args, 'tenant'),
              stringOption(args, 'servicebus') === undefined ? io.env.SERVICEBUS_CONNECTION_STRING : undefined,
              azure,
            ).catch(() => []);
            if (queued.length > 0) {
              io.stdout.write(
                format === 'json'
                  ? `${JSON.stringify(queued, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
                  : queued
                      .map(
                        (q) =>
                          `job key:   ${q.key}\nledger:    no record yet\nqueue:     ${q.queue}: ${q.job.where}${q.job.at ? ` (${q.job.where === 'scheduled' ? 'comes back' : 'since'} ${q.job.at.toISOString()})` : ''}${q.job.reason ? `: ${q.job.reason}` : ''}\n`,
                      )
                      .join('\n'),
              );
              return EXIT.ok;
            }
            io.stderr.write(`spark-dispatch status: no job with key ${JSON.stringify(key)} in the ledger or on the job queues\n`);
            return EXIT.invalid;
          }
          const log = await ledger.readLog(record.jobKey);
          io.stdout.write(
            format === 'json'
              ? `${JSON.stringify({ ...record, ...(log ? { logTail: log } : {}) }, null, 2)}\n`
              : describeRecord(record, log),
          );
          return EXIT.ok;
        }
        const records = await ledger.latest(limit);
        if (format === 'json') io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        else if (records.length === 0) io.stdout.write('no jobs in the ledger yet\n');
        else {
          // The id is what to type (status ID, logs ID); the reason says at a glance why a job was refused.
          const why = (r: LedgerRecord) => (r.reasons?.[0] ?? '').split('\n')[0]!.slice(0, 80) || '-';
          io.stdout.write(
            formatTable(
              ['ID', 'UPDATED', 'STATE', 'NAME', 'NAMESPACE', 'JOB KEY', 'WHY'],
              records.map((r) => [
                jobId(r.jobKey),
                r.updatedAt.replace('T', ' ').slice(0, 19),
                r.state,
                r.name ?? '-',
                r.namespace ?? '-',
                r.jobKey,
                why(r),
              ]),
            ),
          );
        }
        return EXIT.ok;
      },
    );
  },
};

function describeRecord(r: LedgerRecord, log: string | undefined): string {
  const lines = [
    `job id:    ${jobId(r.jobKey)}`,
    `job key:   ${r.jobKey}`,
    `state:     ${r.state}${r.deferredUntil && r.state === 'deferred' ? ` (until ${r.deferredUntil})` : ''}`,
    ...(r.name ? [`name:      ${r.name}`] : []),
    ...(r.namespace ? [`driver:    ${r.namespace}/${r.driverPod ?? '?'} (${r.backend ?? 'native'})`] : []),
    ...(r.source ? [`source:    ${r.source.kind} ${r.source.ref}`] : []),
    ...(r.final
      ? [
          `final:     ${r.final.phase}${r.final.reason ? ` (${r.final.reason})` : ''}${r.final.exitCode === undefined ? '' : `, exit code ${r.final.exitCode}`}`,
        ]
      : []),
    ...(r.reasons?.length ? ['reasons:', ...r.reasons.map((x) => `  - ${x}`)] : []),
    'history:',
    ...r.history.map((h) => `  ${h.at.replace('T', ' ').slice(0, 19)}  ${h.state.padEnd(16)} ${h.detail ?? ''}`.trimEnd()),
    ...(log
      ? [
          'driver log (tail):',
          ...log
            .trimEnd()
            .split('\n')
            .map((l) => `  ${l}`),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** A job's messages on its tenant's queue and dead-letter queue, when Service Bus is configured. */
async function onQueues(
  settings: Settings,
  typed: string,
  tenant: string | undefined,
  fallbackConnectionString: string | undefined,
  azure: CliAzure,
) {
  const connectionString = settings.serviceBus.connectionString ?? fallbackConnectionString;
  if (!connectionString && !settings.serviceBus.fullyQualifiedNamespace) return [];
  const client = await createServiceBusClient(
    { ...settings.serviceBus, connectionString },
    azure.credentialFor,
    settings.blob.managedIdentityClientId,
  );
  try {
    const found = [];
    for (const { id, tenant: t } of tenantRefs(settings).filter((r) => tenant === undefined || r.id === tenant)) {
      for (const job of await queuedJobs(client, t.queue)) {
        const scoped = scopedKey(id, job.jobKey);
        if (scoped === typed || job.jobKey === typed || job.messageId === typed) found.push({ key: scoped, queue: t.queue, job });
      }
    }
    return found;
  } finally {
    await client.close();
  }
}
