/**
 * The Azure templates (infra/azure) against the code, without a Bicep compiler: the templates are
 * parsed by test/support/bicep.ts and evaluated with the example parameters.
 *
 * (a) every app setting the code reads is set by the template (the list comes from the code);
 * (b) the settings the template passes (SPARK_DISPATCH_SETTINGS + SPARK_DISPATCH__a__b) name real
 *     settings paths and start the Functions' settings without a problem;
 * (c) no secrets: no keys or connection strings anywhere, shared keys and local auth disabled;
 * (d) only the expected built-in roles, each on the expected scope and principal;
 * (e) the Event Grid filter passes exactly the storage APIs the code acts on;
 * (f) the queue's maxDeliveryCount is the one the settings get;
 * and the Flex Consumption specifics, the parameters example, and the two workflows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONTENT_APIS } from '../../src/domain/intake/storageEvent.js';
import { functionsSettings } from '../../src/runtime/functionsRuntime.js';
import { ServiceBusSettingsSchema, SettingsSchema } from '../../src/settings/settingsSchema.js';
import { at, evaluate, parseBicep, render, resource, resourcesOfType, RuntimeValue, type BicepFile, type Expr, type Value } from '../support/bicep.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const MAIN_PATH = 'infra/azure/main.bicep';
const main = parseBicep(read(MAIN_PATH));
const bicepPaths = listFiles(join(ROOT, 'infra/azure'), '.bicep').map((p) => relative(ROOT, p));
const modules = new Map(main.modules.map((m) => [m.symbol, parseBicep(read(join('infra/azure', m.path)))]));

const exampleFile = JSON.parse(read('infra/azure/main.parameters.example.json')) as { parameters: Record<string, { value: unknown }> };
const example: Record<string, unknown> = Object.fromEntries(Object.entries(exampleFile.parameters).map(([k, v]) => [k, v.value]));
const ctx = { file: main, parameters: example };

// ---------------------------------------------------------------------------------------------
// What the template sets
// ---------------------------------------------------------------------------------------------

const functionApp = single(main, 'Microsoft.Web/sites');
const appSettingsExpr = at(functionApp.body, 'properties', 'siteConfig', 'appSettings');
const appSettings: { name: string; value: Value }[] = (() => {
  if (appSettingsExpr?.kind !== 'array') throw new Error('siteConfig.appSettings must be a literal array of { name, value } entries');
  return appSettingsExpr.items.map((item) => {
    const name = at(item, 'name');
    const value = at(item, 'value');
    if (name?.kind !== 'string' || name.parts.length !== 1 || typeof name.parts[0] !== 'string' || !value) {
      throw new Error(`app setting entries need a literal name and a value: ${render(item)}`);
    }
    return { name: name.parts[0], value: evaluate(value, ctx) };
  });
})();
const settingNames = new Set(appSettings.map((s) => s.name));
const settingValue = (name: string) => appSettings.find((s) => s.name === name)?.value;

/** The app settings as the Functions host hands them to the code (runtime-only values left out). */
const appEnv: Record<string, string> = Object.fromEntries(
  appSettings.filter((s): s is { name: string; value: string } => typeof s.value === 'string').map((s) => [s.name, s.value]),
);

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

/** Functions registered with app.<trigger>('name', …) in functions/. */
const registeredFunctions = new Map(
  listFiles(join(ROOT, 'functions'), '.ts').flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bapp\.(\w+)\(\s*'([^']+)'/g)].map((m) => [m[2]!, m[1]!] as const),
  ),
);

// ---------------------------------------------------------------------------------------------

describe('infra/azure: app settings the code reads', () => {
  it('finds the reads it must find (the scan itself works)', () => {
    expect([...reads.env.keys()]).toEqual(
      expect.arrayContaining(['SPARK_DISPATCH_JOB_QUEUE', 'SPARK_DISPATCH__sweeper__schedule', 'SPARK_DISPATCH_SETTINGS', 'ServiceBusConnection']),
    );
    expect([...reads.connections.keys()]).toContain('ServiceBusConnection');
    expect([...registeredFunctions.keys()].sort()).toEqual(['jobMessages', 'storageEvents', 'sweeper']);
  });

  it('(a) sets every app setting the code reads, connections identity-based', () => {
    const missing: string[] = [];
    for (const [name, where] of reads.env) {
      if (name in NOT_APP_SETTINGS) continue;
      const base = name.replace(/__fullyQualifiedNamespace$/, '');
      if (reads.connections.has(base)) {
        // A connection: satisfied by <name>__fullyQualifiedNamespace (managed identity), never by
        // <name> itself, which would be a connection string with a key.
        if (!settingNames.has(`${base}__fullyQualifiedNamespace`)) missing.push(`${base}__fullyQualifiedNamespace (connection read in ${where.join(', ')})`);
        continue;
      }
      if (!settingNames.has(name)) missing.push(`${name} (read in ${where.join(', ')})`);
    }
    for (const [name, where] of reads.connections) {
      if (!settingNames.has(`${name}__fullyQualifiedNamespace`)) missing.push(`${name}__fullyQualifiedNamespace (connection of ${where.join(', ')})`);
      expect(settingNames.has(name), `${name} would be a connection string`).toBe(false);
    }
    expect(missing).toEqual([]);
  });

  it('keeps the list of variables that are not app settings honest: each is still read', () => {
    for (const name of Object.keys(NOT_APP_SETTINGS)) expect(reads.env.has(name), name).toBe(true);
    for (const name of Object.keys(NOT_APP_SETTINGS)) expect(settingNames.has(name), name).toBe(false);
  });

  it('gives the Functions host identity-based storage and Entra ID telemetry', () => {
    expect(settingValue('AzureWebJobsStorage__accountName')).toBe(example.hostStorageAccountName);
    expect(settingValue('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(settingNames.has('AzureWebJobsStorage')).toBe(false);
    expect(settingValue('APPLICATIONINSIGHTS_CONNECTION_STRING')).toEqual(new RuntimeValue('appInsights.properties.ConnectionString'));
    expect(settingValue('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe('Authorization=AAD');
  });

  it('names each app setting once', () => {
    expect(appSettings.length).toBe(settingNames.size);
  });
});

describe('infra/azure: settings passed to the code', () => {
  it('(b) every SPARK_DISPATCH__a__b app setting names a path of the settings schema', () => {
    const paths = [...settingNames].filter((n) => n.startsWith('SPARK_DISPATCH__')).map((n) => n.slice('SPARK_DISPATCH__'.length).split('__'));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(acceptsPath(SettingsSchema, path), path.join('.')).toBe(true);
    // The walk does refuse what is not there.
    expect(acceptsPath(SettingsSchema, ['serviceBus', 'maxDeliveryCounts'])).toBe(false);
    expect(acceptsPath(SettingsSchema, ['sweeper', 'schedule', 'x'])).toBe(false);
  });

  it('(b) the example settings plus the template\'s app settings start the Functions\' settings', () => {
    expect(typeof appEnv.SPARK_DISPATCH_SETTINGS).toBe('string');
    for (const name of Object.keys(appEnv).filter((n) => n.startsWith('SPARK_DISPATCH'))) expect(typeof settingValue(name), name).toBe('string');
    // functionsSettings is what the Functions run at start-up: it throws with every problem listed.
    const settings = functionsSettings(appEnv);
    expect(settings.ledger).toMatchObject({ account: example.adlsAccountName, container: example.ledgerContainerName });
    expect(settings.serviceBus).toMatchObject({
      fullyQualifiedNamespace: `${String(example.serviceBusNamespaceName)}.servicebus.windows.net`,
      jobQueue: example.jobQueueName,
      eventsTopic: example.eventsTopicName,
      maxDeliveryCount: example.maxDeliveryCount,
    });
    expect(settings.serviceBus.connectionString).toBeUndefined();
    expect(settings.sweeper.schedule).toBe(example.sweeperSchedule);
    expect(settings.tenants.default!.intake.staging).toMatchObject({ account: example.adlsAccountName, filesystem: example.stagingContainerName });
    expect(settings.kubernetes.auth.mode).toBe('aks-entra');
  });

  it('the example settings watch what the template watches, and grant what they launch in', () => {
    const settings = functionsSettings(appEnv);
    const lake = String(example.adlsAccountName);
    const watched = example.watchedContainers as string[];
    // Filesystems the intake reacts to are watched by the Event Grid subscription...
    const { intake, storage, namespaces } = settings.tenants.default!;
    const used = [...intake.scriptUploads.map((u) => [u.account, u.filesystem]), ...intake.rules.map((r) => [r.account ?? lake, r.filesystem])];
    for (const [account, filesystem] of used) {
      expect(account).toBe(lake);
      expect(watched).toContain(filesystem);
    }
    // ...and allowed as script sources on the lake the template creates.
    expect(storage[lake]?.filesystems).toEqual(expect.arrayContaining(watched));
    // The AKS namespace grant covers the namespaces the settings allow.
    expect([...(example.aksNamespaces as string[])].sort()).toEqual(Object.keys(namespaces).sort());
    // The containers the template creates include the ledger and staging.
    const containers = evaluate(mainVar('adlsContainers'), ctx) as string[];
    expect(containers).toEqual(expect.arrayContaining([...watched, settings.ledger.container, intake.staging!.filesystem]));
  });
});

describe('infra/azure: no secrets', () => {
  const texts: [string, string][] = [
    ...bicepPaths.map((p): [string, string] => [p, read(p)]),
    ['infra/azure/main.parameters.example.json', read('infra/azure/main.parameters.example.json')],
    ['.github/workflows/deploy.yml', read('.github/workflows/deploy.yml')],
    ['.github/workflows/ci.yml', read('.github/workflows/ci.yml')],
  ];

  it('(c) has no keys, SAS or connection strings with secrets, and lists none', () => {
    for (const [path, text] of texts) {
      for (const re of [/AccountKey=/i, /SharedAccessKey(Name)?=/i, /SharedAccessSignature/i, /\blistKeys\s*\(/i, /\blist[A-Za-z]*(Keys|Secrets|ConnectionStrings)\s*\(/i, /DefaultEndpointsProtocol=/i, /publish-?profile/i, /client-secret/i]) {
        expect(re.test(text), `${path} matches ${re}`).toBe(false);
      }
    }
  });

  it('(c) storage refuses shared keys and public blobs; Service Bus and App Insights refuse local auth', () => {
    const accounts = resourcesOfType(main, 'Microsoft.Storage/storageAccounts');
    expect(accounts.map((a) => a.symbol).sort()).toEqual(['adls', 'hostStorage']);
    for (const account of accounts) {
      const props = evaluate(at(account.body, 'properties')!, ctx) as Record<string, Value>;
      expect(props, account.symbol).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true });
    }
    expect(evaluate(at(resource(main, 'adls').body, 'properties', 'isHnsEnabled')!, ctx)).toBe(true);
    expect(evaluate(at(single(main, 'Microsoft.ServiceBus/namespaces').body, 'properties', 'disableLocalAuth')!, ctx)).toBe(true);
    expect(evaluate(at(single(main, 'Microsoft.Insights/components').body, 'properties', 'DisableLocalAuth')!, ctx)).toBe(true);
    for (const container of resourcesOfType(main, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      expect(evaluate(at(container.body, 'properties', 'publicAccess')!, ctx), container.symbol).toBe('None');
    }
  });

  it('(c) the example settings carry no credentials', () => {
    const json = JSON.stringify(example.sparkDispatchSettings);
    expect(json).not.toMatch(/connectionString|"token"|tokenFile|password|secret/i);
    for (const { name, value } of appSettings) {
      if (typeof value === 'string') expect(value, name).not.toMatch(/AccountKey|SharedAccessKey|Password=|sig=/i);
    }
  });
});

describe('infra/azure: role assignments', () => {
  const BUILT_IN_ROLES: Record<string, string> = {
    'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
    'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
    '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
    '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
    '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
    'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb': 'Azure Kubernetes Service RBAC Writer',
  };
  const FUNCTION = 'functionApp.identity.principalId';

  function assignments(file: BicepFile, parameters: Record<string, unknown>) {
    return resourcesOfType(file, 'Microsoft.Authorization/roleAssignments').map((r) => {
      const id = evaluate(at(r.body, 'properties', 'roleDefinitionId')!, { file, parameters });
      const guid = typeof id === 'string' ? /\/roleDefinitions\/([0-9a-f-]{36})$/.exec(id)?.[1] : undefined;
      return {
        role: (guid && BUILT_IN_ROLES[guid]) ?? `unexpected role ${String(id)}`,
        scope: render(at(r.body, 'scope')!),
        principal: render(at(r.body, 'properties', 'principalId')!),
        principalType: evaluate(at(r.body, 'properties', 'principalType')!, { file, parameters }),
      };
    });
  }
  const byRoleScope = (a: { role: string; scope: string }, b: { role: string; scope: string }) => `${a.role} ${a.scope}`.localeCompare(`${b.role} ${b.scope}`);

  it('(d) uses only built-in role ids from the allowlist', () => {
    for (const path of bicepPaths) {
      for (const m of read(path).matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) {
        expect(Object.keys(BUILT_IN_ROLES), `${path}: ${m[0]}`).toContain(m[0].toLowerCase());
      }
    }
  });

  it('(d) grants the Function exactly these roles, on these scopes', () => {
    expect(assignments(main, example).sort(byRoleScope)).toEqual(
      [
        { role: 'Storage Blob Data Owner', scope: 'hostStorage', principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Storage Blob Data Contributor', scope: 'adls', principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Azure Service Bus Data Receiver', scope: 'jobQueue', principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Azure Service Bus Data Sender', scope: 'jobQueue', principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Azure Service Bus Data Sender', scope: 'eventsTopic', principal: FUNCTION, principalType: 'ServicePrincipal' },
        { role: 'Monitoring Metrics Publisher', scope: 'appInsights', principal: FUNCTION, principalType: 'ServicePrincipal' },
        // Not the Function: the Event Grid system topic writes undeliverable events, to that container only.
        { role: 'Storage Blob Data Contributor', scope: 'deadLetterContainer', principal: 'storageEventsTopic.identity.principalId', principalType: 'ServicePrincipal' },
      ].sort(byRoleScope),
    );
    // The scopes are what their names say.
    expect(resource(main, 'jobQueue').type).toBe('Microsoft.ServiceBus/namespaces/queues');
    expect(resource(main, 'eventsTopic').type).toBe('Microsoft.ServiceBus/namespaces/topics');
    expect(resource(main, 'deadLetterContainer').type).toBe('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(render(at(resource(main, 'deadLetterContainer').body, 'parent')!)).toBe('hostBlobService');
  });

  it('(d) on AKS, grants RBAC Writer per team namespace, never cluster-wide', () => {
    const [module] = main.modules;
    expect(main.modules).toHaveLength(1);
    const file = modules.get(module!.symbol)!;
    expect(module!.value.kind).toBe('if');
    expect(render(at(module!.body, 'params', 'principalId')!)).toBe(FUNCTION);
    expect(assignments(file, {})).toEqual([{ role: 'Azure Kubernetes Service RBAC Writer', scope: 'teamNamespace[i]', principal: 'principalId', principalType: 'ServicePrincipal' }]);
    const ns = resource(file, 'teamNamespace');
    expect(ns.type).toBe('Microsoft.ContainerService/managedClusters/namespaces');
    expect(ns.existing).toBe(true);
    expect(render(at(ns.body, 'parent')!)).toBe('aks');
  });
});

describe('infra/azure: Event Grid', () => {
  const subscription = single(main, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  const props = (...path: string[]) => evaluate(at(subscription.body, 'properties', ...path)!, ctx);

  it('(e) passes exactly the APIs the code acts on, plus RenameFile for BlobRenamed', () => {
    const expected = [...CONTENT_APIS, 'RenameFile'].sort();
    expect((evaluate(mainVar('storageEventApis'), ctx) as string[]).slice().sort()).toEqual(expected);
    const filters = props('filter', 'advancedFilters') as { operatorType: string; key: string; values: string[] }[];
    const api = filters.filter((f) => f.key === 'data.api');
    expect(api).toHaveLength(1);
    expect(api[0]!.operatorType).toBe('StringIn');
    expect(api[0]!.values.slice().sort()).toEqual(expected);
    expect(props('filter', 'includedEventTypes')).toEqual(['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobRenamed']);
  });

  it('(e) watches each watched container by subject prefix, within Event Grid\'s 25 filter values', () => {
    const filters = props('filter', 'advancedFilters') as { operatorType: string; key: string; values: string[] }[];
    const subject = filters.find((f) => f.key === 'subject');
    expect(subject?.operatorType).toBe('StringBeginsWith');
    expect(subject?.values).toEqual((example.watchedContainers as string[]).map((c) => `/blobServices/default/containers/${c}/`));
    const maxContainers = main.params.get('watchedContainers')!.decorators.find((d) => d.name === 'maxLength')!.args[0]!;
    expect(CONTENT_APIS.length + 1 + Number(evaluate(maxContainers, ctx))).toBeLessThanOrEqual(25);
  });

  it('delivers Event Grid schema events to the storageEvents function, with retries and dead-lettering', () => {
    expect(props('eventDeliverySchema')).toBe('EventGridSchema');
    expect(props('destination', 'endpointType')).toBe('AzureFunction');
    expect(render(at(subscription.body, 'properties', 'destination', 'properties', 'resourceId')!)).toBe("'${functionApp.id}/functions/storageEvents'");
    expect(registeredFunctions.get('storageEvents')).toBe('eventGrid');
    expect(props('retryPolicy')).toEqual({ maxDeliveryAttempts: example.eventMaxDeliveryAttempts, eventTimeToLiveInMinutes: example.eventTimeToLiveMinutes });
    expect(props('deadLetterWithResourceIdentity', 'identity')).toEqual({ type: 'SystemAssigned' });
    expect(render(at(subscription.body, 'properties', 'deadLetterWithResourceIdentity', 'deadLetterDestination', 'properties', 'resourceId')!)).toBe('hostStorage.id');
    expect(subscription.value.kind).toBe('if');
    expect(render(at(single(main, 'Microsoft.EventGrid/systemTopics').body, 'properties', 'source')!)).toBe('adls.id');
  });
});

describe('infra/azure: Service Bus', () => {
  it('(f) the queue\'s maxDeliveryCount is the one the settings get, and the schema default', () => {
    const queue = resource(main, 'jobQueue');
    const queueCount = evaluate(at(queue.body, 'properties', 'maxDeliveryCount')!, ctx);
    expect(queueCount).toBe(Number(settingValue('SPARK_DISPATCH__serviceBus__maxDeliveryCount')));
    expect(queueCount).toBe(functionsSettings(appEnv).serviceBus.maxDeliveryCount);
    // With no parameter given, both take the template default, which is the settings default.
    const defaults = { file: main, parameters: {} };
    expect(evaluate(at(queue.body, 'properties', 'maxDeliveryCount')!, defaults)).toBe(ServiceBusSettingsSchema.parse({}).maxDeliveryCount);
    expect(render(at(queue.body, 'properties', 'maxDeliveryCount')!)).toBe('maxDeliveryCount');
    expect(appSettingsExprFor('SPARK_DISPATCH__serviceBus__maxDeliveryCount')).toBe('string(maxDeliveryCount)');
  });

  it('the queue, topic and subscription have the settings the dispatcher relies on', () => {
    expect(evaluate(at(resource(main, 'jobQueue').body, 'properties')!, ctx)).toMatchObject({
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: 'PT10M',
      deadLetteringOnMessageExpiration: true,
      lockDuration: 'PT5M',
    });
    expect(evaluate(at(resource(main, 'jobQueue').body, 'name')!, ctx)).toBe(settingValue('SPARK_DISPATCH_JOB_QUEUE'));
    expect(evaluate(at(resource(main, 'eventsTopic').body, 'properties')!, ctx)).toMatchObject({ requiresDuplicateDetection: true });
    expect(evaluate(at(resource(main, 'eventsTopic').body, 'name')!, ctx)).toBe(settingValue('SPARK_DISPATCH__serviceBus__eventsTopic'));
    expect(evaluate(at(resource(main, 'eventsAll').body, 'name')!, ctx)).toBe('all');
    expect(evaluate(at(single(main, 'Microsoft.ServiceBus/namespaces').body, 'sku', 'name')!, ctx)).toBe('Standard');
  });
});

describe('infra/azure: Flex Consumption function app', () => {
  it('runs on FC1, Node 20, with a system-assigned identity and identity-based deployment storage', () => {
    const plan = single(main, 'Microsoft.Web/serverfarms');
    expect(evaluate(at(plan.body, 'sku')!, ctx)).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(evaluate(at(functionApp.body, 'kind')!, ctx)).toBe('functionapp,linux');
    expect(evaluate(at(functionApp.body, 'identity')!, ctx)).toEqual({ type: 'SystemAssigned' });
    const config = at(functionApp.body, 'properties', 'functionAppConfig');
    expect(evaluate(at(config, 'runtime')!, ctx)).toEqual({ name: 'node', version: '20' });
    expect(evaluate(at(config, 'deployment', 'storage', 'authentication')!, ctx)).toEqual({ type: 'SystemAssignedIdentity' });
    expect(evaluate(at(config, 'deployment', 'storage', 'type')!, ctx)).toBe('blobContainer');
    // Node 20 satisfies package.json's engines.
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=20\./);
  });

  it('sets none of the app settings Flex Consumption refuses', () => {
    for (const name of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTSHARE', 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', 'WEBSITE_NODE_DEFAULT_VERSION']) {
      expect(settingNames.has(name), name).toBe(false);
    }
  });

  it('outputs what the deployment workflow and operators need', () => {
    expect([...main.outputs.keys()]).toEqual(
      expect.arrayContaining(['functionAppName', 'functionAppPrincipalId', 'adlsAccountName', 'hostStorageAccountName', 'serviceBusNamespaceName', 'eventGridSystemTopicName']),
    );
  });

  it('uses current API versions', () => {
    for (const path of bicepPaths) {
      const file = path === MAIN_PATH ? main : parseBicep(read(path));
      for (const r of file.resources) expect(Number(r.apiVersion.slice(0, 4)), `${path}: ${r.symbol} @${r.apiVersion}`).toBeGreaterThanOrEqual(r.type.startsWith('Microsoft.Insights/components') ? 2020 : 2022);
    }
  });
});

describe('infra/azure: parameters example', () => {
  it('gives every parameter, and only parameters the template has', () => {
    expect(Object.keys(example).sort()).toEqual([...main.params.keys()].sort());
  });

  it('respects the template\'s allowed values and bounds', () => {
    for (const [name, param] of main.params) {
      const value = example[name];
      for (const d of param.decorators) {
        const arg = d.args[0] ? evaluate(d.args[0], ctx) : undefined;
        if (d.name === 'allowed') expect(arg as Value[], name).toContain(value);
        if (d.name === 'minValue') expect(value as number, name).toBeGreaterThanOrEqual(arg as number);
        if (d.name === 'maxValue') expect(value as number, name).toBeLessThanOrEqual(arg as number);
        if (d.name === 'minLength') expect((value as string | unknown[]).length, name).toBeGreaterThanOrEqual(arg as number);
        if (d.name === 'maxLength') expect((value as string | unknown[]).length, name).toBeLessThanOrEqual(arg as number);
      }
      const types: Record<string, string> = { string: 'string', int: 'number', bool: 'boolean', object: 'object', array: 'object' };
      expect(typeof value, name).toBe(types[param.type]);
      expect(Array.isArray(value), name).toBe(param.type === 'array');
    }
  });
});

describe('GitHub workflows', () => {
  type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
  type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
  const ci = parseYaml(read('.github/workflows/ci.yml')) as Workflow;
  const deploy = parseYaml(read('.github/workflows/deploy.yml')) as Workflow;
  const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
  const runs = (w: Workflow) => steps(w).flatMap((s) => (s.run ? [s.run] : []));

  it('ci: on push and pull requests, Node 20 with the npm cache, install, typecheck, test, build', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const node = steps(ci).find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(node?.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    expect(steps(ci).some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(true);
    expect(runs(ci).map((r) => r.trim())).toEqual(['npm ci', 'npm run typecheck', 'npm test', 'npm run build']);
  });

  it('deploy: manual or tags, OIDC only, template then code then smoke check', () => {
    expect(Object.keys(deploy.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(deploy.on.push).toHaveProperty('tags');
    expect(deploy.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const login = steps(deploy).find((s) => s.uses?.startsWith('azure/login@'));
    expect(Object.keys(login?.with ?? {}).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    const text = read('.github/workflows/deploy.yml');
    expect([...new Set([...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]))].sort()).toEqual(['AZURE_CLIENT_ID', 'AZURE_SUBSCRIPTION_ID', 'AZURE_TENANT_ID']);
    const all = runs(deploy).join('\n');
    expect(all).toMatch(/az deployment group create[\s\S]*--template-file infra\/azure\/main\.bicep/);
    expect(all).toMatch(/--parameters "@\$PARAMETERS_FILE"/);
    expect(all).toMatch(/npm ci\s+npm run build\s+npm prune --omit=dev/);
    expect(all).toMatch(/zip -qr app\.zip dist host\.json package\.json node_modules/);
    const functionsAction = steps(deploy).find((s) => s.uses?.toLowerCase().startsWith('azure/functions-action@'));
    expect(functionsAction?.with).toMatchObject({ sku: 'flexconsumption', package: 'app.zip' });
    // The smoke check looks for every function the code registers.
    expect(all).toMatch(/az functionapp function list/);
    for (const name of registeredFunctions.keys()) expect(all).toContain(name);
    // The first template run leaves the Event Grid subscription out; a later one adds it, after the code.
    const order = ['deployEventSubscription=false', 'Azure/functions-action', 'az functionapp function list', 'deployEventSubscription=true'].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
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
  if (appSettingsExpr?.kind !== 'array') return undefined;
  const item = appSettingsExpr.items.find((i) => {
    const n = at(i, 'name');
    return n?.kind === 'string' && n.parts[0] === name;
  });
  const value = at(item, 'value');
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
