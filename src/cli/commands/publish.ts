import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServiceBusClient } from '../../adapters/serviceBus/serviceBusClient.js';
import { serviceBusQueues } from '../../adapters/serviceBus/serviceBusQueue.js';
import { parseDocument } from '../../domain/spec/document.js';
import type { Problem } from '../../domain/spec/problem.js';
import { readJobMessage } from '../../domain/spec/jobMessage.js';
import { prepareJob } from '../../domain/spec/prepareJob.js';
import type { TenantRef } from '../../domain/tenant/tenancy.js';
import type { Settings } from '../../settings/settingsSchema.js';
import { writeProblems } from '../writeProblems.js';
import { uploadJobFileRefusal } from '../readJobFile.js';
import { ids } from '../formatOutcome.js';
import { stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { CONFIG_OPTION, SERVICE_BUS_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { isDemoSettings, loadCliSettings } from '../loadCliSettings.js';
import { cliAzure, withAccess } from '../cliAzure.js';
import { scopedKey, hashKey } from '../../domain/tenant/jobIdentity.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'send a job message to the Service Bus job queue (the way orchestrators start jobs)',
  usage: 'FILE [--tenant ID] [--servicebus NAMESPACE | --connection-string CS] [--queue NAME] [--message-id ID]',
  description:
    'FILE holds a message body: a job spec, a template reference {template, parameters}, or a spec with an inline\n' +
    "script {script: {content, fileName}}. The message id is the job key's hash when the body has a jobKey (so\n" +
    "duplicate detection drops a second publish), else a random one. The message goes to the tenant's own queue:\n" +
    'the queue decides whose job it is. A namespace without a connection string is reached with your Azure sign-in\n' +
    '(az login), which needs Azure Service Bus Data Sender on the queue.',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    ...SERVICE_BUS_OPTION,
    'connection-string': {
      type: 'string',
      description: 'Service Bus connection string (default: settings.serviceBus, then SERVICEBUS_CONNECTION_STRING)',
      valueName: 'CS',
    },
    queue: { type: 'string', description: "queue name (default: the tenant's queue)", valueName: 'NAME' },
    'message-id': { type: 'string', description: 'message id (the job key when the body has none)', valueName: 'ID' },
  },
  examples: [
    'spark-dispatch publish examples/daily-sales/spec.json',
    'spark-dispatch publish examples/messages/inline-script.json --queue spark-jobs',
    'spark-dispatch publish job.yaml --config spark-dispatch.contoso-spark-dispatch.yaml',
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one message file');
    const viaNamespace = stringOption(args, 'servicebus') !== undefined;
    if (viaNamespace && stringOption(args, 'connection-string') !== undefined)
      throw new UsageError('give --servicebus (your Azure sign-in) or --connection-string, not both');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    if (viaNamespace && isDemoSettings(loaded)) {
      io.stderr.write(
        "note: the message is checked against the embedded demo settings, not the deployment's: `spark-dispatch settings pull --app NAME` gets its settings (then --config FILE)\n",
      );
    }
    const owner = cliTenant(args, loaded.settings);
    const file = args.positionals[0]!;
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      io.stderr.write(`spark-dispatch publish: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
      return EXIT.invalid;
    }
    const doc = parseDocument(text, file);
    if (!doc.ok) {
      writeProblems(io.stderr, file, doc.problems);
      return EXIT.invalid;
    }
    const body = doc.value as Record<string, unknown>;
    const asUpload = uploadJobFileRefusal(file, io.cwd, body);
    if (asUpload) {
      writeProblems(io.stderr, file, [asUpload]);
      return EXIT.invalid;
    }
    // Checked as the dispatcher will check it, so a bad message is refused here, not recorded as
    // rejected after the fact: the same schema, templates and the tenant's policy.
    const problems = messageProblems(body, loaded.settings, owner);
    if (problems.length > 0) {
      writeProblems(io.stderr, file, problems);
      return EXIT.invalid;
    }
    const connectionString =
      stringOption(args, 'connection-string') ??
      loaded.settings.serviceBus.connectionString ??
      (viaNamespace ? undefined : io.env.SERVICEBUS_CONNECTION_STRING);
    const serviceBus = { ...loaded.settings.serviceBus, connectionString };
    const queueName = stringOption(args, 'queue') ?? owner.tenant.queue;
    const messageId = stringOption(args, 'message-id') ?? (typeof body.jobKey === 'string' ? hashKey(body.jobKey) : randomUUID());
    const azure = cliAzure(io);
    const send = async () => {
      const client = await createServiceBusClient(serviceBus, azure.credentialFor, loaded.settings.blob.managedIdentityClientId);
      try {
        const queue = serviceBusQueues(client);
        await queue.send({ queue: queueName, body, messageId, applicationProperties: {}, subject: 'job' });
        await queue.close();
      } finally {
        await client.close();
      }
    };
    // With the sign-in, a refusal names the role the signed-in identity lacks; a connection string's key has no roles.
    const namespace = serviceBus.fullyQualifiedNamespace;
    if (connectionString === undefined && namespace !== undefined)
      await withAccess(
        azure,
        { service: 'servicebus', doing: 'send job messages', namespace, queue: queueName, role: 'Azure Service Bus Data Sender' },
        send,
      );
    else await send();
    io.stdout.write(
      `published message ${messageId} to queue ${queueName}\n${ids(scopedKey(owner.id, typeof body.jobKey === 'string' ? body.jobKey : messageId))}`,
    );
    return EXIT.ok;
  },
  errorHint: (error) =>
    error.kind === 'configuration'
      ? 'Pass --servicebus NAMESPACE (with `az login`) or --connection-string, or set settings.serviceBus.'
      : undefined,
};

/** What the job-message function would refuse in this body, for this tenant. */
function messageProblems(body: unknown, settings: Settings, owner: TenantRef): readonly Problem[] {
  const request = readJobMessage(body, owner.tenant.intake.templates, settings.intake.maxInlineScriptBytes);
  if (!request.ok) return request.problems;
  const staging = owner.tenant.intake.staging;
  if (request.value.inlineScript && !staging) {
    return [
      {
        path: 'script',
        expected: `a tenant with a staging area for inline scripts (tenants.${owner.id}.intake.staging)`,
        found: 'none configured',
      },
    ];
  }
  // An inline script is staged by the dispatcher: any path in the staging area stands for it here.
  const spec =
    request.value.inlineScript && staging
      ? {
          ...request.value.spec,
          main: `abfss://${staging.filesystem}@${staging.account}.dfs.core.windows.net/${staging.prefix}${request.value.inlineScript.fileName}`,
        }
      : request.value.spec;
  const prepared = prepareJob(spec, settings, { tenant: owner.id, source: { kind: 'cli', ref: 'publish' } });
  return prepared.ok ? [] : prepared.problems;
}
