/**
 * The Functions host's runtime: settings read once from the app settings (environment), adapters
 * created once per worker and reused by every invocation. The ledger is required here: a Function
 * that cannot record what it did must not take work.
 */
import { readFileSync } from 'node:fs';
import { problemToString } from '../domain/spec/problem.js';
import { DispatchError } from '../shared/errors.js';
import { loadSettings, parseSettings } from '../settings/loadSettings.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { IntakeDeps } from '../usecases/intakeDeps.js';
import type { SweepDeps } from '../usecases/sweep.js';
import { SILENT } from '../shared/logger.js';
import { startAzureMonitor } from '../telemetry/azureMonitor.js';
import { managedIdentityCredential } from '../adapters/managedIdentity.js';
import { createIntakeDeps, sweepDepsOf } from './createIntakeDeps.js';

let cached: Promise<IntakeDeps> | undefined;

export function functionsDeps(): Promise<IntakeDeps> {
  cached ??= Promise.resolve().then(async () => {
    await startAzureMonitor(process.env);
    const settings = functionsSettings(process.env);
    // The Functions reach storage, Service Bus and AKS with their managed identity, and nothing else.
    return createIntakeDeps(settings, SILENT, managedIdentityCredential).deps;
  });
  cached.catch(() => (cached = undefined));
  return cached;
}

/** The sweeper shares the intake's adapters (ledger, events, cluster). */
export async function functionsSweepDeps(): Promise<SweepDeps> {
  return sweepDepsOf(await functionsDeps());
}

/**
 * Settings for the Functions: the usual sources, plus the trigger's own connection app settings
 * (ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace) when settings name none,
 * so one app setting serves both the trigger and the dispatcher's own sender.
 */
export function functionsSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const loaded = loadSettings({ env, readFile: (p) => readFileSync(p, 'utf8') });
  if (!loaded.ok) throw new DispatchError('configuration', `invalid settings: ${loaded.problems.map(problemToString).join('; ')}`);
  const settings = loaded.value.settings;
  const serviceBus = { ...settings.serviceBus };
  if (!serviceBus.connectionString && !serviceBus.fullyQualifiedNamespace) {
    if (env.ServiceBusConnection) serviceBus.connectionString = env.ServiceBusConnection;
    else if (env.ServiceBusConnection__fullyQualifiedNamespace)
      serviceBus.fullyQualifiedNamespace = env.ServiceBusConnection__fullyQualifiedNamespace;
  }
  if (env.SPARK_DISPATCH_JOB_QUEUE) serviceBus.jobQueue = env.SPARK_DISPATCH_JOB_QUEUE;
  if (!settings.ledger.account)
    throw new DispatchError(
      'configuration',
      'the Functions need the job ledger: set settings.ledger.account (SPARK_DISPATCH__ledger__account)',
    );
  // The trigger's app settings get the same checks as everything else (a namespace host, a queue name).
  const merged = parseSettings({ ...settings, serviceBus });
  if (!merged.ok)
    throw new DispatchError(
      'configuration',
      `invalid settings (with the trigger's connection app settings): ${merged.problems.map(problemToString).join('; ')}`,
    );
  return merged.value;
}
