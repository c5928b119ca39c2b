/**
 * Wires the intake use cases to real adapters from settings: Blob storage (ledger, files),
 * Service Bus (queue, events topic), Kubernetes (lazily: its client is slow to load). Used by the
 * Azure Functions and by the local stack.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import { blobServiceFor } from '../adapters/blob/blobServiceFor.js';
import { createBlobFiles } from '../adapters/blob/blobFiles.js';
import { createBlobLedger } from '../adapters/blob/blobLedger.js';
import { connectCluster } from '../adapters/kubernetes/connectCluster.js';
import type { KubeConfigOverrides } from '../adapters/kubernetes/loadKubeConfig.js';
import { createServiceBusClient } from '../adapters/serviceBus/serviceBusClient.js';
import { serviceBusEvents, serviceBusQueue } from '../adapters/serviceBus/serviceBusQueue.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { ClusterPort } from '../usecases/clusterPort.js';
import type { IntakeDeps } from '../usecases/intakeDeps.js';
import type { Logger } from '../usecases/logger.js';
import { NO_EVENTS, type EventsPort, type QueuePort } from '../usecases/queuePort.js';

export interface IntakeRuntime {
  readonly deps: IntakeDeps;
  close(): Promise<void>;
}

export interface RuntimeOverrides extends KubeConfigOverrides {
  readonly now?: () => Date;
  /** A ClusterPort to use instead of connecting from settings (tests, the local stack). */
  readonly cluster?: ClusterPort;
}

export function createIntakeDeps(settings: Settings, log: Logger, overrides: RuntimeOverrides = {}): IntakeRuntime {
  const service = blobServiceFor(settings.blob);
  let client: Promise<ServiceBusClient> | undefined;
  const serviceBus = () => (client ??= createServiceBusClient(settings.serviceBus, settings.blob.managedIdentityClientId));
  let queue: (QueuePort & { close(): Promise<void> }) | undefined;
  let events: (EventsPort & { close(): Promise<void> }) | undefined;
  let cluster: Promise<ClusterPort> | undefined;
  const topic = settings.serviceBus.eventsTopic;

  const deps: IntakeDeps = {
    settings,
    log,
    now: overrides.now ?? (() => new Date()),
    ledger: createBlobLedger({ service, settings: settings.ledger }),
    files: createBlobFiles(service),
    cluster: () => {
      if (overrides.cluster) return Promise.resolve(overrides.cluster);
      // A failed connection is not cached: the next invocation tries again.
      cluster ??= connectCluster(settings.kubernetes, overrides).catch((error: unknown) => {
        cluster = undefined;
        throw error;
      });
      return cluster;
    },
    queue: {
      send: async (m) => (queue ??= serviceBusQueue(await serviceBus(), settings.serviceBus.jobQueue)).send(m),
      schedule: async (m, at) => (queue ??= serviceBusQueue(await serviceBus(), settings.serviceBus.jobQueue)).schedule(m, at),
    },
    events: topic ? { publish: async (e) => (events ??= serviceBusEvents(await serviceBus(), topic)).publish(e) } : NO_EVENTS,
  };
  return {
    deps,
    async close() {
      await queue?.close();
      await events?.close();
      if (client) await (await client).close();
    },
  };
}
