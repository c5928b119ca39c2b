/**
 * Issue "From nothing to a first real job", item 2: `spark-dispatch settings pull --app NAME`
 * writes a deployment's settings (its Function App's app settings, as main.bicep sets them) to a
 * local file for the commands' --config, without the Function's identity, keys or Key Vault
 * references. A fake `az` answers; nothing reaches Azure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { AzRunner, AzureHooks } from '../../src/cli/cliIo.js';
import { main } from '../../src/cli/main.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import { tenantRefs } from '../../src/domain/tenant/tenancy.js';
import { at, evaluate, parseBicep, resourcesOfType, RuntimeValue, type Value } from '../support/bicep.js';
import { fakeCredential } from '../support/credentials.js';
import { fakeBlobHttp } from '../support/fakeBlobHttp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const mainBicep = parseBicep(readFileSync(join(ROOT, 'infra/azure/main.bicep'), 'utf8'));

/** The Function App's app settings for an example parameters file, as `az functionapp config appsettings list` gives them. */
function appSettingsFor(parametersPath: string): { name: string; value: string; slotSetting: boolean }[] {
  const file = JSON.parse(readFileSync(join(ROOT, parametersPath), 'utf8')) as { parameters: Record<string, { value: unknown }> };
  const parameters = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
  const site = resourcesOfType(mainBicep, 'Microsoft.Web/sites')[0]!;
  const settings = evaluate(at(site.body, 'properties', 'siteConfig', 'appSettings')!, { file: mainBicep, parameters }) as {
    name: string;
    value: Value;
  }[];
  // Values Azure computes at deployment (the Application Insights connection string) get a stand-in.
  return settings.map((s) => ({
    name: s.name,
    value:
      s.value instanceof RuntimeValue
        ? 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/'
        : String(s.value),
    slotSetting: false,
  }));
}

interface AzCall {
  readonly args: readonly string[];
}

/** A fake az: answers by the command's first words; records each call. */
function fakeAz(answers: Record<string, { code?: number; stdout?: unknown; stderr?: string }>): { az: AzRunner; calls: AzCall[] } {
  const calls: AzCall[] = [];
  const az: AzRunner = async (args) => {
    calls.push({ args });
    const key = Object.keys(answers).find((k) => args.join(' ').startsWith(k));
    const a = key === undefined ? { code: 2, stderr: `fake az: unexpected ${args.join(' ')}` } : answers[key]!;
    return { code: a.code ?? 0, stdout: a.stdout === undefined ? '' : JSON.stringify(a.stdout), stderr: a.stderr ?? '' };
  };
  return { az, calls };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sd-pull-'));
  dirs.push(dir);
  return dir;
}

async function cli(argv: string[], cwd: string, azure: AzureHooks, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    cwd,
    azure,
  });
  return { code, stdout, stderr };
}

const APP = 'contoso-spark-dispatch';
const LIST = 'functionapp config appsettings list';

describe("settings pull: a deployment's settings for the CLI", () => {
  it('two tenants: writes the settings the Function reads, which the commands then take with --config', async () => {
    const dir = workdir();
    const { az, calls } = fakeAz({ [LIST]: { stdout: appSettingsFor('infra/azure/main.parameters.tenants.example.json') } });
    const r = await cli(['settings', 'pull', '--app', APP, '-g', 'rg-spark'], dir, { az });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(calls.map((c) => c.args.join(' '))).toEqual([`${LIST} --name ${APP} --resource-group rg-spark --output json`]);
    const file = join(dir, `spark-dispatch.${APP}.yaml`);
    expect(r.stdout).toBe(
      [
        `wrote spark-dispatch.${APP}.yaml: ledger contosolake/spark-dispatch-ledger; Service Bus contoso-spark.servicebus.windows.net; tenants analytics (queue spark-jobs-analytics), sales (queue sales-spark-jobs)`,
        "left out: kubernetes.auth (the Function's way into the cluster: yours is your kubeconfig)",
        `use it with --config ${file}, or for every command: export SPARK_DISPATCH_CONFIG=${file}`,
        '',
      ].join('\n'),
    );
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# spark-dispatch settings of the Function App contoso-spark-dispatch \(resource group rg-spark\)/);
    expect(text).not.toMatch(/InstrumentationKey|aks-entra|caData|AzureWebJobsStorage/);
    const parsed = parseSettings(parseYaml(text));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.kubernetes.auth).toEqual({ mode: 'kubeconfig' });
    expect(parsed.value.serviceBus).toMatchObject({
      fullyQualifiedNamespace: 'contoso-spark.servicebus.windows.net',
      eventsTopic: 'spark-dispatch-events',
      maxDeliveryCount: 10,
    });
    expect(Object.keys(parsed.value.tenants)).toEqual(['analytics', 'sales']);

    // Then: status with that file, as the signed-in user.
    const http = fakeBlobHttp(() => ({
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="spark-dispatch-ledger"><Blobs /><NextMarker /></EnumerationResults>',
    }));
    const status = await cli(
      ['status'],
      dir,
      { credential: fakeCredential({ oid: 'a', upn: 'alice@contoso.com' }), httpClient: http.httpClient },
      { SPARK_DISPATCH_CONFIG: file },
    );
    expect(status).toMatchObject({ code: 0, stdout: 'no jobs in the ledger yet\n' });
    expect(http.requests.map((q) => q.url.host)).toEqual(['contosolake.blob.core.windows.net']);
  });

  it('one team: the queue and staging the template sets, found in the resource group az finds by name', async () => {
    const dir = workdir();
    const { az, calls } = fakeAz({
      'resource list': { stdout: ['rg-spark'] },
      [LIST]: { stdout: appSettingsFor('infra/azure/main.parameters.example.json') },
    });
    const r = await cli(['settings', 'pull', '--app', APP, '--out', 'prod.yaml'], dir, { az });
    expect(r.code).toBe(0);
    expect(calls.map((c) => c.args.join(' '))).toEqual([
      `resource list --name ${APP} --resource-type Microsoft.Web/sites --query [].resourceGroup --output json`,
      `${LIST} --name ${APP} --resource-group rg-spark --output json`,
    ]);
    const parsed = parseSettings(parseYaml(readFileSync(join(dir, 'prod.yaml'), 'utf8')));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [team] = tenantRefs(parsed.value);
    expect(team).toMatchObject({
      id: 'default',
      tenant: { queue: 'spark-jobs', intake: { staging: { account: 'contosolake', filesystem: 'jobs', prefix: '_staging/inline/' } } },
    });
  });

  it("leaves out connection strings, Key Vault references and the Function's identity, saying so", async () => {
    const dir = workdir();
    const settings = {
      namespaces: { 'spark-jobs': {} },
      blob: {
        managedIdentityClientId: '00000000-0000-0000-0000-000000000003',
        accounts: { devlake: { connectionString: 'DefaultEndpointsProtocol=https;AccountName=devlake;AccountKey=c2VjcmV0' } },
      },
      kubernetes: { auth: { mode: 'token', apiUrl: 'https://api.aro.contoso.com:6443', token: 'placeholder' } },
    };
    const { az } = fakeAz({
      [LIST]: {
        stdout: [
          { name: 'SPARK_DISPATCH_SETTINGS', value: JSON.stringify(settings) },
          {
            name: 'SPARK_DISPATCH__kubernetes__auth__token',
            value: '@Microsoft.KeyVault(SecretUri=https://contoso.vault.azure.net/secrets/spark-dispatch-token)',
          },
          {
            name: 'ServiceBusConnection',
            value: 'Endpoint=sb://contoso-spark.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0',
          },
          { name: 'SPARK_DISPATCH__ledger__account', value: 'contosolake' },
        ],
      },
    });
    const r = await cli(['settings', 'pull', '--app', APP, '-g', 'rg'], dir, { az });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      "left out: SPARK_DISPATCH__kubernetes__auth__token (a Key Vault reference, which only the Function can resolve); kubernetes.auth (the Function's way into the cluster: yours is your kubeconfig); blob.managedIdentityClientId (the Function's identity); blob.accounts.devlake.connectionString (a connection string: the CLI signs in instead)",
    );
    const text = readFileSync(join(dir, `spark-dispatch.${APP}.yaml`), 'utf8');
    expect(text).not.toMatch(/c2VjcmV0|KeyVault|SharedAccessKey|placeholder|00000000-0000-0000-0000-000000000003/);
  });

  it.each([
    [
      'no right to read app settings',
      {
        code: 1,
        stderr:
          "ERROR: (AuthorizationFailed) The client 'alice@contoso.com' with object id '6f1d2c3b' does not have authorization to perform action 'Microsoft.Web/sites/config/list/action' over scope '/subscriptions/…/sites/contoso-spark-dispatch'.",
      },
      "Reading a Function App's settings needs Microsoft.Web/sites/config/list/action: Website Contributor or Contributor on contoso-spark-dispatch. Without it, ask whoever deployed it to run `spark-dispatch settings pull --app contoso-spark-dispatch` and share the file: it holds no secrets.",
    ],
    [
      'not signed in',
      { code: 1, stderr: "ERROR: Please run 'az login' to setup account." },
      'the Azure CLI is not signed in: run `az login`',
    ],
    [
      'no az',
      { code: 127, stderr: 'spawn az ENOENT' },
      'the Azure CLI (az) is not installed: see https://aka.ms/azure-cli, then `az login`',
    ],
    [
      'not a spark-dispatch app',
      { stdout: [{ name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }] },
      'contoso-spark-dispatch has no SPARK_DISPATCH_SETTINGS app setting: is it the Function App of a spark-dispatch deployment (infra/azure/main.bicep)?',
    ],
  ])('%s: exit 3, saying what to do', async (_label, answer, message) => {
    const { az } = fakeAz({ [LIST]: answer });
    const r = await cli(['settings', 'pull', '--app', APP, '-g', 'rg'], workdir(), { az });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(message);
  });

  it('an app name no group or several groups have', async () => {
    expect(
      (await cli(['settings', 'pull', '--app', APP], workdir(), { az: fakeAz({ 'resource list': { stdout: [] } }).az })).stderr,
    ).toContain(`no Function App named ${APP} in the current subscription`);
    const two = await cli(['settings', 'pull', '--app', APP], workdir(), {
      az: fakeAz({ 'resource list': { stdout: ['rg-a', 'rg-b'] } }).az,
    });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`2 resource groups have a Function App named ${APP} (rg-a, rg-b): say which with --resource-group`);
    expect((await cli(['settings', 'push'], workdir(), {})).stderr).toContain('the only subcommand is "pull"');
    expect((await cli(['settings', 'pull'], workdir(), {})).stderr).toContain('name the Function App with --app');
  });
});
