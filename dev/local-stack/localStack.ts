/**
 * The whole dispatcher on one machine, for `npm start`: Azurite (Blob), the Service Bus-compatible
 * broker, and the Kubernetes stand-in with a simulated pod lifecycle, or the cluster of a
 * kubeconfig. The same function handlers as in Azure, wired to a watch on the watched containers
 * (for storage events), a receiver on the job queue (host-like settlement) and the sweeper on a
 * timer. Any piece whose settings already name a real service (a connection string, an endpoint,
 * a kubeconfig) is used as is instead of being started.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allAccounts, allDriverServiceAccounts, allNamespaces, namespaceSettings, tenantRefs } from '../../src/domain/tenant/tenancy.js';
import { makeJobMessagesHandler } from '../../src/triggers/jobMessagesHandler.js';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { startBroker, type Broker } from '../servicebus-broker/index.js';
import { driverPriorityClass, driverQuota } from '../../src/domain/render/capacityObjects.js';
import { createIntakeDeps, sweepDepsOf } from '../../src/runtime/createIntakeDeps.js';
import { startQueueTriggerHost } from './queueTriggerHost.js';
import { startAzurite, type Azurite } from './azuriteProcess.js';
import { deepMerge, parseSettings } from '../../src/settings/loadSettings.js';
import type { Settings } from '../../src/settings/settingsSchema.js';
import type { CredentialFor } from '../../src/adapters/credentials.js';
import { startPodLifecycle, startStandIn, type InjectedFailure, type StandIn } from '../kube-standin/index.js';
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';
import { jsonLogger, type Logger } from '../../src/shared/logger.js';
import { sweep } from '../../src/usecases/sweep.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { postObject } from '../kube-standin/postObject.js';
import { isUriRefusal, parseScriptUri } from '../../src/domain/spec/storageUri.js';
import type { ScriptRead } from '../kube-standin/scriptArguments.js';
import { startBlobWatcher } from './blobWatcher.js';
import {
  LOCAL_SETTINGS_FILE,
  LOG_FILE,
  PID_FILE,
  runningClusterStandIn,
  runningLocalSettings,
  STANDIN_KUBECONFIG,
  STATE_DIR,
} from '../../src/cli/localState.js';
import functions from '@azure/functions';

/** The most of a main script the simulated driver reads (the header it looks for is near the top). */
const MAX_SCRIPT_READ_BYTES = 4 * 1024 * 1024;

export interface LocalStackOptions {
  readonly cwd: string;
  readonly settings: Settings;
  /** A real cluster instead of the stand-in. */
  readonly kubeconfigPath?: string | undefined;
  readonly pendingMs?: number;
  readonly runningMs?: number;
  readonly failures?: Readonly<Record<string, InjectedFailure>>;
  readonly sweepEveryMs?: number;
  readonly pollEveryMs?: number;
  readonly onProgress?: (line: string) => void;
  /** How pieces made real by settings (a storage account, a Service Bus namespace, an AKS cluster) are reached without keys: the user's sign-in. */
  readonly credentialFor: CredentialFor;
  /**
   * Files written to the local storage at start (only into accounts Azurite serves): the example
   * scripts, where the example specs name them, so that their simulated drivers find their main.
   */
  readonly seedFiles?: readonly SeedFile[];
}

export interface SeedFile {
  readonly account: string;
  readonly filesystem: string;
  readonly path: string;
  readonly text: string;
}

export interface LocalStack {
  readonly settings: Settings;
  /** The ledger the handlers write (the live view reads it). */
  readonly ledger: LedgerPort;
  readonly log: Logger;
  readonly standIn?: StandIn | undefined;
  readonly stateDir: string;
  readonly logFile: string;
  readonly components: readonly string[];
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const progress = options.onProgress ?? (() => {});
  const stateDir = join(options.cwd, STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  if (runningLocalSettings(options.cwd))
    throw new Error(`a local stack is already running from ${options.cwd} (see ${join(stateDir, PID_FILE)}); stop it with Ctrl-C first`);
  if (!options.kubeconfigPath && runningClusterStandIn(options.cwd)) {
    throw new Error(
      `\`spark-dispatch cluster start\` is running from ${options.cwd} and serves ${join(stateDir, STANDIN_KUBECONFIG)}, where this stack would write its own stand-in's kubeconfig: ` +
        `stop it with Ctrl-C first, or use it as this stack's cluster: spark-dispatch start --kubeconfig ${join(STATE_DIR, STANDIN_KUBECONFIG)}`,
    );
  }
  const logFile = join(stateDir, LOG_FILE);
  const logStream = createWriteStream(logFile, { flags: 'w' });
  const log = jsonLogger({
    info: (l) => logStream.write(`${l}\n`),
    warn: (l) => logStream.write(`${l}\n`),
    error: (l) => logStream.write(`${l}\n`),
  });
  const closers: (() => Promise<void> | void)[] = [() => new Promise<void>((resolve) => logStream.end(resolve))];
  const components: string[] = [];
  const written = [PID_FILE, LOCAL_SETTINGS_FILE]; // and the stand-in's kubeconfig, when this stack wrote it
  const close = async () => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch {
        // Keep closing the rest: a half-stopped stack must not leave processes behind.
      }
    }
    // The log stays for reading after the stop (the next start overwrites it); nothing else does.
    for (const file of written) rmSync(join(stateDir, file), { force: true });
  };

  try {
    let settings = options.settings;
    const queueNames = tenantRefs(settings).map(({ tenant }) => tenant.queue);
    const accounts = Object.keys(allAccounts(settings));

    // Blob storage: Azurite for every account that has no real endpoint configured.
    const needsAzurite = accounts.filter((a) => !settings.blob.accounts[a]?.connectionString && !settings.blob.accounts[a]?.endpoint);
    let azurite: Azurite | undefined;
    if (needsAzurite.length > 0) {
      progress('starting Azurite (Blob storage)…');
      azurite = await startAzurite();
      closers.push(() => azurite!.close());
      settings = withOverrides(settings, {
        blob: { accounts: Object.fromEntries(needsAzurite.map((a) => [a, { connectionString: azurite!.connectionString }])) },
      });
      components.push(`Azurite ${azurite.blobEndpoint} (accounts ${needsAzurite.join(', ')})`);
    } else components.push('Blob storage from settings');
    if (!settings.ledger.account) settings = withOverrides(settings, { ledger: { account: accounts[0] } });

    // Service Bus: the local broker unless a namespace is configured.
    let broker: Broker | undefined;
    if (!settings.serviceBus.connectionString && !settings.serviceBus.fullyQualifiedNamespace) {
      progress('starting the Service Bus-compatible broker…');
      const topic = settings.serviceBus.eventsTopic;
      const queue = { maxDeliveryCount: settings.serviceBus.maxDeliveryCount, duplicateDetectionWindowMs: 10 * 60_000 };
      broker = await startBroker({
        // One queue per tenant, as in Azure: the queue a message arrives on is its team.
        queues: Object.fromEntries(queueNames.map((name) => [name, queue])),
        ...(topic ? { topics: { [topic]: { subscriptions: { local: {} } } } } : {}),
      });
      closers.push(() => broker!.close());
      settings = withOverrides(settings, { serviceBus: { connectionString: broker.connectionString } });
      components.push(
        `Service Bus broker on port ${broker.port} (queue${queueNames.length > 1 ? 's' : ''} ${queueNames.join(', ')}${topic ? `, topic ${topic}` : ''})`,
      );
    } else components.push('Service Bus from settings');

    // Kubernetes: the stand-in with a simulated lifecycle, or a real cluster.
    let standIn: StandIn | undefined;
    let readScript: ((uri: string) => Promise<ScriptRead>) | undefined;
    if (options.kubeconfigPath) {
      settings = withOverrides(settings, { kubernetes: { auth: { mode: 'kubeconfig', path: options.kubeconfigPath } } });
      components.push(`the cluster of ${options.kubeconfigPath}`);
    } else {
      progress('starting the Kubernetes API stand-in…');
      const namespaces = allNamespaces(settings);
      standIn = await startStandIn({ namespaces, serviceAccounts: allDriverServiceAccounts(settings) });
      closers.push(() => standIn!.close());
      await postObject(standIn.url, '/apis/scheduling.k8s.io/v1/priorityclasses', driverPriorityClass(settings.driverPriorityClassName));
      for (const ns of namespaces) {
        const own = namespaceSettings(settings, ns);
        if (own?.maxConcurrentDrivers !== undefined)
          await postObject(
            standIn.url,
            `/api/v1/namespaces/${ns}/resourcequotas`,
            driverQuota(ns, own.priorityClassName ?? settings.driverPriorityClassName, own.maxConcurrentDrivers),
          );
      }
      const kubeconfig = join(stateDir, STANDIN_KUBECONFIG);
      writeFileSync(kubeconfig, standIn.kubeconfig({ namespace: namespaces[0] }), { mode: 0o600 });
      written.push(STANDIN_KUBECONFIG);
      // Each simulated driver reads its main script from storage first, as the real one downloads it.
      const scripts = (uri: string): Promise<ScriptRead> => (readScript ? readScript(uri) : Promise.resolve({ kind: 'unknown' }));
      const lifecycle = startPodLifecycle(standIn, {
        pendingMs: options.pendingMs ?? 2_000,
        runningMs: options.runningMs ?? 10_000,
        executors: 2,
        failures: options.failures ?? {},
        scripts,
      });
      closers.push(() => lifecycle.stop());
      settings = withOverrides(settings, { kubernetes: { auth: { mode: 'kubeconfig', path: kubeconfig } } });
      components.push(
        `Kubernetes API stand-in ${standIn.url} (drivers Pending ${(options.pendingMs ?? 2_000) / 1000} s, then Running ${(options.runningMs ?? 10_000) / 1000} s)`,
      );
    }

    // The same handlers as the Functions.
    const runtime = createIntakeDeps(settings, log, options.credentialFor);
    closers.push(() => runtime.close());
    const service = runtime.blobService;
    const lake = allAccounts(settings);
    for (const [account, filesystems] of Object.entries(lake)) {
      for (const fs of filesystems) await (await service(account)).getContainerClient(fs).createIfNotExists();
    }
    const seeds = (options.seedFiles ?? []).filter(
      (f) => needsAzurite.includes(f.account) && (lake[f.account] ?? []).includes(f.filesystem),
    );
    for (const seed of seeds)
      await runtime.deps.files.writeText(
        { account: seed.account, filesystem: seed.filesystem, path: seed.path },
        seed.text,
        'text/x-python',
      );
    if (seeds.length > 0)
      components.push(
        `example scripts in ${[...new Set(seeds.map((f) => `${f.account}/${f.filesystem}`))].join(', ')}: ${seeds.map((f) => f.path).join(', ')}`,
      );
    readScript = async (uri) => {
      const parsed = parseScriptUri(uri, 'main');
      // A local:/// main is in the image, and storage the stack has no endpoint for cannot be read: not judged.
      if (isUriRefusal(parsed) || parsed.scheme !== 'abfss') return { kind: 'unknown' };
      const blob = settings.blob.accounts[parsed.account];
      if (!blob?.connectionString && !blob?.endpoint) return { kind: 'unknown' };
      const found = await runtime.deps.files.readText(
        { account: parsed.account, filesystem: parsed.filesystem, path: parsed.path.slice(1) },
        MAX_SCRIPT_READ_BYTES,
      );
      if (!found) return { kind: 'missing', url: `https://${parsed.host}/${parsed.filesystem}${parsed.path}` };
      return found.kind === 'text' ? { kind: 'found', text: found.text } : { kind: 'unknown' };
    };
    // One trigger per tenant queue, as the Function App registers them.
    const client = await runtime.serviceBus();
    for (const queueName of queueNames) {
      const host = startQueueTriggerHost({
        client,
        queueName,
        functionName: `jobMessages-${queueName}`,
        handler: makeJobMessagesHandler(async () => runtime.deps, queueName),
        onLog: (_level, line) => logStream.write(`${line}\n`),
      });
      closers.push(() => host.close());
    }

    const storageHandler = makeStorageEventsHandler(async () => runtime.deps);
    let invocation = 0;
    const targets = tenantRefs(settings)
      .flatMap(({ tenant }) => [
        ...tenant.intake.scriptUploads.map((s) => ({ account: s.account, filesystem: s.filesystem })),
        ...tenant.intake.rules.flatMap((r) =>
          (r.account ? [r.account] : Object.keys(tenant.storage)).map((account) => ({ account, filesystem: r.filesystem })),
        ),
      ])
      .filter((t, i, all) => all.findIndex((u) => u.account === t.account && u.filesystem === t.filesystem) === i);
    const watcher = startBlobWatcher({
      service,
      targets,
      intervalMs: options.pollEveryMs ?? 1_000,
      log,
      deliver: (events) =>
        storageHandler(
          events as never,
          new functions.InvocationContext({
            invocationId: `local-events-${++invocation}`,
            functionName: 'storageEvents',
            logHandler: (_level, ...args) => logStream.write(`${args.join(' ')}\n`),
          }),
        ),
    });
    closers.push(() => watcher.stop());
    components.push(
      `watching ${targets.map((t) => `${t.account}/${t.filesystem}`).join(', ') || 'nothing (no scriptUploads or rules in settings)'}`,
    );

    let sweeping = false;
    const sweepDeps = await sweepDepsOf(runtime.deps);
    const sweepTimer = setInterval(() => {
      if (sweeping) return; // a run still going: the next tick catches up, as overlapping timer runs would
      sweeping = true;
      void sweep(sweepDeps)
        .catch((error: unknown) => log.error('sweep failed', { error: String(error) }))
        .finally(() => (sweeping = false));
    }, options.sweepEveryMs ?? 5_000);
    closers.push(() => clearInterval(sweepTimer));
    components.push(`sweeper every ${(options.sweepEveryMs ?? 5_000) / 1000} s`);

    writeFileSync(join(stateDir, LOCAL_SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(join(stateDir, PID_FILE), `${process.pid}\n`);
    return { settings, ledger: runtime.deps.ledger, log, standIn, stateDir, logFile, components, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function withOverrides(settings: Settings, overrides: Record<string, unknown>): Settings {
  const parsed = parseSettings(deepMerge(settings, overrides));
  if (!parsed.ok) throw new Error(`local settings are invalid: ${parsed.problems.map(problemToString).join('; ')}`);
  return parsed.value;
}
