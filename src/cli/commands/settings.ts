import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { problemToString } from '../../domain/spec/problem.js';
import { DispatchError } from '../../shared/errors.js';
import { parseSettings, settingsDocument } from '../../settings/loadSettings.js';
import { tenantRefs } from '../../domain/tenant/tenancy.js';
import type { Settings } from '../../settings/settingsSchema.js';
import { azJson } from '../azCli.js';
import { stringOption, UsageError, type Command } from '../command.js';
import { EXIT, type CliIo } from '../cliIo.js';

/** The app settings that make up the Function's spark-dispatch settings (functionsSettings reads the same). */
const SETTINGS_APP_SETTING =
  /^(SPARK_DISPATCH_SETTINGS|SPARK_DISPATCH_JOB_QUEUE|SPARK_DISPATCH__.+|ServiceBusConnection__fullyQualifiedNamespace)$/;
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;
const FUNCTION_APP_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]?$/;

export const settingsCommand: Command = {
  name: 'settings',
  summary: "write a deployment's settings to a local file, for the commands' --config",
  usage: 'pull --app NAME [--resource-group RG] [--out FILE]',
  description:
    "Reads the Function App's spark-dispatch app settings (SPARK_DISPATCH_SETTINGS, SPARK_DISPATCH__*, its Service Bus\n" +
    'namespace and job queue) with the Azure CLI, as the signed-in user (az login), and writes them as one YAML settings\n' +
    "file. Left out: the Function's own identity (kubernetes.auth, blob.managedIdentityClientId: the CLI signs in as you\n" +
    'and reaches the cluster through your kubeconfig), connection strings, and Key Vault references. Reading app settings\n' +
    'needs Website Contributor (or Contributor) on the app: without it, ask whoever deployed it for the file, which\n' +
    'holds no secrets. Pull again after each deployment.',
  options: {
    app: { type: 'string', description: 'the Function App (Bicep output functionAppName)', valueName: 'NAME' },
    'resource-group': {
      type: 'string',
      short: 'g',
      description: 'its resource group (default: found by name in the current subscription)',
      valueName: 'RG',
    },
    out: { type: 'string', description: 'where to write (default spark-dispatch.<app>.yaml)', valueName: 'FILE' },
  },
  examples: [
    'spark-dispatch settings pull --app contoso-spark-dispatch',
    'export SPARK_DISPATCH_CONFIG=$PWD/spark-dispatch.contoso-spark-dispatch.yaml && spark-dispatch status',
  ],
  async run(args, io) {
    if (args.positionals[0] !== 'pull' || args.positionals.length !== 1) throw new UsageError('the only subcommand is "pull"');
    const app = stringOption(args, 'app');
    if (app === undefined) throw new UsageError('name the Function App with --app (the deployment output functionAppName)');
    if (!FUNCTION_APP_NAME.test(app))
      throw new UsageError(`--app must be a Function App name (letters, digits and -, at most 60), not "${app}"`);
    const group = stringOption(args, 'resource-group') ?? (await resourceGroupOf(io, app));
    const listed = await azJson(
      io,
      ['functionapp', 'config', 'appsettings', 'list', '--name', app, '--resource-group', group],
      `reading the app settings of ${app}`,
    ).catch((error: unknown) => {
      if (error instanceof DispatchError && error.kind === 'forbidden') {
        throw new DispatchError(
          'forbidden',
          `${error.message}\n  Reading a Function App's settings needs Microsoft.Web/sites/config/list/action: Website Contributor or Contributor on ${app}. Without it, ask whoever deployed it to run \`spark-dispatch settings pull --app ${app}\` and share the file: it holds no secrets.`,
          { cause: error },
        );
      }
      throw error;
    });
    const pulled = pullSettings(app, listed);
    const out = resolve(io.cwd, stringOption(args, 'out') ?? `spark-dispatch.${app}.yaml`);
    const header = [
      `# spark-dispatch settings of the Function App ${app} (resource group ${group}), written by`,
      '# `spark-dispatch settings pull`: its SPARK_DISPATCH_SETTINGS and SPARK_DISPATCH__* app settings, without the',
      "# Function's own identity: the CLI signs in as you (az login) and reaches the cluster through your kubeconfig",
      '# (az aks get-credentials). No secrets. Pull again after each deployment.',
    ];
    writeFileSync(out, `${header.join('\n')}\n${toYaml(pulled.document, { lineWidth: 0 })}`);
    const { settings } = pulled;
    const summary = [
      `ledger ${settings.ledger.account ?? '(none)'}/${settings.ledger.container}`,
      `Service Bus ${settings.serviceBus.fullyQualifiedNamespace ?? '(none)'}`,
      `tenants ${tenantRefs(settings)
        .map((t) => `${t.id} (queue ${t.tenant.queue})`)
        .join(', ')}`,
    ];
    io.stdout.write(`wrote ${basename(out)}: ${summary.join('; ')}\n`);
    if (pulled.left.length > 0) io.stdout.write(`left out: ${pulled.left.join('; ')}\n`);
    io.stdout.write(`use it with --config ${out}, or for every command: export SPARK_DISPATCH_CONFIG=${out}\n`);
    return EXIT.ok;
  },
};

/** The resource group of the one Function App of that name in the current subscription. */
async function resourceGroupOf(io: CliIo, app: string): Promise<string> {
  const found = await azJson(
    io,
    ['resource', 'list', '--name', app, '--resource-type', 'Microsoft.Web/sites', '--query', '[].resourceGroup'],
    `finding the Function App ${app}`,
  );
  const groups = Array.isArray(found) ? found.filter((g): g is string => typeof g === 'string') : [];
  if (groups.length === 1) return groups[0]!;
  if (groups.length === 0)
    throw new DispatchError(
      'not-found',
      `no Function App named ${app} in the current subscription (\`az account show\` says which; \`az account set --subscription <id>\` changes it), or pass --resource-group`,
    );
  throw new UsageError(
    `${groups.length} resource groups have a Function App named ${app} (${groups.join(', ')}): say which with --resource-group`,
  );
}

/**
 * The settings document of `az functionapp config appsettings list` output, as the Functions
 * would read it, minus what the CLI must not use: the Function's identity, connection strings,
 * Key Vault references (only the Function resolves them). `left` names what was left out.
 */
export function pullSettings(
  app: string,
  listed: unknown,
): { readonly document: Record<string, unknown>; readonly settings: Settings; readonly left: readonly string[] } {
  const entries = Array.isArray(listed)
    ? listed.filter(
        (e): e is { name: string; value: unknown } =>
          e !== null && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string',
      )
    : [];
  const left: string[] = [];
  const env: Record<string, string> = {};
  for (const { name, value } of entries) {
    if (!SETTINGS_APP_SETTING.test(name) || typeof value !== 'string') continue;
    if (KEY_VAULT_REFERENCE.test(value)) {
      left.push(`${name} (a Key Vault reference, which only the Function can resolve)`);
      continue;
    }
    env[name] = value;
  }
  if (env.SPARK_DISPATCH_SETTINGS === undefined) {
    throw new DispatchError(
      'configuration',
      `${app} has no SPARK_DISPATCH_SETTINGS app setting: is it the Function App of a spark-dispatch deployment (infra/azure/main.bicep)?`,
    );
  }
  const merged = settingsDocument({ env, readFile: () => '' });
  if (!merged.ok)
    throw new DispatchError(
      'configuration',
      `the app settings of ${app} are unreadable: ${merged.problems.map(problemToString).join('; ')}`,
    );
  const document = structuredClone(merged.value.document) as Record<string, unknown>;
  // The trigger's settings, as functionsSettings takes them when the settings name none.
  const serviceBus = (isMap(document.serviceBus) ? document.serviceBus : {}) as Record<string, unknown>;
  if (
    serviceBus.connectionString === undefined &&
    serviceBus.fullyQualifiedNamespace === undefined &&
    env.ServiceBusConnection__fullyQualifiedNamespace
  ) {
    serviceBus.fullyQualifiedNamespace = env.ServiceBusConnection__fullyQualifiedNamespace;
  }
  if (env.SPARK_DISPATCH_JOB_QUEUE) serviceBus.jobQueue = env.SPARK_DISPATCH_JOB_QUEUE;
  document.serviceBus = serviceBus;
  // The Function's own identity: the CLI signs in as its user and uses the user's kubeconfig.
  const kubernetes = isMap(document.kubernetes) ? document.kubernetes : undefined;
  if (kubernetes && 'auth' in kubernetes) {
    delete kubernetes.auth;
    left.push("kubernetes.auth (the Function's way into the cluster: yours is your kubeconfig)");
  }
  const blob = isMap(document.blob) ? document.blob : undefined;
  if (blob && 'managedIdentityClientId' in blob) {
    delete blob.managedIdentityClientId;
    left.push("blob.managedIdentityClientId (the Function's identity)");
  }
  for (const path of dropConnectionStrings(document, [])) left.push(`${path} (a connection string: the CLI signs in instead)`);
  return { document, settings: parseSettingsOrThrow(app, document), left };
}

function parseSettingsOrThrow(app: string, document: unknown): Settings {
  const parsed = parseSettings(document);
  if (!parsed.ok)
    throw new DispatchError(
      'configuration',
      `the settings of ${app} are invalid:\n${parsed.problems.map((p) => `  - ${problemToString(p)}`).join('\n')}`,
    );
  return parsed.value;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Removes every `connectionString` field; the paths removed. */
function dropConnectionStrings(value: unknown, at: string[]): string[] {
  if (!isMap(value)) return [];
  const dropped: string[] = [];
  for (const key of Object.keys(value)) {
    if (key === 'connectionString') {
      delete value[key];
      dropped.push([...at, key].join('.'));
    } else dropped.push(...dropConnectionStrings(value[key], [...at, key]));
  }
  return dropped;
}
