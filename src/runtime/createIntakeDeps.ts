/**
 * Wires the intake use cases to real adapters from settings: Blob storage (ledger, files),
 * Service Bus (queue, events topic), Kubernetes (lazily: its client is slow to load). Used by the
 * Azure Functions and by the local stack.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import { blobServiceFor, type BlobServiceFor } from '../adapters/blob/blobServiceFor.js';
import { createBlobFiles } from '../adapters/blob/blobFiles.js';
import { createBlobLedger } from '../adapters/blob/blobLedger.js';
import { connectCluster } from '../adapters/kubernetes/connectCluster.js';
import type { KubeConfigOverrides } from '../adapters/kubernetes/loadKubeConfig.js';
import type { CredentialFor } from '../adapters/credentials.js';
import { onceAsync } from '../shared/onceAsync.js';
import { createServiceBusClient } from '../adapters/serviceBus/serviceBusClient.js';
import { serviceBusEvents, serviceBusQueues } from '../adapters/serviceBus/serviceBusQueue.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { ClusterPort } from '../usecases/clusterPort.js';
import type { IntakeDeps } from '../usecases/intakeDeps.js';
import type { Logger } from '../shared/logger.js';
import { FinalsRecorded } from '../usecases/finalsRecorded.js';
import type { SweepDeps } from '../usecases/sweep.js';
import { NO_EVENTS } from '../usecases/queuePort.js';

export interface IntakeRuntime {
  readonly deps: IntakeDeps;
  /** The Blob service clients by account, for whatever else the process reads or watches. */
  readonly blobService: BlobServiceFor;
  /** The process's one Service Bus client, connected on first use (the local queue receiver shares it). */
  readonly serviceBus: () => Promise<ServiceBusClient>;
  close(): Promise<void>;
}

export interface RuntimeOverrides extends Omit<KubeConfigOverrides, 'credentialFor'> {
  readonly now?: () => Date;
  /** A ClusterPort to use instead of connecting from settings (tests, the local stack). */
  readonly cluster?: ClusterPort;
}

/**
 * `credentialFor`: how this process reaches storage, Service Bus and AKS without connection
 * strings (the Functions: their managed identity; the local stack: the signed-in user).
 */
export function createIntakeDeps(
  settings: Settings,
  log: Logger,
  credentialFor: CredentialFor,
  overrides: RuntimeOverrides = {},
): IntakeRuntime {
  const blobService = blobServiceFor(settings.blob, credentialFor);
  const serviceBus = onceAsync(() => createServiceBusClient(settings.serviceBus, credentialFor, settings.blob.managedIdentityClientId));
  // One sender per entity, however many invocations ask for it at once.
  const queue = onceAsync(async () => serviceBusQueues(await serviceBus()));
  const topic = settings.serviceBus.eventsTopic;
  const events = topic ? onceAsync(async () => serviceBusEvents(await serviceBus(), topic)) : undefined;
  const cluster = overrides.cluster
    ? () => Promise.resolve(overrides.cluster as ClusterPort)
    : onceAsync(() => connectCluster(settings.kubernetes, { ...overrides, credentialFor }));
  let used = { serviceBus: false, queue: false, events: false };

  const deps: IntakeDeps = {
    settings,
    log,
    now: overrides.now ?? (() => new Date()),
    ledger: createBlobLedger({ service: blobService, settings: settings.ledger }),
    files: createBlobFiles(blobService),
    cluster,
    queue: {
      send: async (m) => {
        used = { ...used, serviceBus: true, queue: true };
        return (await queue()).send(m);
      },
      schedule: async (m, at) => {
        used = { ...used, serviceBus: true, queue: true };
        return (await queue()).schedule(m, at);
      },
    },
    events: events
      ? {
          publish: async (e) => {
            used = { ...used, serviceBus: true, events: true };
            return (await events()).publish(e);
          },
        }
      : NO_EVENTS,
  };
  return {
    deps,
    blobService,
    serviceBus: () => {
      used = { ...used, serviceBus: true };
      return serviceBus();
    },
    async close() {
      // Only what was made: closing must not connect anything. A part that failed to be made has nothing to close.
      const settle = async (used: boolean, make: () => Promise<{ close(): Promise<void> }>) => {
        if (used)
          await make().then(
            (part) => part.close(),
            () => undefined,
          );
      };
      await settle(used.queue, queue);
      if (events) await settle(used.events, events);
      await settle(used.serviceBus, serviceBus);
    },
  };
}

const finals = new WeakMap<IntakeDeps, FinalsRecorded>();

/** The sweeper's dependencies from the intake's: the same ledger, events and cluster, and what this process knows is recorded. */
export async function sweepDepsOf(deps: IntakeDeps): Promise<SweepDeps> {
  let finalsRecorded = finals.get(deps);
  if (!finalsRecorded) {
    finalsRecorded = new FinalsRecorded();
    finals.set(deps, finalsRecorded);
  }
  return {
    settings: deps.settings,
    cluster: await deps.cluster(),
    ledger: deps.ledger,
    events: deps.events,
    now: deps.now,
    log: deps.log,
    finalsRecorded,
  };
}
