/**
 * The Azure templates (infra/azure) against the code, without a Bicep compiler: the templates are
 * parsed by test/support/bicep.ts and evaluated with the example parameters, for one team
 * (main.parameters.example.json) and for two (main.parameters.tenants.example.json).
 *
 * (a) every app setting the code reads is set by the template (the list comes from the code);
 * (b) the settings the template passes (SPARK_DISPATCH_SETTINGS + SPARK_DISPATCH__a__b) name real
 *     settings paths and start the Functions' settings without a problem;
 * (c) no secrets: no keys or connection strings anywhere, shared keys and local auth disabled;
 * (d) only the expected built-in roles, each on the expected scope and principal;
 * (e) the Event Grid filter passes exactly the storage APIs the code acts on;
 * (f) the queue's maxDeliveryCount is the one the settings get;
 * (g) tenants: one queue each that only its orchestrators (and the Function) may send to, one
 *     trigger per queue, its events on its own filtered subscription, its drivers on its containers;
 * and the Flex Consumption specifics, the parameters examples, and the two workflows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { tenantQueues } from '../../src/triggers/tenantQueues.js';
import { serviceBusEvents } from '../../src/adapters/serviceBus/serviceBusQueue.js';
import { EVENT_GRID_APIS } from '../../src/domain/intake/storageEvent.js';
import { DISPATCHER_ROLE, namespaceBundle } from '../../src/domain/render/namespaceBundle.js';
import { tenantOfQueue } from '../../src/domain/tenant/tenancy.js';
import { functionsSettings } from '../../src/runtime/functionsRuntime.js';
import { azureMonitorOptions } from '../../src/telemetry/azureMonitor.js';
import { ServiceBusSettingsSchema, SettingsSchema, TENANT_ID } from '../../src/settings/settingsSchema.js';
import {
  at,
  evaluate,
  instancesOf,
  parseBicep,
  render,
  resolveResource,
  resource,
  resourcesOfType,
  RuntimeValue,
  typeProblems,
  type BicepFile,
  type EvalContext,
  type Expr,
  type Value,
} from '../support/bicep.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const MAIN_PATH = 'infra/azure/main.bicep';
const EVENTS_SCRIPT = 'infra/azure/storage-events.sh';
const main = parseBicep(read(MAIN_PATH));
const bicepPaths = listFiles(join(ROOT, 'infra/azure'), '.bicep').map((p) => relative(ROOT, p));
const modules = new Map(main.modules.map((m) => [m.symbol, parseBicep(read(join('infra/azure', m.path)))]));

const SINGLE_PATH = 'infra/azure/main.parameters.example.json';
const TENANTS_PATH = 'infra/azure/main.parameters.tenants.example.json';
const EXAMPLE_PATHS = [SINGLE_PATH, TENANTS_PATH];

function loadExample(path: string): Record<string, unknown> {
  const file = JSON.parse(read(path)) as { parameters: Record<string, { value: unknown }> };
  return Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
}

// ---------------------------------------------------------------------------------------------
// What the template sets
// ---------------------------------------------------------------------------------------------

const functionApp = single(main, 'Microsoft.Web/sites');
const appSettingsExpr = at(functionApp.body, 'properties', 'siteConfig', 'appSettings');

/**
 * Every `{ name, value }` entry written in appSettings: a literal array, or concat() of literal
 * arrays and ternaries between literal arrays (settings that depend on the deployment).
 */
function appSettingEntries(e: Expr | undefined): { name: string; value: Expr }[] {
  if (e?.kind === 'array') {
    return e.items.map((item) => {
      const name = at(item, 'name');
      const value = at(item, 'value');
      if (name?.kind !== 'string' || name.parts.length !== 1 || typeof name.parts[0] !== 'string' || !value) {
        throw new Error(`app setting entries need a literal name and a value: ${render(item)}`);
      }
      return { name: name.parts[0], value };
    });
  }
  if (e?.kind === 'call' && e.callee === 'concat') return e.args.flatMap(appSettingEntries);
  if (e?.kind === 'ternary') return [...appSettingEntries(e.then), ...appSettingEntries(e.otherwise)];
  throw new Error(
    `siteConfig.appSettings must be literal arrays of { name, value } entries, or concat() of them: ${e ? render(e) : 'none'}`,
  );
}
const declaredSettings = appSettingEntries(appSettingsExpr);
const declaredSettingNames = new Set(declaredSettings.map((s) => s.name));

/** One deployment of main.bicep: its parameters, and what it sets. */
interface Deployment {
  label: string;
  parameters: Record<string, unknown>;
  ctx: EvalContext;
  appSettings: { name: string; value: Value }[];
  settingNames: Set<string>;
  settingValue: (name: string) => Value | undefined;
  /** The app settings as the Functions host hands them to the code (runtime-only values left out). */
  appEnv: Record<string, string>;
}

function deployment(label: string, parameters: Record<string, unknown>): Deployment {
  const ctx = { file: main, parameters };
  const appSettings = evaluate(appSettingsExpr!, ctx) as { name: string; value: Value }[];
  return {
    label,
    parameters,
    ctx,
    appSettings,
    settingNames: new Set(appSettings.map((s) => s.name)),
    settingValue: (name) => appSettings.find((s) => s.name === name)?.value,
    appEnv: Object.fromEntries(
      appSettings.filter((s): s is { name: string; value: string } => typeof s.value === 'string').map((s) => [s.name, s.value]),
    ),
  };
}

const example = loadExample(SINGLE_PATH);
const tenantsExample = loadExample(TENANTS_PATH);
const one = deployment('one team', example);
const two = deployment('two tenants', tenantsExample);
const DEPLOYMENTS = [one, two];

// The workflows, as GitHub reads them.
type Step = { name?: string; id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { strategy?: { matrix?: Record<string, unknown> }; steps: Step[] }>;
};
const ci = parseYaml(read('.github/workflows/ci.yml')) as Workflow;
const deploy = parseYaml(read('.github/workflows/deploy.yml')) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const runs = (w: Workflow) => steps(w).flatMap((s) => (s.run ? [s.run] : []));
/** The Node versions a workflow sets up: its setup-node versions, a matrix expanded. */
function setupNode(w: Workflow): unknown[] {
  return Object.values(w.jobs).flatMap((job) =>
    job.steps
      .filter((s) => s.uses?.startsWith('actions/setup-node@'))
      .flatMap((s) => {
        const version = s.with?.['node-version'];
        const m = typeof version === 'string' ? /^\$\{\{\s*matrix\.(\w+)\s*\}\}$/.exec(version) : null;
        return m ? ((job.strategy?.matrix?.[m[1]!] as unknown[] | undefined) ?? []) : [version];
      }),
  );
}
const NODE_DEPLOYED = '22';

interface TenantParam {
  name: string;
  containers: string[];
  stagingContainer?: string;
  queueName?: string;
  senderPrincipalIds?: string[];
  eventReaderPrincipalIds?: string[];
  driverIdentityPrincipalId: string;
}
const exampleTenants = tenantsExample.tenants as TenantParam[];

// ---------------------------------------------------------------------------------------------
// What the code reads
// ---------------------------------------------------------------------------------------------

/**
 * Read by the code but not app settings of the Function. Keep this short: each entry is a
 * reason the Function does not need the variable.
 */
const NOT_APP_SETTINGS: Record<string, string> = {
  // A settings file path: local runs and the CLI. The Function gets SPARK_DISPATCH_SETTINGS.
  SPARK_DISPATCH_CONFIG: 'local and CLI settings file',
  // `spark-dispatch publish` only (the CLI sending a job message).
  SERVICEBUS_CONNECTION_STRING: 'CLI publish',
};

interface CodeReads {
  /** Environment variables read by name: process.env.X, env.X, env['X'], binding expressions %X%. */
  env: Map<string, string[]>;
  /** Trigger and binding `connection` names. */
  connections: Map<string, string[]>;
}

function scanCode(): CodeReads {
  const env = new Map<string, string[]>();
  const connections = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, name: string, where: string) => map.set(name, [...(map.get(name) ?? []), where]);
  const files = [...listFiles(join(ROOT, 'src'), '.ts'), ...listFiles(join(ROOT, 'functions'), '.ts')];
  for (const file of files) {
    const where = relative(ROOT, file);
    // Drop comment lines (JSDoc and //): prose mentions variables that nothing reads.
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
      .join('\n');
    for (const re of [/\benv\.([A-Za-z_][A-Za-z0-9_]*)/g, /\benv\[\s*['"`]([^'"`]+)['"`]\s*\]/g, /%([A-Za-z_][A-Za-z0-9_]*)%/g]) {
      for (const m of code.matchAll(re)) add(env, m[1]!, where);
    }
    for (const m of code.matchAll(/\bconnection\s*:\s*['"`]([^'"`]+)['"`]/g)) add(connections, m[1]!, where);
  }
  return { env, connections };
}

const reads = scanCode();

/** Functions registered with app.<trigger>('name', …) in functions/ (jobMessages-<queue> per tenant queue). */
const registeredFunctions = new Map(
  listFiles(join(ROOT, 'functions'), '.ts').flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bapp\.(\w+)\(\s*'([^']+)'/g)].map((m) => [m[2]!, m[1]!] as const),
  ),
);

// ---------------------------------------------------------------------------------------------
// Role assignments, in main.bicep and in the modules it deploys
// ---------------------------------------------------------------------------------------------

const BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
};
const FUNCTION = 'functionApp.identity.principalId';

interface Grant {
  role: string;
  /** The scope's resource path: `namespaces/bus/queues/spark-jobs`. */
  scope: string;
  principal: string;
  principalType?: Value;
  /** The assignment's name (a guid() stand-in made of its arguments). */
  name: string;
  /** Where it is declared: the symbol, with the module's. */
  declaredAs: string;
}

const label = (v: Value): string => (v instanceof RuntimeValue ? v.expression : typeof v === 'string' ? v : JSON.stringify(v));

function grantsIn(file: BicepFile, ctx: EvalContext, prefix: string): Grant[] {
  return resourcesOfType(file, 'Microsoft.Authorization/roleAssignments').flatMap((r) =>
    instancesOf(r, ctx).map((locals) => {
      const id = evaluate(at(r.body, 'properties', 'roleDefinitionId')!, ctx, locals);
      const guid = typeof id === 'string' ? /\/roleDefinitions\/([0-9a-f-]{36})$/.exec(id)?.[1] : undefined;
      const principalType = at(r.body, 'properties', 'principalType');
      return {
        role: (guid && BUILT_IN_ROLES[guid]) ?? `unexpected role ${String(id)}`,
        scope: resolveResource(at(r.body, 'scope')!, file, ctx, locals).path,
        principal: label(evaluate(at(r.body, 'properties', 'principalId')!, ctx, locals)),
        ...(principalType ? { principalType: evaluate(principalType, ctx, locals) } : {}),
        name: label(evaluate(at(r.body, 'name')!, ctx, locals)),
        declaredAs: `${prefix}${r.symbol}`,
      };
    }),
  );
}

/** Every role assignment a deployment makes: main.bicep's, and each module instance's with its parameters. */
function allGrants(d: Deployment): Grant[] {
  return [
    ...grantsIn(main, d.ctx, ''),
    ...main.modules.flatMap((m) =>
      instancesOf(m, d.ctx).flatMap((locals) => {
        const params = evaluate(at(m.body, 'params')!, d.ctx, locals) as Record<string, Value>;
        return grantsIn(
          modules.get(m.symbol)!,
          { file: modules.get(m.symbol)!, parameters: params },
          `${m.symbol}[${label(evaluate(at(m.body, 'name')!, d.ctx, locals))}].`,
        );
      }),
    ),
  ];
}

const byRoleScope = (a: { role: string; scope: string; principal: string }, b: { role: string; scope: string; principal: string }) =>
  `${a.role} ${a.scope} ${a.principal}`.localeCompare(`${b.role} ${b.scope} ${b.principal}`);
const withoutNames = (grants: Grant[]) => grants.map(({ name: _n, declaredAs: _d, ...g }) => g).sort(byRoleScope);

/** Names of the instances a declaration deploys. */
function instanceNames(file: BicepFile, symbol: string, ctx: EvalContext): Value[] {
  const r = resource(file, symbol);
  return instancesOf(r, ctx).map((locals) => evaluate(at(r.body, 'name')!, ctx, locals));
}

const lake = (container: string) => `storageAccounts/contosolake/blobServices/default/containers/${container}`;
const queuePath = (queue: string) => `namespaces/contoso-spark/queues/${queue}`;
const eventsPath = (subscription?: string) =>
  `namespaces/contoso-spark/topics/spark-dispatch-events${subscription ? `/subscriptions/${subscription}` : ''}`;

// ---------------------------------------------------------------------------------------------

describe('infra/azure: app settings the code reads', () => {
  it('finds the reads it must find (the scan itself works)', () => {
    expect([...reads.env.keys()]).toEqual(
      expect.arrayContaining([
        'SPARK_DISPATCH_JOB_QUEUE',
        'SPARK_DISPATCH_JOB_QUEUES',
        'SPARK_DISPATCH__sweeper__schedule',
        'SPARK_DISPATCH_SETTINGS',
        'ServiceBusConnection',
      ]),
    );
    expect([...reads.connections.keys()]).toContain('ServiceBusConnection');
    // functions/jobMessages.ts registers jobMessages (one queue) or jobMessages-<queue> (tenants) from a template string.
    expect([...registeredFunctions.keys()].sort()).toEqual(['jobMessages', 'storageEvents', 'sweeper']);
  });

  it.each(DEPLOYMENTS)('(a) sets every app setting the code reads, connections identity-based ($label)', (d) => {
    const missing: string[] = [];
    for (const [name, where] of reads.env) {
      if (name in NOT_APP_SETTINGS) continue;
      const base = name.replace(/__fullyQualifiedNamespace$/, '');
      if (reads.connections.has(base)) {
        // A connection: satisfied by <name>__fullyQualifiedNamespace (managed identity), never by
        // <name> itself, which would be a connection string with a key.
        if (!d.settingNames.has(`${base}__fullyQualifiedNamespace`))
          missing.push(`${base}__fullyQualifiedNamespace (connection read in ${where.join(', ')})`);
        continue;
      }
      if (!d.settingNames.has(name)) missing.push(`${name} (read in ${where.join(', ')})`);
    }
    for (const [name, where] of reads.connections) {
      if (!d.settingNames.has(`${name}__fullyQualifiedNamespace`))
        missing.push(`${name}__fullyQualifiedNamespace (connection of ${where.join(', ')})`);
      expect(d.settingNames.has(name), `${name} would be a connection string`).toBe(false);
    }
    expect(missing).toEqual([]);
  });

  it('keeps the list of variables that are not app settings honest: each is still read', () => {
    for (const name of Object.keys(NOT_APP_SETTINGS)) expect(reads.env.has(name), name).toBe(true);
    for (const name of Object.keys(NOT_APP_SETTINGS)) expect(declaredSettingNames.has(name), name).toBe(false);
  });

  it.each(DEPLOYMENTS)('gives the Functions host identity-based storage and Entra ID telemetry ($label)', (d) => {
    expect(d.settingValue('AzureWebJobsStorage__accountName')).toBe(d.parameters.hostStorageAccountName);
    expect(d.settingValue('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(d.settingNames.has('AzureWebJobsStorage')).toBe(false);
    expect(d.settingValue('APPLICATIONINSIGHTS_CONNECTION_STRING')).toEqual(new RuntimeValue('appInsights.properties.ConnectionString'));
    expect(d.settingValue('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe('Authorization=AAD');
  });

  it.each(DEPLOYMENTS)(
    "item 9: with these app settings the telemetry exporter gets the app's managed identity, which may publish ($label)",
    async (d) => {
      // Application Insights refuses local auth: without a credential every export is refused.
      expect(evaluate(at(single(main, 'Microsoft.Insights/components').body, 'properties', 'DisableLocalAuth')!, d.ctx)).toBe(true);
      const asked: (string | undefined)[] = [];
      const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
      const env = {
        // Known at deployment only: any connection string of the component.
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: d.settingValue('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') as string,
      };
      const options = await azureMonitorOptions(env, async (clientId) => (asked.push(clientId), credential));
      expect(options?.azureMonitorExporterOptions?.credential).toBe(credential);
      // The identity the string names is the app's: system-assigned, so no client id.
      expect(evaluate(at(functionApp.body, 'identity', 'type')!, d.ctx)).toBe('SystemAssigned');
      expect(asked).toEqual([undefined]);
      // And that identity may publish to the component.
      expect(
        allGrants(d)
          .filter((g) => g.role === 'Monitoring Metrics Publisher')
          .map((g) => [g.principal, g.scope]),
      ).toEqual([[FUNCTION, `components/${String(d.parameters.monitoringName)}-ai`]]);
    },
  );

  it.each(DEPLOYMENTS)('names each app setting once, among those written in the template ($label)', (d) => {
    expect(d.appSettings.length).toBe(d.settingNames.size);
    for (const name of d.settingNames) expect(declaredSettingNames.has(name), name).toBe(true);
    expect(declaredSettings.length).toBe(declaredSettingNames.size);
  });

  it('sets the staging app settings for one team only: next to tenants the settings refuse them', () => {
    const staging = ['SPARK_DISPATCH__intake__staging__account', 'SPARK_DISPATCH__intake__staging__filesystem'];
    for (const name of staging) {
      expect(one.settingNames.has(name), name).toBe(true);
      expect(two.settingNames.has(name), name).toBe(false);
    }
    expect(one.settingValue('SPARK_DISPATCH__intake__staging__filesystem')).toBe(example.stagingContainerName);
    // Why: with them, the tenants' settings do not start.
    const withStaging = {
      ...two.appEnv,
      SPARK_DISPATCH__intake__staging__account: 'contosolake',
      SPARK_DISPATCH__intake__staging__filesystem: 'jobs',
    };
    expect(() => functionsSettings(withStaging)).toThrow(/intake.*nothing here when tenants are set/);
  });
});

describe('infra/azure: settings passed to the code', () => {
  it('(b) every SPARK_DISPATCH__a__b app setting names a path of the settings schema', () => {
    const paths = [...declaredSettingNames]
      .filter((n) => n.startsWith('SPARK_DISPATCH__'))
      .map((n) => n.slice('SPARK_DISPATCH__'.length).split('__'));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(acceptsPath(SettingsSchema, path), path.join('.')).toBe(true);
    // The walk does refuse what is not there.
    expect(acceptsPath(SettingsSchema, ['serviceBus', 'maxDeliveryCounts'])).toBe(false);
    expect(acceptsPath(SettingsSchema, ['sweeper', 'schedule', 'x'])).toBe(false);
  });

  it.each(DEPLOYMENTS)("(b) the example settings plus the template's app settings start the Functions' settings ($label)", (d) => {
    expect(typeof d.appEnv.SPARK_DISPATCH_SETTINGS).toBe('string');
    for (const name of Object.keys(d.appEnv).filter((n) => n.startsWith('SPARK_DISPATCH')))
      expect(typeof d.settingValue(name), name).toBe('string');
    // functionsSettings is what the Functions run at start-up: it throws with every problem listed.
    const settings = functionsSettings(d.appEnv);
    expect(settings.ledger).toMatchObject({ account: d.parameters.adlsAccountName, container: d.parameters.ledgerContainerName });
    expect(settings.serviceBus).toMatchObject({
      fullyQualifiedNamespace: `${String(d.parameters.serviceBusNamespaceName)}.servicebus.windows.net`,
      jobQueue: d.parameters.jobQueueName,
      eventsTopic: d.parameters.eventsTopicName,
      maxDeliveryCount: d.parameters.maxDeliveryCount,
    });
    expect(settings.serviceBus.connectionString).toBeUndefined();
    expect(settings.sweeper.schedule).toBe(d.parameters.sweeperSchedule);
    expect(settings.kubernetes.auth.mode).toBe('aks-entra');
  });

  it('one team: the settings are the single-team form, staged where the template says', () => {
    const settings = functionsSettings(one.appEnv);
    expect(Object.keys(settings.tenants)).toEqual(['default']);
    expect(settings.tenants.default!.intake.staging).toMatchObject({
      account: example.adlsAccountName,
      filesystem: example.stagingContainerName,
    });
  });

  it('one team: the example settings watch what the template watches, and grant what they launch in', () => {
    const settings = functionsSettings(one.appEnv);
    const lakeName = String(example.adlsAccountName);
    const watched = example.watchedContainers as string[];
    // Filesystems the intake reacts to are watched by the Event Grid subscription...
    const { intake, storage } = settings.tenants.default!;
    const used = [
      ...intake.scriptUploads.map((u) => [u.account, u.filesystem]),
      ...intake.rules.map((r) => [r.account ?? lakeName, r.filesystem]),
    ];
    for (const [account, filesystem] of used) {
      expect(account).toBe(lakeName);
      expect(watched).toContain(filesystem);
    }
    // ...and allowed as script sources on the lake the template creates.
    expect(storage[lakeName]?.filesystems).toEqual(expect.arrayContaining(watched));
    // The containers the template creates include the ledger and staging.
    const containers = evaluate(mainVar('adlsContainers'), one.ctx) as string[];
    expect(containers).toEqual(expect.arrayContaining([...watched, settings.ledger.container, intake.staging!.filesystem]));
  });

  it("(g) tenants: the example is of the tenants parameter's type, and names tenants as the settings do", () => {
    const param = main.params.get('tenants')!;
    expect(param.type).toBe('tenantSpec[]');
    expect(typeProblems(exampleTenants, param.typeExpr, main, 'tenants')).toEqual([]);
    // The type does check: what a deployment would refuse.
    expect(
      typeProblems([{ name: 'x', containers: [], driverIdentityPrincipalId: 'p', queue: 'q' }], param.typeExpr, main, 'tenants'),
    ).toEqual(['tenants[0].queue: not a property of the type', 'tenants[0].containers: at least 1 long']);
    expect(
      typeProblems([{ name: 'x', containers: Array.from({ length: 19 }, (_, i) => `c${i}`) }], param.typeExpr, main, 'tenants'),
    ).toEqual(['tenants[0].containers: at most 18 long', 'tenants[0].driverIdentityPrincipalId: required']);
    expect(exampleTenants.length).toBe(2);
    for (const t of exampleTenants) expect(t.name).toMatch(TENANT_ID);
    const settings = functionsSettings(two.appEnv);
    expect(Object.keys(settings.tenants).sort()).toEqual(exampleTenants.map((t) => t.name).sort());
  });

  it("(g) tenants: each tenant's settings watch its containers, and its drivers may reach every filesystem the settings give it", () => {
    const settings = functionsSettings(two.appEnv);
    const lakeName = String(tenantsExample.adlsAccountName);
    const owners = new Map<string, string>();
    for (const t of exampleTenants) {
      const tenant = settings.tenants[t.name]!;
      // Upload folders and landing rules are in its watched containers...
      const used = [
        ...tenant.intake.scriptUploads.map((u) => [u.account, u.filesystem]),
        ...tenant.intake.rules.map((r) => [r.account ?? lakeName, r.filesystem]),
      ];
      expect(used.length, t.name).toBeGreaterThan(0);
      for (const [account, filesystem] of used) {
        expect(account).toBe(lakeName);
        expect(t.containers, t.name).toContain(filesystem);
      }
      // ...its staging area is its stagingContainer, or one of its containers...
      const staging = tenant.intake.staging!;
      expect(staging.account).toBe(lakeName);
      if (t.stagingContainer) {
        expect(staging.filesystem).toBe(t.stagingContainer);
        expect(t.containers).not.toContain(t.stagingContainer);
      } else {
        expect(t.containers).toContain(staging.filesystem);
      }
      // ...and its filesystems on the lake are exactly what its drivers' identity gets.
      expect([...tenant.storage[lakeName]!.filesystems].sort(), t.name).toEqual(
        [...t.containers, ...(t.stagingContainer ? [t.stagingContainer] : [])].sort(),
      );
      expect(Object.keys(tenant.storage)).toEqual([lakeName]);
      // Its queue.
      expect(tenant.queue).toBe(t.queueName ?? `${String(tenantsExample.jobQueueName)}-${t.name}`);
      // A container is one tenant's, and never the ledger's.
      for (const c of [...t.containers, ...(t.stagingContainer ? [t.stagingContainer] : [])]) {
        expect(owners.get(c), c).toBeUndefined();
        owners.set(c, t.name);
        expect(c).not.toBe(settings.ledger.container);
      }
    }
    // The template creates them all, and the ledger.
    expect((evaluate(mainVar('adlsContainers'), two.ctx) as string[]).slice().sort()).toEqual(
      [...owners.keys(), settings.ledger.container].sort(),
    );
    expect(instanceNames(main, 'adlsContainer', two.ctx).slice().sort()).toEqual([...owners.keys(), settings.ledger.container].sort());
  });
});

describe('infra/azure: no secrets', () => {
  const texts: [string, string][] = [
    ...bicepPaths.map((p): [string, string] => [p, read(p)]),
    ...EXAMPLE_PATHS.map((p): [string, string] => [p, read(p)]),
    ['.github/workflows/deploy.yml', read('.github/workflows/deploy.yml')],
    ['.github/workflows/ci.yml', read('.github/workflows/ci.yml')],
    [EVENTS_SCRIPT, read(EVENTS_SCRIPT)],
  ];

  it('(c) has no keys, SAS or connection strings with secrets, and lists none', () => {
    for (const [path, text] of texts) {
      for (const re of [
        /AccountKey=/i,
        /SharedAccessKey(Name)?=/i,
        /SharedAccessSignature/i,
        /\blistKeys\s*\(/i,
        /\blist[A-Za-z]*(Keys|Secrets|ConnectionStrings)\s*\(/i,
        /DefaultEndpointsProtocol=/i,
        /publish-?profile/i,
        /client-secret/i,
      ]) {
        expect(re.test(text), `${path} matches ${re}`).toBe(false);
      }
    }
  });

  it("(c) the one key the deployment reads is the Event Grid extension's system key, in the script that subscribes the webhook (item 11)", () => {
    for (const [path, text] of texts) {
      const code = text
        .split('\n')
        .filter((line) => !/^\s*(#|\/\/)/.test(line))
        .join('\n');
      const reads = [...code.matchAll(/\bkeys list\b[^\n]*/g)].map((m) => m[0]);
      if (path !== EVENTS_SCRIPT) expect(reads, path).toEqual([]);
      else {
        expect(reads.length).toBe(1);
        expect(reads[0]).toContain('--query systemKeys.eventgrid_extension');
      }
    }
    // Masked in the logs, and kept off command lines.
    expect(read(EVENTS_SCRIPT)).toContain('echo "::add-mask::$key"');
  });

  it.each(DEPLOYMENTS)('(c) storage refuses shared keys and public blobs; Service Bus and App Insights refuse local auth ($label)', (d) => {
    const accounts = resourcesOfType(main, 'Microsoft.Storage/storageAccounts');
    expect(accounts.map((a) => a.symbol).sort()).toEqual(['adls', 'hostStorage']);
    for (const account of accounts) {
      const props = evaluate(at(account.body, 'properties')!, d.ctx) as Record<string, Value>;
      expect(props, account.symbol).toMatchObject({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
      });
    }
    expect(evaluate(at(resource(main, 'adls').body, 'properties', 'isHnsEnabled')!, d.ctx)).toBe(true);
    expect(evaluate(at(single(main, 'Microsoft.ServiceBus/namespaces').body, 'properties', 'disableLocalAuth')!, d.ctx)).toBe(true);
    expect(evaluate(at(single(main, 'Microsoft.Insights/components').body, 'properties', 'DisableLocalAuth')!, d.ctx)).toBe(true);
    for (const container of resourcesOfType(main, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      for (const locals of instancesOf(container, d.ctx))
        expect(evaluate(at(container.body, 'properties', 'publicAccess')!, d.ctx, locals), container.symbol).toBe('None');
    }
  });

  it.each(DEPLOYMENTS)('(c) the example settings carry no credentials ($label)', (d) => {
    const json = JSON.stringify(d.parameters.sparkDispatchSettings);
    expect(json).not.toMatch(/connectionString|"token"|tokenFile|password|secret/i);
    for (const { name, value } of d.appSettings) {
      if (typeof value === 'string') expect(value, name).not.toMatch(/AccountKey|SharedAccessKey|Password=|sig=/i);
    }
  });
});

describe('infra/azure: role assignments', () => {
  it('(d) uses only built-in role ids from the allowlist', () => {
    for (const path of bicepPaths) {
      for (const m of read(path).matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) {
        expect(Object.keys(BUILT_IN_ROLES), `${path}: ${m[0]}`).toContain(m[0].toLowerCase());
      }
    }
  });

  /** What the Function's identity (and the Event Grid topic's) get whoever the teams are. */
  const platformGrants = (d: Deployment, containers: string[], queues: string[]) =>
    [
      {
        role: 'Storage Blob Data Owner',
        scope: 'storageAccounts/contosodispatchhost',
        principal: FUNCTION,
        principalType: 'ServicePrincipal',
      },
      // The lake container by container: the ones the template creates, not the account.
      ...containers.map((c) => ({
        role: 'Storage Blob Data Contributor',
        scope: lake(c),
        principal: FUNCTION,
        principalType: 'ServicePrincipal',
      })),
      ...queues.flatMap((q) => [
        { role: 'Azure Service Bus Data Receiver', scope: queuePath(q), principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Azure Service Bus Data Sender', scope: queuePath(q), principal: FUNCTION, principalType: 'ServicePrincipal' },
      ]),
      { role: 'Azure Service Bus Data Sender', scope: eventsPath(), principal: FUNCTION, principalType: 'ServicePrincipal' },
      {
        role: 'Monitoring Metrics Publisher',
        scope: `components/${String(d.parameters.monitoringName)}-ai`,
        principal: FUNCTION,
        principalType: 'ServicePrincipal',
      },
      // Nothing on the AKS cluster: the Function's access there is a Kubernetes RoleBinding (item 12).
      // Not the Function: the Event Grid system topic writes undeliverable events, to that container only.
      {
        role: 'Storage Blob Data Contributor',
        scope: 'storageAccounts/contosodispatchhost/blobServices/default/containers/eventgrid-deadletter',
        principal: 'storageEventsTopic.identity.principalId',
        principalType: 'ServicePrincipal',
      },
    ].sort(byRoleScope);

  it('(d) one team: grants the Function exactly these roles, on these scopes', () => {
    expect(withoutNames(allGrants(one))).toEqual(platformGrants(one, ['jobs', 'raw', 'spark-dispatch-ledger'], ['spark-jobs']));
  });

  it("(d) tenants: the Function gets the same roles on every tenant's queue and container; each team's identities get theirs, and no more", () => {
    const tenantGrants = exampleTenants.flatMap((t) => {
      const queue = t.queueName ?? `spark-jobs-${t.name}`;
      return [
        ...(t.senderPrincipalIds ?? []).map((p) => ({ role: 'Azure Service Bus Data Sender', scope: queuePath(queue), principal: p })),
        ...(t.eventReaderPrincipalIds ?? []).map((p) => ({
          role: 'Azure Service Bus Data Receiver',
          scope: eventsPath(`tenant-${t.name}`),
          principal: p,
        })),
        ...t.containers.map((c) => ({
          role: 'Storage Blob Data Contributor',
          scope: lake(c),
          principal: t.driverIdentityPrincipalId,
          principalType: 'ServicePrincipal',
        })),
        ...(t.stagingContainer
          ? [
              {
                role: 'Storage Blob Data Reader',
                scope: lake(t.stagingContainer),
                principal: t.driverIdentityPrincipalId,
                principalType: 'ServicePrincipal',
              },
            ]
          : []),
      ];
    });
    expect(withoutNames(allGrants(two))).toEqual(
      [
        ...platformGrants(
          two,
          ['analytics-jobs', 'analytics-data', 'analytics-staging', 'jobs', 'raw', 'curated', 'spark-dispatch-ledger'],
          ['spark-jobs-analytics', 'sales-spark-jobs'],
        ),
        ...tenantGrants,
      ].sort(byRoleScope),
    );
  });

  it("(g) tenants: every tenant queue exists with exactly its tenant's senders; nobody else sends to it", () => {
    const grants = allGrants(two);
    const queues = instanceNames(main, 'jobQueues', two.ctx);
    expect(queues).toEqual(['spark-jobs-analytics', 'sales-spark-jobs']);
    for (const t of exampleTenants) {
      const queue = t.queueName ?? `spark-jobs-${t.name}`;
      expect(queues).toContain(queue);
      const senders = grants
        .filter((g) => g.role === 'Azure Service Bus Data Sender' && g.scope === queuePath(queue))
        .map((g) => g.principal);
      expect(senders.sort(), t.name).toEqual([FUNCTION, ...(t.senderPrincipalIds ?? [])].sort());
      expect(t.senderPrincipalIds?.length, t.name).toBeGreaterThan(0);
    }
    // No principal but the Function sends anywhere other than its own tenant's queue.
    const ownQueue = new Map(
      exampleTenants.flatMap((t) =>
        (t.senderPrincipalIds ?? []).map((p) => [p, queuePath(t.queueName ?? `spark-jobs-${t.name}`)] as const),
      ),
    );
    expect(ownQueue.size).toBe(exampleTenants.flatMap((t) => t.senderPrincipalIds ?? []).length);
    for (const g of grants.filter((x) => x.role === 'Azure Service Bus Data Sender' && x.principal !== FUNCTION)) {
      expect(g.scope, `${g.principal} sends to ${g.scope}`).toBe(ownQueue.get(g.principal));
    }
    // And no team identity has a role on the namespace, the topic, another queue or another team's containers.
    const teamPrincipals = new Set(
      exampleTenants.flatMap((t) => [...(t.senderPrincipalIds ?? []), ...(t.eventReaderPrincipalIds ?? []), t.driverIdentityPrincipalId]),
    );
    for (const g of grants.filter((x) => teamPrincipals.has(x.principal))) {
      const owner = exampleTenants.find((t) =>
        [...(t.senderPrincipalIds ?? []), ...(t.eventReaderPrincipalIds ?? []), t.driverIdentityPrincipalId].includes(g.principal),
      )!;
      const own = [
        queuePath(owner.queueName ?? `spark-jobs-${owner.name}`),
        eventsPath(`tenant-${owner.name}`),
        ...owner.containers.map(lake),
        ...(owner.stagingContainer ? [lake(owner.stagingContainer)] : []),
      ];
      expect(own, `${g.principal}: ${g.role} on ${g.scope}`).toContain(g.scope);
    }
  });

  it.each(DEPLOYMENTS)('(d) every role assignment has a name of its own, and none repeats another ($label)', (d) => {
    const grants = allGrants(d);
    expect(new Set(grants.map((g) => g.name)).size).toBe(grants.length);
    expect(new Set(grants.map((g) => `${g.role} ${g.scope} ${g.principal}`)).size).toBe(grants.length);
    // Names are made of the scope, the principal and the role: stable from one deployment to the next.
    for (const g of grants) expect(g.name, g.declaredAs).toMatch(/^guid\(/);
  });

  it("(d) one team: the Function's queue roles keep the names they had before tenants (no RoleAssignmentExists on redeploy)", () => {
    const names = allGrants(one)
      .filter((g) => g.scope === queuePath('spark-jobs'))
      .map((g) => g.name);
    // guid(jobQueue.id, functionApp.id, <role>), as the single queue's assignments were named.
    const before = (role: string) =>
      `guid(${['<Microsoft.ServiceBus/namespaces/queues/spark-jobs>', '<Microsoft.Web/sites/contoso-spark-dispatch>', role].map((a) => JSON.stringify(a)).join(', ')})`;
    expect(names.sort()).toEqual([before('4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'), before('69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')].sort());
  });

  it('(g) the tenant module runs after what it grants on exists, once per tenant', () => {
    const module = main.modules.find((m) => m.symbol === 'tenantAccess')!;
    expect(instancesOf(module, one.ctx)).toEqual([]);
    expect(instancesOf(module, two.ctx)).toHaveLength(exampleTenants.length);
    // After the queues, the containers, and the filters of the events subscriptions (readers get theirs once filtered).
    const dependsOn = at(module.body, 'dependsOn');
    expect(dependsOn?.kind === 'array' ? dependsOn.items.map(render).sort() : []).toEqual([
      'adlsContainer',
      'jobQueues',
      'tenantEventsFilter',
    ]);
    // It creates nothing but role assignments: what it grants on is main.bicep's.
    const file = modules.get('tenantAccess')!;
    for (const r of file.resources.filter((x) => x.type !== 'Microsoft.Authorization/roleAssignments'))
      expect(r.existing, r.symbol).toBe(true);
  });
});

describe('item 12: the Function reaches AKS through a Kubernetes RoleBinding, and the security table says what it may do', () => {
  const role = namespaceBundle({
    namespace: 'team-analytics',
    profile: 'aks',
    driverServiceAccount: 'spark-driver',
    priorityClassName: 'spark-driver',
    maxConcurrentDrivers: 20,
    dispatcherPrincipal: { kind: 'User', name: '8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b' },
  });
  const dispatcherRole = role.find((o) => o.kind === 'Role' && o.metadata.name === DISPATCHER_ROLE) as unknown as {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  const dispatcherBinding = role.find((o) => o.kind === 'RoleBinding' && o.metadata.name === DISPATCHER_ROLE) as unknown as {
    roleRef: unknown;
    subjects: unknown[];
  };
  // The deploy page (the runbook) and the security page (the table of what each identity may do).
  const readme = read('docs/deploy.md') + read('docs/security.md');

  it('no template assigns an Azure role on the cluster, references it, or asks for it', () => {
    expect(bicepPaths).not.toContain('infra/azure/modules/aksNamespaceAccess.bicep');
    for (const path of bicepPaths) {
      expect(read(path), path).not.toMatch(/Microsoft\.ContainerService|a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb/);
      const file = path === MAIN_PATH ? main : parseBicep(read(path));
      for (const name of file.params.keys()) expect(name, `${path}: param ${name}`).not.toMatch(/^aks/i);
    }
    for (const d of DEPLOYMENTS) expect(allGrants(d).filter((g) => /Kubernetes|managedClusters/.test(`${g.role} ${g.scope}`))).toEqual([]);
    // What the runbook binds is the principal the template outputs: the app's object id.
    expect(render(main.outputs.get('functionAppPrincipalId')!.value)).toBe(FUNCTION);
  });

  it("the documented path: Entra ID with Kubernetes RBAC, and the generated Role bound to the Function's object id", () => {
    // The runbook is infra/aks/deploy.sh, and docs/deploy-aks.md says what each of its steps runs.
    const runbook = read('docs/deploy-aks.md');
    const script = read('infra/aks/deploy.sh');
    for (const text of [runbook, script]) {
      expect(text).toMatch(/--enable-aad/);
      expect(text).not.toMatch(/--enable-azure-rbac/);
    }
    expect(script).toMatch(/aks create[^)]*--enable-aad/);
    expect(runbook).toContain('--dispatcher-principal User:$FUNC');
    expect(runbook).toContain('jq -r .functionAppPrincipalId.value $OUT/outputs.json');
    expect(script).toContain('function_principal=$(output functionAppPrincipalId)');
    expect(script).toContain('--dispatcher-principal "User:$function_principal"');
    expect(dispatcherBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: DISPATCHER_ROLE });
    expect(dispatcherBinding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: '8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b' },
    ]);
  });

  it('the Role reads no Secrets and covers SparkApplications (what AKS RBAC Writer gets wrong both ways)', () => {
    const resources = dispatcherRole.rules.flatMap((r) => r.resources);
    expect(resources).not.toContain('secrets');
    for (const r of dispatcherRole.rules) for (const field of [r.apiGroups, r.resources, r.verbs]) expect(field).not.toContain('*');
    expect(resources).toContain('sparkapplications');
  });

  it("the security table's row for the Function names exactly what the Role allows, and Secrets among what it may not", () => {
    const row = readme.split('\n').find((line) => line.startsWith("| the Function App's managed identity |"));
    expect(row).toBeDefined();
    const [mayDo, mayNot] = row!.split(' | ').slice(1, 3) as [string, string];
    // Each resource of the Role, as the table words it; a rule added to the Role must be added here and to the table.
    const wording: Record<string, string> = {
      pods: 'pods',
      'pods/log': 'read pod logs',
      events: 'list events',
      configmaps: 'configmaps',
      services: 'services',
      sparkapplications: 'SparkApplications',
    };
    expect(dispatcherRole.rules.flatMap((r) => r.resources).sort()).toEqual(Object.keys(wording).sort());
    for (const words of Object.values(wording)) expect(mayDo).toContain(words);
    expect(mayDo).toContain('create, get, list and delete');
    // pods/log is read, events listed (the sweeper's evidence); the rest created, read, listed and deleted.
    const readOnly = new Set(['pods/log', 'events']);
    expect(dispatcherRole.rules.filter((r) => !readOnly.has(r.resources[0]!)).map((r) => r.verbs)).toEqual(
      dispatcherRole.rules.filter((r) => !readOnly.has(r.resources[0]!)).map(() => ['create', 'get', 'list', 'delete']),
    );
    expect(mayDo).toContain('RoleBinding');
    expect(mayNot).toMatch(/read or list Secrets through the API/);
    expect(mayNot).toMatch(/AKS RBAC Writer/);
    // What creating pods still allows is said, not hidden.
    expect(mayNot).toMatch(/a pod may mount a Secret/);
  });
});

describe('infra/azure: Event Grid', () => {
  // The subscriptions' bodies are an output: infra/azure/storage-events.sh PUTs them after the code (item 11).
  const subscriptions = (d: Deployment) =>
    (evaluate(main.outputs.get('storageEventSubscriptions')!.value, d.ctx) as { name: string; properties: Record<string, Value> }[]).map(
      (s) => ({
        name: s.name,
        properties: s.properties,
        props: (...path: string[]) => path.reduce<Value>((v, key) => (v as Record<string, Value>)[key]!, s.properties),
      }),
    );

  it.each(DEPLOYMENTS)('(e) passes exactly the APIs the code acts on, plus RenameFile for BlobRenamed ($label)', (d) => {
    const expected = [...EVENT_GRID_APIS].sort();
    expect((evaluate(mainVar('storageEventApis'), d.ctx) as string[]).slice().sort()).toEqual(expected);
    expect(subscriptions(d).length).toBeGreaterThan(0);
    for (const { props } of subscriptions(d)) {
      const filters = props('filter', 'advancedFilters') as { operatorType: string; key: string; values: string[] }[];
      const api = filters.filter((f) => f.key === 'data.api');
      expect(api).toHaveLength(1);
      expect(api[0]!.operatorType).toBe('StringIn');
      expect(api[0]!.values.slice().sort()).toEqual(expected);
      expect(props('filter', 'includedEventTypes')).toEqual(['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobRenamed']);
    }
  });

  const prefixes = (containers: string[]) => containers.map((c) => `/blobServices/default/containers/${c}/`);
  const subjectFilter = (props: (...path: string[]) => Value) =>
    (props('filter', 'advancedFilters') as { operatorType: string; key: string; values: string[] }[]).find((f) => f.key === 'subject');

  it('(e) one team: watches each watched container by subject prefix, in the subscription it always had', () => {
    const subs = subscriptions(one);
    expect(subs.map((s) => s.name)).toEqual(['spark-dispatch-storage-events']);
    const subject = subjectFilter(subs[0]!.props);
    expect(subject?.operatorType).toBe('StringBeginsWith');
    expect(subject?.values).toEqual(prefixes(example.watchedContainers as string[]));
  });

  it('(e) tenants: one subscription per tenant watches exactly its containers; together, every tenant container', () => {
    const subs = subscriptions(two);
    expect(subs.map((s) => s.name)).toEqual(exampleTenants.map((t) => `spark-dispatch-storage-events-${t.name}`));
    subs.forEach((s, i) => {
      const subject = subjectFilter(s.props);
      expect(subject?.operatorType).toBe('StringBeginsWith');
      expect(subject?.values).toEqual(prefixes(exampleTenants[i]!.containers));
    });
    // Staging-only containers are not watched: the Function writes there, no job starts from them.
    const watched = subs.flatMap((s) => subjectFilter(s.props)!.values);
    for (const t of exampleTenants) if (t.stagingContainer) expect(watched).not.toContain(prefixes([t.stagingContainer])[0]);
  });

  it("(e) stays within Event Grid's 25 filter values per subscription, for one team and for each tenant", () => {
    const maxOf = (decorators: { name: string; args: Expr[] }[]) =>
      Number(evaluate(decorators.find((d) => d.name === 'maxLength')!.args[0]!, one.ctx));
    const single = maxOf(main.params.get('watchedContainers')!.decorators);
    const tenantType = main.types.get('tenantSpec')!.type;
    const perTenant = maxOf(tenantType.kind === 'object' ? tenantType.properties.find((p) => p.name === 'containers')!.decorators : []);
    for (const max of [single, perTenant]) expect(EVENT_GRID_APIS.length + max).toBeLessThanOrEqual(25);
  });

  it.each(DEPLOYMENTS)(
    'item 11: no AzureFunction subscription in the template; the subscriptions are webhook bodies to storageEvents, with retries and dead-lettering as before ($label)',
    (d) => {
      // No subscription resource (Event Grid would validate an endpoint whose key does not exist yet),
      // and no AzureFunction endpoint anywhere: Microsoft's Flex Consumption samples subscribe after
      // deploying the code, with a webhook and the extension's system key.
      expect(resourcesOfType(main, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')).toEqual([]);
      for (const path of bicepPaths) expect(read(path), path).not.toMatch(/AzureFunction|deployEventSubscription/);
      expect(main.params.has('deployEventSubscription')).toBe(false);
      const watches = subscriptions(d);
      expect(watches.length).toBeGreaterThan(0);
      for (const { properties } of watches) {
        expect(properties.eventDeliverySchema).toBe('EventGridSchema');
        // The endpoint URL (with the key) is added by the script: never an output.
        expect(properties.destination).toEqual({
          endpointType: 'WebHook',
          properties: { maxEventsPerBatch: 1, preferredBatchSizeInKilobytes: 64 },
        });
        expect(properties.retryPolicy).toEqual({
          maxDeliveryAttempts: d.parameters.eventMaxDeliveryAttempts ?? 30,
          eventTimeToLiveInMinutes: d.parameters.eventTimeToLiveMinutes ?? 1440,
        });
        expect(properties.deadLetterWithResourceIdentity).toEqual({
          identity: { type: 'SystemAssigned' },
          deadLetterDestination: {
            endpointType: 'StorageBlob',
            properties: {
              resourceId: '<Microsoft.Storage/storageAccounts/contosodispatchhost>',
              blobContainerName: 'eventgrid-deadletter',
            },
          },
        });
        expect(Object.keys(properties).sort()).toEqual([
          'deadLetterWithResourceIdentity',
          'destination',
          'eventDeliverySchema',
          'filter',
          'retryPolicy',
        ]);
      }
      // The webhook's parts: the function (an Event Grid trigger, so the eventgrid_extension key), the
      // app's host name as Azure reports it, the topic the script PUTs on.
      const out = (name: string) => evaluate(main.outputs.get(name)!.value, d.ctx);
      expect(out('storageEventsFunctionName')).toBe('storageEvents');
      expect(registeredFunctions.get('storageEvents')).toBe('eventGrid');
      expect(out('functionAppHostName')).toEqual(new RuntimeValue('functionApp.properties.defaultHostName'));
      expect(out('eventGridSystemTopicId')).toBe(`<Microsoft.EventGrid/systemTopics/${String(d.parameters.adlsAccountName)}-events>`);
      expect(render(at(single(main, 'Microsoft.EventGrid/systemTopics').body, 'properties', 'source')!)).toBe('adls.id');
      // The topic's identity may write the dead letters (the host account refuses shared keys).
      expect(
        allGrants(d)
          .filter((g) => g.principal === 'storageEventsTopic.identity.principalId')
          .map((g) => [g.role, g.scope]),
      ).toEqual([
        ['Storage Blob Data Contributor', 'storageAccounts/contosodispatchhost/blobServices/default/containers/eventgrid-deadletter'],
      ]);
    },
  );
});

describe('infra/azure: Service Bus', () => {
  const queue = resource(main, 'jobQueues');

  it("(f) the queues' maxDeliveryCount is the one the settings get, and the schema default", () => {
    for (const d of DEPLOYMENTS) {
      const queueCount = evaluate(at(queue.body, 'properties', 'maxDeliveryCount')!, d.ctx);
      expect(queueCount).toBe(Number(d.settingValue('SPARK_DISPATCH__serviceBus__maxDeliveryCount')));
      expect(queueCount).toBe(functionsSettings(d.appEnv).serviceBus.maxDeliveryCount);
    }
    // With no parameter given, both take the template default, which is the settings default.
    const defaults = { file: main, parameters: {} };
    expect(evaluate(at(queue.body, 'properties', 'maxDeliveryCount')!, defaults)).toBe(ServiceBusSettingsSchema.parse({}).maxDeliveryCount);
    expect(render(at(queue.body, 'properties', 'maxDeliveryCount')!)).toBe('maxDeliveryCount');
    expect(appSettingsExprFor('SPARK_DISPATCH__serviceBus__maxDeliveryCount')).toBe('string(maxDeliveryCount)');
  });

  it('the queues, topic and subscriptions have the settings the dispatcher relies on', () => {
    const properties = (d: Deployment) => instancesOf(queue, d.ctx).map((locals) => evaluate(at(queue.body, 'properties')!, d.ctx, locals));
    const [theQueue] = properties(one);
    expect(theQueue).toMatchObject({
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: 'PT10M',
      deadLetteringOnMessageExpiration: true,
      lockDuration: 'PT5M',
    });
    // Each tenant's queue is the same kind of queue.
    expect(properties(two)).toEqual(exampleTenants.map(() => theQueue));
    expect(evaluate(at(resource(main, 'eventsTopic').body, 'properties')!, one.ctx)).toMatchObject({ requiresDuplicateDetection: true });
    for (const d of DEPLOYMENTS)
      expect(evaluate(at(resource(main, 'eventsTopic').body, 'name')!, d.ctx)).toBe(
        d.settingValue('SPARK_DISPATCH__serviceBus__eventsTopic'),
      );
    expect(evaluate(at(resource(main, 'eventsAll').body, 'name')!, one.ctx)).toBe('all');
    expect(evaluate(at(single(main, 'Microsoft.ServiceBus/namespaces').body, 'sku', 'name')!, one.ctx)).toBe('Standard');
  });

  it("(g) one team: the one queue is the one trigger's, SPARK_DISPATCH_JOB_QUEUE", () => {
    expect(instanceNames(main, 'jobQueues', one.ctx)).toEqual([one.settingValue('SPARK_DISPATCH_JOB_QUEUE')]);
    expect(one.settingValue('SPARK_DISPATCH_JOB_QUEUES')).toBe('');
    // functions/jobMessages.ts: no tenant queues, so the one trigger on %SPARK_DISPATCH_JOB_QUEUE%.
    expect(tenantQueues(one.appEnv)).toEqual([]);
    expect(read('functions/jobMessages.ts')).toContain("queueName: '%SPARK_DISPATCH_JOB_QUEUE%'");
    const settings = functionsSettings(one.appEnv);
    expect(settings.tenants.default!.queue).toBe(example.jobQueueName);
    expect(instanceNames(main, 'tenantEvents', one.ctx)).toEqual([]);
  });

  it("(g) tenants: the triggers the Function registers are the queues the template creates, each its tenant's", () => {
    const queues = instanceNames(main, 'jobQueues', two.ctx) as string[];
    // functions/jobMessages.ts registers one trigger per queue of SPARK_DISPATCH_JOB_QUEUES.
    expect(tenantQueues(two.appEnv)).toEqual(queues);
    const settings = functionsSettings(two.appEnv);
    expect(
      Object.values(settings.tenants)
        .map((t) => t.queue)
        .sort(),
    ).toEqual([...queues].sort());
    for (const t of exampleTenants) {
      const q = t.queueName ?? `${String(tenantsExample.jobQueueName)}-${t.name}`;
      expect(tenantOfQueue(settings, q)?.id, q).toBe(t.name);
    }
    // No queue named SPARK_DISPATCH_JOB_QUEUE: nobody would receive from it.
    expect(queues).not.toContain(two.settingValue('SPARK_DISPATCH_JOB_QUEUE'));
  });

  it("(g) tenants: each tenant's events subscription keeps its tenant's events only, by the property the dispatcher sets", async () => {
    expect(instanceNames(main, 'tenantEvents', two.ctx)).toEqual(exampleTenants.map((t) => `tenant-${t.name}`));
    const rule = resource(main, 'tenantEventsFilter');
    const rules = instancesOf(rule, two.ctx).map((locals) => ({
      name: evaluate(at(rule.body, 'name')!, two.ctx, locals),
      subscription: resolveResource(at(rule.body, 'parent')!, main, two.ctx, locals).path,
      properties: evaluate(at(rule.body, 'properties')!, two.ctx, locals) as { filterType: string; sqlFilter: { sqlExpression: string } },
    }));
    // The rule replaces the subscription's $Default (a TrueFilter): another rule beside it would filter nothing.
    expect(rules.map((r) => r.name)).toEqual(exampleTenants.map(() => '$Default'));
    expect(rules.map((r) => r.subscription)).toEqual(exampleTenants.map((t) => eventsPath(`tenant-${t.name}`)));
    expect(rules.map((r) => r.properties)).toEqual(
      exampleTenants.map((t) => ({ filterType: 'SqlFilter', sqlFilter: { sqlExpression: `tenant = '${t.name}'` } })),
    );

    // The property the filter reads is the one serviceBusEvents sets on each event.
    const sent: { applicationProperties?: Record<string, unknown> }[] = [];
    const client = {
      createSender: () => ({
        sendMessages: async (m: { applicationProperties?: Record<string, unknown> }) => void sent.push(m),
        close: async () => {},
      }),
    };
    const events = serviceBusEvents(client as never, 'spark-dispatch-events');
    for (const t of exampleTenants)
      await events.publish({ type: 'launched', jobKey: `${t.name}/nightly`, tenant: t.name, at: '2025-01-01T00:00:00Z' });
    const matches = (sql: string, props: Record<string, unknown> = {}) => {
      const m = /^(\w+) = '([^']*)'$/.exec(sql);
      if (!m) throw new Error(`not a filter this test reads: ${sql}`);
      return props[m[1]!] === m[2];
    };
    rules.forEach((r, i) => {
      expect(sent.map((m) => matches(r.properties.sqlFilter.sqlExpression, m.applicationProperties))).toEqual(
        exampleTenants.map((_, j) => j === i),
      );
    });
  });
});

describe('infra/azure: Flex Consumption function app', () => {
  it('runs on FC1, Node 22, with a system-assigned identity and identity-based deployment storage', () => {
    const ctx = one.ctx;
    const plan = single(main, 'Microsoft.Web/serverfarms');
    expect(evaluate(at(plan.body, 'sku')!, ctx)).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(evaluate(at(functionApp.body, 'kind')!, ctx)).toBe('functionapp,linux');
    expect(evaluate(at(functionApp.body, 'identity')!, ctx)).toEqual({ type: 'SystemAssigned' });
    const config = at(functionApp.body, 'properties', 'functionAppConfig');
    expect(evaluate(at(config, 'runtime')!, ctx)).toEqual({ name: 'node', version: NODE_DEPLOYED });
    expect(evaluate(at(config, 'deployment', 'storage', 'authentication')!, ctx)).toEqual({ type: 'SystemAssignedIdentity' });
    expect(evaluate(at(config, 'deployment', 'storage', 'type')!, ctx)).toBe('blobContainer');
  });

  it('item 10: Node 20 is end-of-life: Azure, the deploy build and CI run Node 22; engines still admits the 20.19 floor, whose types the code is checked against', () => {
    const config = at(functionApp.body, 'properties', 'functionAppConfig');
    expect(evaluate(at(config, 'runtime', 'version')!, one.ctx)).toBe('22');
    // What deploys is built with the runtime's major, and the smoke check expects it.
    expect(setupNode(deploy)).toEqual([22]);
    expect(read('.github/workflows/deploy.yml')).toContain('test "$runtime" = "node 22"');
    // CI runs the deployed major, and the floor of engines.
    expect(setupNode(ci)).toEqual([22, 20]);
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, `engines.node "${pkg.engines.node}" is a floor`).not.toBeNull();
    const [major, minor] = [Number(floor![1]), Number(floor![2])];
    // engines admits both: 22 (deployed) and 20.19 (the project's machines), nothing older.
    expect([major, minor]).toEqual([20, 19]);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(major);
    // @types/node follows the floor, not the deployed major: code that typechecks uses no API
    // Node 20.19 lacks (it would pass on 22 in Azure and fail on the machines engines allows).
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it('sets none of the app settings Flex Consumption refuses', () => {
    for (const name of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_NODE_DEFAULT_VERSION',
    ]) {
      expect(declaredSettingNames.has(name), name).toBe(false);
    }
  });

  it('outputs what the deployment workflow and operators need', () => {
    expect([...main.outputs.keys()]).toEqual(
      expect.arrayContaining([
        'functionAppName',
        'functionAppPrincipalId',
        'adlsAccountName',
        'hostStorageAccountName',
        'serviceBusNamespaceName',
        'eventGridSystemTopicName',
        'jobQueueNames',
      ]),
    );
    expect(evaluate(main.outputs.get('jobQueueNames')!.value, two.ctx)).toEqual(tenantQueues(two.appEnv));
  });

  it('uses current API versions', () => {
    for (const path of bicepPaths) {
      const file = path === MAIN_PATH ? main : parseBicep(read(path));
      for (const r of file.resources)
        expect(Number(r.apiVersion.slice(0, 4)), `${path}: ${r.symbol} @${r.apiVersion}`).toBeGreaterThanOrEqual(
          r.type.startsWith('Microsoft.Insights/components') ? 2020 : 2022,
        );
    }
  });
});

describe('infra/azure: parameters examples', () => {
  it('one team: gives every parameter, and only parameters the template has', () => {
    expect(Object.keys(example).sort()).toEqual([...main.params.keys()].sort());
    expect(example.tenants).toEqual([]);
  });

  it('tenants: gives only parameters the template has, every one without a default, and leaves out the single-team ones', () => {
    for (const name of Object.keys(tenantsExample)) expect(main.params.has(name), name).toBe(true);
    for (const [name, param] of main.params) if (!param.default) expect(tenantsExample, name).toHaveProperty(name);
    for (const name of ['watchedContainers', 'stagingContainerName']) expect(tenantsExample, name).not.toHaveProperty(name);
  });

  it.each(EXAMPLE_PATHS)("respects the template's types, allowed values and bounds (%s)", (path) => {
    const parameters = loadExample(path);
    for (const [name, param] of main.params) {
      if (!(name in parameters)) continue;
      const value = parameters[name];
      for (const d of param.decorators) {
        const arg = d.args[0] ? evaluate(d.args[0], { file: main, parameters }) : undefined;
        if (d.name === 'allowed') expect(arg as Value[], name).toContain(value);
        if (d.name === 'minValue') expect(value as number, name).toBeGreaterThanOrEqual(arg as number);
        if (d.name === 'maxValue') expect(value as number, name).toBeLessThanOrEqual(arg as number);
        if (d.name === 'minLength') expect((value as string | unknown[]).length, name).toBeGreaterThanOrEqual(arg as number);
        if (d.name === 'maxLength') expect((value as string | unknown[]).length, name).toBeLessThanOrEqual(arg as number);
      }
      expect(typeProblems(value, param.typeExpr, main, name), name).toEqual([]);
    }
  });
});

describe('GitHub workflows', () => {
  it('ci: on push and pull requests, Node 22 and 20 with the npm cache, install, typecheck, test, build', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const node = steps(ci).find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(node?.with).toMatchObject({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
    expect(setupNode(ci)).toEqual([22, 20]);
    expect(steps(ci).some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(true);
    expect(runs(ci).map((r) => r.trim())).toEqual(['npm ci', 'npm run typecheck', 'npm test', 'npm run build']);
  });

  it('deploy: manual or tags, OIDC only, template, code, event subscriptions, smoke check', () => {
    expect(Object.keys(deploy.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(deploy.on.push).toHaveProperty('tags');
    expect(deploy.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const login = steps(deploy).find((s) => s.uses?.startsWith('azure/login@'));
    expect(Object.keys(login?.with ?? {}).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    const text = read('.github/workflows/deploy.yml');
    expect([...new Set([...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]))].sort()).toEqual([
      'AZURE_CLIENT_ID',
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_TENANT_ID',
    ]);
    const all = runs(deploy).join('\n');
    expect(all).toMatch(/az deployment group create[\s\S]*--template-file infra\/azure\/main\.bicep/);
    expect(all).toMatch(/--parameters "@\$PARAMETERS_FILE"/);
    // The app alone (tsconfig.app.json), its production dependencies installed apart, zipped.
    expect(all).toMatch(
      /npm ci\s+npm run build:app -- --outDir artifact\/dist\s+cp host\.json package\.json package-lock\.json artifact\/\s+\(cd artifact && npm ci --omit=dev --ignore-scripts[^)]*\)\s+\(cd artifact && zip -qr \.\.\/app\.zip dist host\.json package\.json node_modules\)/,
    );
    const functionsAction = steps(deploy).find((s) => s.uses?.toLowerCase().startsWith('azure/functions-action@'));
    expect(functionsAction?.with).toMatchObject({ sku: 'flexconsumption', package: 'app.zip' });
    // The smoke check looks for every function the code registers.
    expect(all).toMatch(/az functionapp function list/);
    for (const name of registeredFunctions.keys()) expect(all).toContain(name);
  });

  it("item 11: deploy creates the Event Grid subscriptions after the code is indexed, with the script, from the infrastructure's outputs", () => {
    const all = steps(deploy);
    const index = (what: string, found: (s: Step) => boolean) => {
      const i = all.findIndex(found);
      expect(i, what).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      index('infrastructure', (s) => /az deployment group create/.test(s.run ?? '')),
      index('code', (s) => s.uses?.toLowerCase().startsWith('azure/functions-action@') ?? false),
      index('functions indexed', (s) => /az functionapp function list/.test(s.run ?? '')),
      index('event subscriptions', (s) => (s.run ?? '').includes('infra/azure/storage-events.sh')),
      index('smoke check', (s) => /az eventgrid system-topic event-subscription show/.test(s.run ?? '')),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // One template deployment, which writes the outputs the script reads.
    expect(
      runs(deploy)
        .join('\n')
        .match(/az deployment group create/g),
    ).toHaveLength(1);
    expect(all[order[0]!]!.run).toMatch(/--query properties\.outputs --output json > outputs\.json/);
    expect(all[order[3]!]!.run!.trim()).toBe('infra/azure/storage-events.sh --resource-group "$RESOURCE_GROUP" --outputs outputs.json');
    expect(read('.github/workflows/deploy.yml')).not.toContain('deployEventSubscription');
    // The smoke check reads every subscription of the outputs and wants a validated webhook.
    expect(all[order[4]!]!.run).toContain("jq -r '.storageEventSubscriptions.value[].name' outputs.json");
    expect(all[order[4]!]!.run).toContain('test "$state" = "Succeeded WebHook"');
    // The script is executable as the workflow calls it.
    expect(statSync(join(ROOT, 'infra/azure/storage-events.sh')).mode & 0o111).not.toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

function listFiles(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listFiles(path, ext);
    return e.name.endsWith(ext) ? [path] : [];
  });
}

function single(file: BicepFile, type: string) {
  const found = resourcesOfType(file, type).filter((r) => !r.existing);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

function mainVar(name: string): Expr {
  const v = main.vars.get(name);
  if (!v) throw new Error(`no var ${name} in ${MAIN_PATH}`);
  return v;
}

function appSettingsExprFor(name: string): string | undefined {
  const value = declaredSettings.find((s) => s.name === name)?.value;
  return value ? render(value) : undefined;
}

/** Whether the zod schema has a field at `path` (through defaults, optionals, records, unions). */
function acceptsPath(schema: unknown, path: readonly string[]): boolean {
  const def = (schema as { _zod: { def: { type: string } & Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return acceptsPath(def.innerType, path);
    case 'pipe':
      return acceptsPath(def.in, path);
  }
  if (path.length === 0) return true;
  const [head, ...rest] = path;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      return Object.hasOwn(shape, head!) && acceptsPath(shape[head!], rest);
    }
    case 'record':
      return acceptsPath(def.valueType, rest);
    case 'union':
      return (def.options as unknown[]).some((option) => acceptsPath(option, path));
    default:
      return false;
  }
}
