/**
 * Everything the intake needs, real and local: Azurite (ledger, files), the Service Bus-compatible
 * broker (queue, events topic) reached through the real SDK, the Kubernetes stand-in through the
 * real client, and the job-message function run with the Functions host's settlement behaviour.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { makeJobMessagesHandler } from '../../functions/jobMessages.js';
import { postObject } from '../../src/standin/postObject.js';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { createIntakeDeps, type IntakeRuntime } from '../../src/runtime/createIntakeDeps.js';
import { startQueueTriggerHost, type QueueTriggerHost } from '../../src/runtime/queueTriggerHost.js';
import type { Settings } from '../../src/settings/settingsSchema.js';
import { deepMerge } from '../../src/settings/loadSettings.js';
import { jsonLogger } from '../../src/usecases/logger.js';
import { refusalKey } from '../../src/usecases/jobLedger.js';
import { scopedKey } from '../../src/domain/tenant/tenancy.js';
import { startAzurite, type Azurite } from './azurite.js';
import { settingsWith } from './fixtures.js';
import { standInCluster, type StandInCluster } from './standInCluster.js';

export const QUEUE = 'spark-jobs';
/** The tenant of the single-team settings these tests use: every job key is scoped by it. */
export const TENANT = 'default';
/** A job key as the ledger, names and annotations know it: `<tenant>/<jobKey>`. */
export const key = (jobKey: string): string => scopedKey(TENANT, jobKey);
/** Where a message refused before it took a key is recorded: under its own message id. */
export const refused = (messageId: string): string => refusalKey(TENANT, `message:${messageId}`);
export const TOPIC = 'spark-dispatch-events';
export const MAX_DELIVERIES = 3;

export interface IntakeEnv {
  readonly azurite: Azurite;
  readonly broker: Broker;
  readonly kube: StandInCluster;
  readonly settings: Settings;
  readonly runtime: IntakeRuntime;
  readonly client: ServiceBusClient;
  readonly blobs: BlobServiceClient;
  readonly logs: string[];
  startHost(): QueueTriggerHost;
  send(body: unknown, messageId: string, applicationProperties?: Record<string, string | number>): Promise<void>;
  /** Sends many messages in as few batches as the broker's size limit allows. */
  sendMany(messages: readonly { body: unknown; messageId: string }[]): Promise<void>;
  close(): Promise<void>;
}

export async function intakeEnv(extraSettings: Record<string, unknown> = {}, driverCap?: number, queueOptions: { duplicateDetectionWindowMs?: number } = {}): Promise<IntakeEnv> {
  const [azurite, broker, kube] = await Promise.all([
    startAzurite(),
    startBroker({
      queues: { [QUEUE]: { maxDeliveryCount: MAX_DELIVERIES, duplicateDetectionWindowMs: queueOptions.duplicateDetectionWindowMs ?? 10 * 60_000, lockDurationMs: 30_000 } },
      topics: { [TOPIC]: { subscriptions: { audit: {} } } },
    }),
    standInCluster(),
  ]);
  if (driverCap !== undefined) await postObject(kube.standIn.url, '/api/v1/namespaces/spark-jobs/resourcequotas', driverQuota('spark-jobs', 'spark-dispatch-driver', driverCap));
  const settings = settingsWith(deepMerge({
    blob: { accounts: { sparkdispatchdemo: { connectionString: azurite.connectionString } } },
    ledger: { account: 'sparkdispatchdemo', container: 'ledger' },
    serviceBus: { connectionString: broker.connectionString, jobQueue: QUEUE, eventsTopic: TOPIC, maxDeliveryCount: MAX_DELIVERIES },
    kubernetes: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } },
    intake: {
      staging: { account: 'sparkdispatchdemo', filesystem: 'staging', prefix: 'inline/' },
      deferral: { initialDelaySeconds: 1, maxDelaySeconds: 1, maxTotalWaitSeconds: 120 },
      templates: {
        'daily-report': { name: 'daily-report', main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/report/main.py', args: ['--date', '{date}'] },
        'ingest-orders': { name: 'ingest-{file}', main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/ingest/main.py', args: ['{folderUrl}', '{date}'] },
      },
      scriptUploads: [{ account: 'sparkdispatchdemo', filesystem: 'jobs', prefix: 'uploads/' }],
      rules: [{ name: 'orders-landed', filesystem: 'data', path: 'raw/orders/**/_SUCCESS', template: 'ingest-orders' }],
    },
  }, extraSettings));
  const logs: string[] = [];
  const sink = { info: (l: string) => logs.push(l), warn: (l: string) => logs.push(l), error: (l: string) => logs.push(l) };
  const runtime = createIntakeDeps(settings, jsonLogger(sink), { cluster: kube.cluster });
  const client = new ServiceBusClient(broker.connectionString);
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const hosts: QueueTriggerHost[] = [];
  const sender = client.createSender(QUEUE);
  return {
    azurite,
    broker,
    kube,
    settings,
    runtime,
    client,
    blobs,
    logs,
    startHost() {
      const host = startQueueTriggerHost({
        client,
        queueName: QUEUE,
        functionName: 'jobMessages',
        handler: makeJobMessagesHandler(async () => runtime.deps),
        maxConcurrentCalls: 4,
        // The function logs through its InvocationContext: keep its structured (JSON) lines.
        onLog: (_level, line) => {
          if (line.startsWith('{')) logs.push(line);
        },
      });
      hosts.push(host);
      return host;
    },
    send: (body, messageId, applicationProperties) => sender.sendMessages({ body, messageId, contentType: 'application/json', ...(applicationProperties ? { applicationProperties } : {}) }),
    async sendMany(messages) {
      let batch = await sender.createMessageBatch();
      for (const m of messages) {
        const message = { body: m.body, messageId: m.messageId, contentType: 'application/json' };
        if (!batch.tryAddMessage(message)) {
          await sender.sendMessages(batch);
          batch = await sender.createMessageBatch();
          if (!batch.tryAddMessage(message)) await sender.sendMessages(message);
        }
      }
      if (batch.count > 0) await sender.sendMessages(batch);
    },
    async close() {
      await Promise.all(hosts.map((h) => h.close()));
      await sender.close();
      await runtime.close();
      await client.close();
      await Promise.all([azurite.close(), broker.close(), kube.close()]);
    },
  };
}
