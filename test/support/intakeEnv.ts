/**
 * Everything the intake needs, real and local: Azurite (ledger, files), the Service Bus-compatible
 * broker (queue, events topic) reached through the real SDK, the Kubernetes stand-in through the
 * real client, and the job-message function run with the Functions host's settlement behaviour.
 */
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { makeJobMessagesHandler } from '../../src/triggers/jobMessagesHandler.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { startBroker, type Broker } from '../../dev/servicebus-broker/index.js';
import { createIntakeDeps, type IntakeRuntime } from '../../src/runtime/createIntakeDeps.js';
import { SERVICE_BUS_RETRY } from '../../src/adapters/serviceBus/serviceBusClient.js';
import { startQueueTriggerHost, type QueueTriggerHost } from '../../dev/local-stack/queueTriggerHost.js';
import type { Settings } from '../../src/settings/settingsSchema.js';
import { deepMerge, parseSettings } from '../../src/settings/loadSettings.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { jsonLogger } from '../../src/shared/logger.js';
import { allNamespaces } from '../../src/domain/tenant/tenancy.js';
import { startAzurite, type Azurite } from './azurite.js';
import { startFaultyProxy, type FaultyProxy } from './faultyProxy.js';
import type { MovedClock } from './movedClock.js';
import { settingsWith } from './fixtures.js';
import { standInCluster, type StandInCluster } from './standInCluster.js';
import { NO_CREDENTIAL } from './credentials.js';
import { refusalKey, scopedKey } from '../../src/domain/tenant/jobIdentity.js';

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
  /** The proxy between the dispatcher and Azurite, when asked for (a storage outage can be staged on it). */
  readonly storage?: FaultyProxy | undefined;
  /** The job-message function on one queue (default: the single-team queue), as the Functions host runs it. */
  startHost(queue?: string): QueueTriggerHost;
  send(body: unknown, messageId: string, applicationProperties?: Record<string, string | number>): Promise<void>;
  /** Sends to a given queue: a tenant's own. */
  sendTo(queue: string, body: unknown, messageId: string, applicationProperties?: Record<string, string | number>): Promise<void>;
  /** Sends many messages in as few batches as the broker's size limit allows. */
  sendMany(messages: readonly { body: unknown; messageId: string }[]): Promise<void>;
  close(): Promise<void>;
}

interface Servers {
  readonly azurite: Azurite;
  readonly broker: Broker;
  /** What the dispatcher's storage connection string points at: Azurite, or a proxy in front of it. */
  readonly storageConnectionString: string;
}

export interface EnvOptions {
  readonly duplicateDetectionWindowMs?: number;
  /** A clock shared by the broker and the dispatcher, which the test moves forward. */
  readonly clock?: MovedClock;
  /** Put a proxy between the dispatcher and Azurite, so that a test can take storage down. */
  readonly storageProxy?: boolean;
  /** The queues' lock duration (default 30 s): how long a message held by a dropped connection waits. */
  readonly lockDurationMs?: number;
  /** The events topic's `audit` subscription (default on); off, published events are dropped as Service Bus drops a topic's messages with no subscription: a long bench keeps no backlog. */
  readonly auditSubscription?: boolean;
  /** The stand-in's history compaction (kube-apiserver --etcd-compaction-interval; default 5 minutes). */
  readonly compactionIntervalMs?: number;
}

/** The demo settings (one team, "default") with the servers filled in and the test's own changes. */
export async function intakeEnv(
  extraSettings: Record<string, unknown> = {},
  driverCap?: number,
  envOptions: EnvOptions = {},
): Promise<IntakeEnv> {
  return startEnv(
    [QUEUE],
    (servers) =>
      settingsWith(
        deepMerge(
          {
            ...common(servers),
            serviceBus: {
              connectionString: servers.broker.connectionString,
              jobQueue: QUEUE,
              eventsTopic: TOPIC,
              maxDeliveryCount: MAX_DELIVERIES,
            },
            intake: {
              staging: { account: 'sparkdispatchdemo', filesystem: 'staging', prefix: 'inline/' },
              deferral: { initialDelaySeconds: 1, maxDelaySeconds: 1, maxTotalWaitSeconds: 120 },
              templates: {
                'daily-report': {
                  name: 'daily-report',
                  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/report/main.py',
                  args: ['--date', '{date}'],
                },
                'ingest-orders': {
                  name: 'ingest-{file}',
                  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/ingest/main.py',
                  args: ['{folderUrl}', '{date}'],
                },
              },
              scriptUploads: [{ account: 'sparkdispatchdemo', filesystem: 'jobs', prefix: 'uploads/' }],
              rules: [{ name: 'orders-landed', filesystem: 'data', path: 'raw/orders/**/_SUCCESS', template: 'ingest-orders' }],
            },
          },
          extraSettings,
        ),
      ),
    driverCap === undefined ? {} : { 'spark-jobs': driverCap },
    envOptions,
  );
}

/**
 * Several teams on one stack: `tenants` in the tenants form of settings (each with its `queue`),
 * on the demo's global settings (images, auth); every tenant queue exists on the broker.
 */
export async function tenantsEnv(
  tenants: Readonly<Record<string, { readonly queue: string } & Record<string, unknown>>>,
  extraSettings: Record<string, unknown> = {},
  driverCaps: Readonly<Record<string, number>> = {},
  envOptions: EnvOptions = {},
): Promise<IntakeEnv> {
  const { namespaces: _n, defaultNamespace: _d, storage, ...global } = structuredClone(DEMO_SETTINGS);
  return startEnv(
    Object.values(tenants).map((t) => t.queue),
    (servers) => {
      const parsed = parseSettings(
        deepMerge(
          {
            ...global,
            storage: { auth: { ...storage?.auth, clientId: undefined } },
            tenants,
            ...common(servers),
            serviceBus: { connectionString: servers.broker.connectionString, eventsTopic: TOPIC, maxDeliveryCount: MAX_DELIVERIES },
            intake: { deferral: { initialDelaySeconds: 1, maxDelaySeconds: 1, maxTotalWaitSeconds: 120 } },
          },
          extraSettings,
        ),
      );
      if (!parsed.ok) throw new Error(`tenant settings invalid:\n${parsed.problems.map(problemToString).join('\n')}`);
      return parsed.value;
    },
    driverCaps,
    envOptions,
  );
}

function common(servers: Servers) {
  return {
    blob: { accounts: { sparkdispatchdemo: { connectionString: servers.storageConnectionString } } },
    ledger: { account: 'sparkdispatchdemo', container: 'ledger' },
    kubernetes: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } },
  };
}

async function startEnv(
  queues: readonly string[],
  settingsFor: (servers: Servers) => Settings,
  driverCaps: Readonly<Record<string, number>>,
  options: EnvOptions,
): Promise<IntakeEnv> {
  const queue = {
    maxDeliveryCount: MAX_DELIVERIES,
    duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? 10 * 60_000,
    lockDurationMs: options.lockDurationMs ?? 30_000,
  };
  const [azurite, broker, kube] = await Promise.all([
    startAzurite(),
    startBroker({
      queues: Object.fromEntries(queues.map((q) => [q, queue])),
      topics: { [TOPIC]: { subscriptions: options.auditSubscription === false ? {} : { audit: {} } } },
      ...(options.clock ? { clock: options.clock } : {}),
    }),
    standInCluster({
      namespaces: [],
      ...(options.compactionIntervalMs === undefined ? {} : { compactionIntervalMs: options.compactionIntervalMs }),
    }),
  ]);
  const storage = options.storageProxy ? await startFaultyProxy(Number(new URL(azurite.blobEndpoint).port)) : undefined;
  const storageConnectionString = storage
    ? azurite.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${storage.port}`)
    : azurite.connectionString;
  const settings = settingsFor({ azurite, broker, storageConnectionString });
  for (const ns of allNamespaces(settings)) kube.standIn.createNamespace(ns);
  for (const [ns, cap] of Object.entries(driverCaps))
    await postObject(kube.standIn.url, `/api/v1/namespaces/${ns}/resourcequotas`, driverQuota(ns, 'spark-dispatch-driver', cap));
  const logs: string[] = [];
  const sink = { info: (l: string) => logs.push(l), warn: (l: string) => logs.push(l), error: (l: string) => logs.push(l) };
  const runtime = createIntakeDeps(settings, jsonLogger(sink), NO_CREDENTIAL, {
    cluster: kube.cluster,
    ...(options.clock ? { now: options.clock.date } : {}),
  });
  // The Functions host's own client reconnects within seconds; the SDK's default waits a fixed 30 s.
  const client = new ServiceBusClient(broker.connectionString, { retryOptions: SERVICE_BUS_RETRY });
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const hosts: QueueTriggerHost[] = [];
  const senders = new Map<string, ServiceBusSender>();
  const sender = (q: string) => {
    let found = senders.get(q);
    if (!found) senders.set(q, (found = client.createSender(q)));
    return found;
  };
  const sendTo = (q: string, body: unknown, messageId: string, applicationProperties?: Record<string, string | number>) =>
    sender(q).sendMessages({
      body,
      messageId,
      contentType: 'application/json',
      ...(applicationProperties ? { applicationProperties } : {}),
    });
  return {
    azurite,
    broker,
    kube,
    settings,
    runtime,
    client,
    blobs,
    logs,
    storage,
    startHost(q = queues[0]!) {
      const host = startQueueTriggerHost({
        client,
        queueName: q,
        functionName: 'jobMessages',
        handler: makeJobMessagesHandler(async () => runtime.deps, q),
        maxConcurrentCalls: 4,
        // The function logs through its InvocationContext: keep its structured (JSON) lines.
        onLog: (_level, line) => {
          if (line.startsWith('{')) logs.push(line);
        },
      });
      hosts.push(host);
      return host;
    },
    send: (body, messageId, applicationProperties) => sendTo(queues[0]!, body, messageId, applicationProperties),
    sendTo,
    async sendMany(messages) {
      const s = sender(queues[0]!);
      let batch = await s.createMessageBatch();
      for (const m of messages) {
        const message = { body: m.body, messageId: m.messageId, contentType: 'application/json' };
        if (!batch.tryAddMessage(message)) {
          await s.sendMessages(batch);
          batch = await s.createMessageBatch();
          if (!batch.tryAddMessage(message)) await s.sendMessages(message);
        }
      }
      if (batch.count > 0) await s.sendMessages(batch);
    },
    async close() {
      await Promise.all(hosts.map((h) => h.close()));
      await Promise.all([...senders.values()].map((s) => s.close()));
      await runtime.close();
      await client.close();
      await Promise.all([azurite.close(), broker.close(), kube.close(), storage?.close()]);
    },
  };
}
