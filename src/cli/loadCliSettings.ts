import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { STORAGE_ACCOUNT_NAME } from '../domain/spec/azureNames.js';
import { problemToString } from '../domain/spec/problem.js';
import { loadSettings, type LoadedSettings } from '../settings/loadSettings.js';
import { runningLocalSettings } from './localState.js';
import { stringOption, UsageError, type ParsedArgs } from './command.js';
import type { CliIo } from './cliIo.js';

/**
 * Settings for a CLI command, or `undefined` after printing every settings problem. Without
 * --config or settings variables, a local stack running from this folder (`npm start`) provides
 * them, so that upload, publish, submit, status, logs and sweep talk to it. --storage-account and
 * --servicebus point at a deployment instead: they win over every source, and the local stack is
 * left alone.
 */
export function loadCliSettings(
  args: ParsedArgs,
  io: CliIo,
  options: { readonly ignoreLocalStack?: boolean } = {},
): LoadedSettings | undefined {
  const deployment = deploymentOverrides(args);
  const explicit = stringOption(args, 'config');
  const fromEnv = io.env.SPARK_DISPATCH_CONFIG || io.env.SPARK_DISPATCH_SETTINGS;
  const configFile = explicit ?? (fromEnv || options.ignoreLocalStack || deployment ? undefined : runningLocalSettings(io.cwd));
  const loaded = loadSettings({
    env: io.env,
    configFile: configFile === undefined ? undefined : resolve(io.cwd, configFile),
    readFile: (path) => readFileSync(resolve(io.cwd, path), 'utf8'),
    overrides: deployment,
  });
  if (loaded.ok) return loaded.value;
  io.stderr.write(
    `spark-dispatch: the settings are invalid (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}):\n`,
  );
  for (const p of loaded.problems) io.stderr.write(`  - ${problemToString(p)}\n`);
  io.stderr.write('Fix the settings file or SPARK_DISPATCH_* variables; see docs/settings.md.\n');
  return undefined;
}

const SERVICE_BUS_NAMESPACE = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;
const SERVICE_BUS_HOST = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9](\.[a-z0-9-]+)+$/i;

/** The namespace's host name for --servicebus NAME or NAME.servicebus.windows.net. */
export function serviceBusHost(value: string): string {
  if (SERVICE_BUS_NAMESPACE.test(value)) return `${value}.servicebus.windows.net`;
  if (SERVICE_BUS_HOST.test(value)) return value.toLowerCase();
  throw new UsageError(
    `--servicebus must be a Service Bus namespace (6 to 50 letters, digits and -, starting with a letter) or its host name, not "${value}"`,
  );
}

/** --storage-account and --servicebus as a settings document, or undefined when neither is given. */
function deploymentOverrides(args: ParsedArgs): { document: Record<string, unknown>; origin: string } | undefined {
  const account = stringOption(args, 'storage-account');
  const namespace = stringOption(args, 'servicebus');
  if (account === undefined && namespace === undefined) return undefined;
  if (account !== undefined && !STORAGE_ACCOUNT_NAME.test(account))
    throw new UsageError(`--storage-account must be a storage account name (3 to 24 lower-case letters and digits), not "${account}"`);
  const document: Record<string, unknown> = {};
  const origin: string[] = [];
  if (account !== undefined) {
    document.ledger = { account };
    origin.push('--storage-account');
  }
  if (namespace !== undefined) {
    // This namespace with the sign-in: a connection string from the settings would go elsewhere.
    document.serviceBus = { fullyQualifiedNamespace: serviceBusHost(namespace), connectionString: undefined };
    origin.push('--servicebus');
  }
  return { document, origin: origin.join(' + ') };
}

/** Whether the loaded settings are the embedded demo ones (no file, no settings variable): not a deployment's. */
export const isDemoSettings = (loaded: LoadedSettings): boolean => loaded.origin.startsWith('embedded demo default');
