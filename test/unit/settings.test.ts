import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { problemToString, type Problem } from '../../src/domain/spec/problem.js';
import { loadSettings, parseSettings } from '../../src/settings/loadSettings.js';
import { IntakeSettingsSchema, normalizeFolderPrefix, SettingsSchema } from '../../src/settings/settingsSchema.js';

const files: Record<string, string> = {
  '/etc/sd/good.yaml': `
clusterProfile: openshift
namespaces:
  team-a: { driverServiceAccount: spark-a }
  team-b: {}
storage:
  accounts: { lake1: { filesystems: [jobs] } }
`,
  '/etc/sd/bad.yaml': `
clusterProfile: gke
namespaces:
  Team_A: { driverServiceAccount: 42 }
storage:
  auth: { mode: workload-identity, tenantId: not-a-guid }
images:
  "4.0": { image: "apache/spark:latest", spark: "4.0", python: "3.10", hadoop: 3.4.1 }
defaultSparkVersion: "9.9"
bogus: true
`,
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

describe('loadSettings', () => {
  it('uses the embedded demo default when nothing is configured', () => {
    const r = loadSettings({ env: {}, readFile });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.origin).toBe('embedded demo default');
    expect(Object.keys(r.value.settings.tenants.default!.namespaces)).toEqual(['spark-jobs']);
    expect(r.value.settings.images['4.0']?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('reads a config file named by SPARK_DISPATCH_CONFIG, with defaults filled in', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_CONFIG: '/etc/sd/good.yaml' }, readFile });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.value.settings;
    expect(s.clusterProfile).toBe('openshift');
    expect(s.tenants.default!.namespaces['team-a']?.driverServiceAccount).toBe('spark-a');
    expect(s.tenants.default!.namespaces['team-b']?.driverServiceAccount).toBe('spark-driver');
    expect(s.defaultSparkVersion).toBe('4.0');
    expect(s.driverPriorityClassName).toBe('spark-dispatch-driver');
    expect(s.storage.auth).toEqual({ mode: 'none' });
  });

  it('--config wins over SPARK_DISPATCH_CONFIG', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_CONFIG: '/etc/sd/bad.yaml' }, configFile: '/etc/sd/good.yaml', readFile });
    expect(r.ok).toBe(true);
  });

  it('SPARK_DISPATCH__a__b variables override single fields; JSON values keep their type', () => {
    const r = loadSettings({
      env: {
        SPARK_DISPATCH_CONFIG: '/etc/sd/good.yaml',
        SPARK_DISPATCH__clusterProfile: 'aks',
        SPARK_DISPATCH__limits__maxExecutors: '12',
        'SPARK_DISPATCH__namespaces__team-b__driverServiceAccount': 'spark-b',
        SPARK_DISPATCH__confPolicy__deniedKeys: '["spark.eventLog.*"]',
      },
      readFile,
    });
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.value.settings.clusterProfile).toBe('aks');
    expect(r.value.settings.limits.maxExecutors).toBe(12);
    expect(r.value.settings.tenants.default!.namespaces['team-b']?.driverServiceAccount).toBe('spark-b');
    expect(r.value.settings.tenants.default!.namespaces['team-a']?.driverServiceAccount).toBe('spark-a');
    expect(r.value.settings.confPolicy.deniedKeys).toEqual(['spark.eventLog.*']);
    expect(r.value.origin).toContain('SPARK_DISPATCH__clusterProfile');
  });

  it('SPARK_DISPATCH_SETTINGS holds a whole document', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_SETTINGS: '{"namespaces":{"etl":{}},"clusterProfile":"openshift"}' }, readFile });
    expect(r.ok && r.value.settings.clusterProfile).toBe('openshift');
    expect(r.ok && Object.keys(r.value.settings.tenants.default!.namespaces)).toEqual(['etl']);
  });

  it('lists every problem at once, each with its path, what was expected and what was found', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_CONFIG: '/etc/sd/bad.yaml' }, readFile });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'settings.bogus',
        'settings.clusterProfile',
        'settings.images["4.0"].image',
        'settings.images["4.0"].spark',
        'settings.namespaces.Team_A',
        'settings.namespaces.Team_A.driverServiceAccount',
        'settings.storage.auth.tenantId',
      ].sort(),
    );
    expect(byPath['settings.clusterProfile']).toMatchObject({ expected: 'one of "aks", "openshift"', found: '"gke"' });
    expect(byPath['settings.images["4.0"].image']?.expected).toMatch(/pinned/);
  });

  it('workload identity needs a client id for the drivers: storage.auth.clientId in the single-team form (a cross-field check, once every field is valid)', () => {
    const r = parseSettings({
      namespaces: { a: {} },
      storage: {
        accounts: { lake1: { filesystems: ['jobs'] } },
        auth: { mode: 'workload-identity', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toMatchObject([
        { path: 'settings.storage.auth.clientId', expected: expect.stringMatching(/client id of the identity the drivers use for lake1/) },
      ]);
  });

  it('checks across fields: the default version must be in the catalog, the default namespace allowed, defaults within limits', () => {
    const r = loadSettings({
      env: {
        SPARK_DISPATCH_SETTINGS: JSON.stringify({
          namespaces: { a: { defaults: { executor: { instances: 99 } }, limits: { maxExecutors: 10 } } },
          defaultNamespace: 'b',
          defaultSparkVersion: '9.9',
        }),
      },
      readFile,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'settings.defaultNamespace',
      'settings.defaultSparkVersion',
      'settings.namespaces.a.defaults.executor.instances',
    ]);
  });

  it('reports an unreadable config file and a broken SPARK_DISPATCH_SETTINGS together', () => {
    const r = loadSettings({
      env: { SPARK_DISPATCH_CONFIG: '/nope.yaml', SPARK_DISPATCH_SETTINGS: '{not json', SPARK_DISPATCH____x: '1' },
      readFile,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(3);
    expect(r.problems[0]).toMatchObject({ path: '(config file)', found: 'ENOENT' });
  });

  it.each(['examples/settings/aks.yaml', 'examples/settings/openshift.yaml', 'examples/settings/local.yaml'])('%s is valid', (file) => {
    const r = loadSettings({ env: {}, configFile: file, readFile: (p) => readFileSync(p, 'utf8') });
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.ok).toBe(true);
  });
});

/** A valid settings document with an intake, for the cross-field checks; `intake` replaces its intake. */
const withIntake = (intake: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  namespaces: { a: {} },
  storage: { accounts: { lake1: { filesystems: ['jobs', 'raw', 'staging'] }, lake2: { filesystems: ['raw'] } } },
  intake,
  ...extra,
});

const problemsOf = (input: unknown): Problem[] => {
  const r = parseSettings(input);
  if (r.ok) throw new Error('expected the settings to be refused');
  return [...r.problems];
};
const byPath = (problems: readonly Problem[]) => Object.fromEntries(problems.map((p) => [p.path, p]));

const TEMPLATE = { name: 'ingest', main: 'abfss://jobs@lake1.dfs.core.windows.net/ingest/main.py', args: ['{url}', '{day}'] };

describe('settings: intake checked at start-up, not per event', () => {
  it('accepts a consistent intake', () => {
    const r = parseSettings(
      withIntake({
        staging: { account: 'lake1', filesystem: 'staging' },
        scriptUploads: [{ account: 'lake1', filesystem: 'jobs', prefix: 'uploads/' }],
        rules: [
          {
            name: 'landed',
            filesystem: 'raw',
            path: 'sales/**/_SUCCESS',
            template: 'ingest',
            parameters: { day: '{date}', note: '{{literal}}' },
          },
          { name: 'landed-2', account: 'lake2', filesystem: 'raw', path: 'x/[a-z]?.csv', template: 'ingest', parameters: { day: 'today' } },
        ],
        templates: { ingest: TEMPLATE },
      }),
    );
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.ok).toBe(true);
  });

  it('refuses a rule glob that does not compile, naming the rule and the cause', () => {
    const problems = problemsOf(
      withIntake({
        rules: [
          { name: 'ok', filesystem: 'raw', path: '**', template: 't' },
          { name: 'broken', filesystem: 'raw', path: 'spark/[abc', template: 't' },
        ],
        templates: { t: {} },
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'settings.intake.rules[1].path', found: '"spark/[abc"' });
    expect(problems[0]!.expected).toMatch(/^a glob on the path inside the filesystem/);
    expect(problems[0]!.hint).toContain('the [ at position 7 has no closing ]');
    const reversed = problemsOf(
      withIntake({ rules: [{ name: 'reversed', filesystem: 'raw', path: 'part-[9-0]', template: 't' }], templates: { t: {} } }),
    );
    expect(reversed).toMatchObject([
      { path: 'settings.intake.rules[0].path', hint: 'invalid glob "part-[9-0]": the range 9-0 at position 7 is reversed' },
    ]);
  });

  it('refuses a rule glob with a leading or trailing /, which no event path has', () => {
    const problems = problemsOf(
      withIntake({
        rules: [
          { name: 'lead', filesystem: 'raw', path: '/sales/*.csv', template: 't' },
          { name: 'trail', filesystem: 'raw', path: 'sales/', template: 't' },
        ],
        templates: { t: {} },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(['settings.intake.rules[0].path', 'settings.intake.rules[1].path']);
    expect(problems[0]!.expected).toContain('without a leading or trailing /');
  });

  it('refuses a rule whose template is not in intake.templates', () => {
    const some = byPath(
      problemsOf(
        withIntake({
          rules: [{ name: 'r', filesystem: 'raw', path: '**', template: 'ingset' }],
          templates: { ingest: TEMPLATE, other: {} },
        }),
      ),
    );
    expect(some['settings.intake.rules[0].template']).toMatchObject({
      expected: 'one of intake.templates (ingest, other)',
      found: '"ingset"',
    });
    const none = byPath(problemsOf(withIntake({ rules: [{ name: 'r', filesystem: 'raw', path: '**', template: 'constructor' }] })));
    expect(none['settings.intake.rules[0].template']).toMatchObject({
      expected: 'a template in intake.templates, which has none',
      found: '"constructor"',
    });
  });

  it('refuses script uploads and staging outside storage.accounts and their filesystems', () => {
    const problems = byPath(
      problemsOf(
        withIntake({
          staging: { account: 'lake2', filesystem: 'staging' },
          scriptUploads: [
            { account: 'nolake', filesystem: 'jobs' },
            { account: 'lake1', filesystem: 'curated' },
          ],
        }),
      ),
    );
    expect(Object.keys(problems).sort()).toEqual([
      'settings.intake.scriptUploads[0].account',
      'settings.intake.scriptUploads[1].filesystem',
      'settings.intake.staging.filesystem',
    ]);
    expect(problems['settings.intake.scriptUploads[0].account']).toMatchObject({
      expected: 'one of the accounts in storage.accounts (lake1, lake2): events from other accounts are ignored',
      found: '"nolake"',
    });
    expect(problems['settings.intake.scriptUploads[1].filesystem']).toMatchObject({
      expected:
        'one of the filesystems allowed for lake1 in storage.accounts (jobs, raw, staging): an uploaded main.py elsewhere is refused',
      found: '"curated"',
    });
    expect(problems['settings.intake.staging.filesystem']?.expected).toBe(
      'one of the filesystems allowed for lake2 in storage.accounts (raw): an inline script staged elsewhere is refused',
    );
  });

  it('refuses a rule account outside storage.accounts, and a rule without account when storage.accounts is empty', () => {
    const unknown = byPath(
      problemsOf(
        withIntake({ rules: [{ name: 'r', account: 'lake3', filesystem: 'raw', path: '**', template: 't' }], templates: { t: {} } }),
      ),
    );
    expect(unknown['settings.intake.rules[0].account']).toMatchObject({
      expected: 'one of the accounts in storage.accounts (lake1, lake2): events from other accounts are ignored',
      found: '"lake3"',
    });
    const empty = byPath(
      problemsOf({
        ...withIntake({ rules: [{ name: 'r', filesystem: 'raw', path: '**', template: 't' }], templates: { t: {} } }),
        storage: {},
      }),
    );
    expect(empty['settings.intake.rules[0].account']?.expected).toBe(
      'an account to watch: without one the rule watches the accounts in storage.accounts, which lists none',
    );
  });

  it('refuses placeholders no event provides in rule parameters', () => {
    const problems = byPath(
      problemsOf(
        withIntake({
          rules: [{ name: 'r', filesystem: 'raw', path: '**', template: 't', parameters: { ok: '{{x}} {file}', bad: '{fiel} and {dat}' } }],
          templates: { t: {} },
        }),
      ),
    );
    expect(Object.keys(problems)).toEqual(['settings.intake.rules[0].parameters.bad']);
    expect(problems['settings.intake.rules[0].parameters.bad']).toMatchObject({
      expected:
        'only the placeholders {url}, {path}, {folder}, {folderUrl}, {file}, {filesystem}, {account}, {date}, {time}, {eventTime}, {rule} ({{ and }} for literal braces)',
      found: '"{fiel} and {dat}", which uses {fiel}, {dat}',
    });
  });

  it('refuses a rule whose template uses a placeholder that neither the event nor the rule provides', () => {
    const problems = byPath(
      problemsOf(
        withIntake({
          rules: [{ name: 'r', filesystem: 'raw', path: '**', template: 'ingest', parameters: { days: '{date}' } }],
          templates: { ingest: TEMPLATE },
        }),
      ),
    );
    expect(problems['settings.intake.rules[0].template']).toMatchObject({
      found: '"ingest", which uses {day}',
      hint: 'add day to intake.rules[0].parameters',
    });
    expect(problems['settings.intake.rules[0].template']?.expected).toContain("the rule's parameters ({days})");
  });

  it('lists every intake problem at once', () => {
    const problems = problemsOf(
      withIntake({
        staging: { account: 'nolake', filesystem: 'staging' },
        scriptUploads: [{ account: 'lake2', filesystem: 'jobs' }],
        rules: [
          { name: 'a', account: 'nolake', filesystem: 'raw', path: '[', template: 'missing', parameters: { p: '{nope}' } },
          { name: 'b', filesystem: 'raw', path: '**', template: 'ingest' },
        ],
        templates: { ingest: TEMPLATE },
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'settings.intake.rules[0].account',
        'settings.intake.rules[0].parameters.p',
        'settings.intake.rules[0].path',
        'settings.intake.rules[0].template',
        'settings.intake.rules[1].template',
        'settings.intake.scriptUploads[0].filesystem',
        'settings.intake.staging.account',
      ].sort(),
    );
  });
});

describe('settings: folder prefixes', () => {
  it('normalises intake.scriptUploads[].prefix and intake.staging.prefix once, when parsed', () => {
    const r = parseSettings(
      withIntake({
        staging: { account: 'lake1', filesystem: 'staging', prefix: '/_staging/inline' },
        scriptUploads: [
          { account: 'lake1', filesystem: 'jobs', prefix: 'uploads' },
          { account: 'lake1', filesystem: 'jobs', prefix: '//a/b/' },
          { account: 'lake1', filesystem: 'jobs', prefix: '/' },
          { account: 'lake1', filesystem: 'jobs' },
        ],
      }),
    );
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.value.tenants.default!.intake.staging?.prefix).toBe('_staging/inline/');
    expect(r.value.tenants.default!.intake.scriptUploads.map((u) => u.prefix)).toEqual(['uploads/', 'a/b/', '', '']);
    // Parsing parsed settings again (as the local stack does) changes nothing.
    const again = parseSettings(r.value);
    expect(again.ok && again.value.tenants).toEqual(r.value.tenants);
  });

  it('defaults the staging prefix to inline/ and normalises intake settings parsed on their own', () => {
    const intake = IntakeSettingsSchema.parse({
      staging: { account: 'lake1', filesystem: 'staging' },
      scriptUploads: [{ account: 'lake1', filesystem: 'jobs', prefix: '/x' }],
    });
    expect(intake.staging?.prefix).toBe('inline/');
    expect(intake.scriptUploads[0]?.prefix).toBe('x/');
  });

  it.each([
    ['', ''],
    ['/', ''],
    ['jobs', 'jobs/'],
    ['jobs/', 'jobs/'],
    ['/jobs/', 'jobs/'],
    ['///a/b', 'a/b/'],
  ])('normalizeFolderPrefix(%j) is %j, and is idempotent', (input, want) => {
    expect(normalizeFolderPrefix(input)).toBe(want);
    expect(normalizeFolderPrefix(want)).toBe(want);
  });
});

describe('settings: defaults within limits', () => {
  it('names the limit setting and shows the limit as written, in its own unit', () => {
    const problems = byPath(
      problemsOf({
        namespaces: {
          a: { defaults: { driver: { memory: '8g', cores: 3 } }, limits: { maxDriverMemory: '4g' } },
          b: { defaults: { deadlineSeconds: 100 } },
        },
        limits: { maxDriverCores: 2, maxDeadlineSeconds: 60 },
      }),
    );
    expect(problems['settings.namespaces.a.defaults.driver.memory']).toMatchObject({
      expected: 'at most 4g, the limit namespaces.a.limits.maxDriverMemory',
      found: '"8g"',
    });
    expect(problems['settings.namespaces.a.defaults.driver.cores']).toMatchObject({
      expected: 'at most 2, the limit limits.maxDriverCores',
      found: '3 (number)',
    });
    expect(problems['settings.namespaces.b.defaults.deadlineSeconds']?.expected).toBe('at most 60, the limit limits.maxDeadlineSeconds');
  });

  it('reports a global default over a limit on the global default, naming the namespace and the built-in limit', () => {
    const problems = byPath(
      problemsOf({ namespaces: { a: {}, b: { limits: { maxExecutorMemory: '200g' } } }, defaults: { executor: { memory: '128g' } } }),
    );
    expect(Object.keys(problems)).toEqual(['settings.defaults.executor.memory']);
    expect(problems['settings.defaults.executor.memory']).toMatchObject({
      expected:
        'at most 64g in namespace a, the built-in limit maxExecutorMemory (raise it with limits.maxExecutorMemory or namespaces.a.limits.maxExecutorMemory)',
      found: '"128g"',
    });
  });
});

describe('settings: maps with checked keys', () => {
  it("reports a bad key and its value's problem together, for storage, blob and template maps", () => {
    const problems = byPath(
      problemsOf({
        namespaces: { a: {} },
        storage: { accounts: { Bad_Lake: { filesystems: [] } } },
        blob: { accounts: { Bad_Lake: { endpoint: 'ftp://x' } } },
        intake: { templates: { Bad_Name: {} } },
      }),
    );
    expect(problems['settings.storage.accounts.Bad_Lake']).toMatchObject({
      expected: 'a storage account name (3-24 lower-case letters and digits)',
      found: 'the key "Bad_Lake"',
    });
    expect(problems['settings.storage.accounts.Bad_Lake.filesystems']?.expected).toBe('at least one filesystem');
    expect(problems['settings.blob.accounts.Bad_Lake']?.found).toBe('the key "Bad_Lake"');
    expect(problems['settings.blob.accounts.Bad_Lake.endpoint']?.expected).toBe("an http(s) URL of the account's Blob endpoint");
    expect(problems['settings.intake.templates.Bad_Name']?.expected).toBe('a template name: lower-case letters, digits and -, at most 63');
    expect(problems['settings.intake.templates.Bad_Name']?.found).toBe('the key "Bad_Name"');
  });

  it('says only "a map" for a list where a map belongs', () => {
    const problems = problemsOf({ namespaces: ['a'], storage: { accounts: ['lake1'] } });
    expect(problems.map((p) => p.path).sort()).toEqual(['settings.namespaces', 'settings.storage.accounts']);
  });

  it("takes the default backend from the job spec's backends", () => {
    expect(byPath(problemsOf({ namespaces: { a: {} }, defaultBackend: 'spark-submit' }))['settings.defaultBackend']?.expected).toBe(
      'one of "native", "operator"',
    );
    expect(SettingsSchema.parse({ namespaces: { a: {} } }).defaultBackend).toBe('native');
  });
});

describe('settings: confPolicy.allowedKeys', () => {
  const entries = (allowedKeys: unknown) => problemsOf({ namespaces: { a: {} }, confPolicy: { allowedKeys } });

  it('extends the allowlist with keys and prefixes, each with a value rule (text by default)', () => {
    const s = SettingsSchema.parse({
      namespaces: { a: {} },
      confPolicy: { allowedKeys: [{ key: 'spark.executor.resource.gpu.amount', value: 'integer', max: 1 }, { key: 'spark.myapp.*' }] },
    });
    expect(s.confPolicy.allowedKeys).toEqual([
      { key: 'spark.executor.resource.gpu.amount', value: 'integer', max: 1 },
      { key: 'spark.myapp.*', value: 'text' },
    ]);
    expect(s.confPolicy.deniedKeys).toEqual([]);
    expect(s.confPolicy.detectSecrets).toBe(true);
  });

  it('refuses an entry that would re-allow a key spark-dispatch owns, naming the entry and the key', () => {
    const problems = byPath(
      entries([
        { key: 'spark.myapp.*' },
        { key: 'spark.kubernetes.*', value: 'text' },
        { key: 'spark.master' },
        { key: 'spark.hadoop.fs.azure.account.key.lake1.dfs.core.windows.net' },
      ]),
    );
    expect(Object.keys(problems).sort()).toEqual([
      'settings.confPolicy.allowedKeys[1].key',
      'settings.confPolicy.allowedKeys[2].key',
      'settings.confPolicy.allowedKeys[3].key',
    ]);
    expect(problems['settings.confPolicy.allowedKeys[1].key']).toMatchObject({
      expected: expect.stringContaining('spark.kubernetes.* would allow spark.kubernetes.namespace'),
      found: '"spark.kubernetes.*"',
    });
    expect(problems['settings.confPolicy.allowedKeys[2].key']?.expected).toContain(
      'spark.master would allow spark.master (set by spark-dispatch',
    );
    expect(problems['settings.confPolicy.allowedKeys[3].key']?.expected).toContain('storage authentication is keyless');
  });

  it('refuses an entry for a key already on the built-in allowlist, whose rule settings cannot change', () => {
    expect(
      byPath(entries([{ key: 'spark.task.cpus', value: 'integer', max: 64 }]))['settings.confPolicy.allowedKeys[0].key']?.expected,
    ).toContain('covered by spark.task.cpus');
  });

  it('refuses malformed keys and bounds that do not fit the value kind', () => {
    const problems = byPath(
      entries([
        { key: 'spark.*.x' },
        { key: 'hadoop.x' },
        { key: 'spark.a', value: 'boolean', max: 1 },
        { key: 'spark.b', value: 'integer', min: 0.5 },
        { key: 'spark.c', value: 'number', min: 2, max: 1 },
        { key: 'spark.d', value: 'json' },
      ]),
    );
    expect(problems['settings.confPolicy.allowedKeys[0].key']?.expected).toBe('a Spark conf key, or a prefix ending in .* (spark.foo.*)');
    expect(problems['settings.confPolicy.allowedKeys[1].key']?.expected).toBe('a Spark conf key, or a prefix ending in .* (spark.foo.*)');
    expect(problems['settings.confPolicy.allowedKeys[2].max']?.expected).toContain('bounds integer and number values only');
    expect(problems['settings.confPolicy.allowedKeys[3].min']?.expected).toBe('a whole number, as the values it bounds');
    expect(problems['settings.confPolicy.allowedKeys[4].max']?.expected).toBe('at least min (2)');
    expect(problems['settings.confPolicy.allowedKeys[5].value']?.expected).toContain('"integer"');
  });

  it('reads allowedKeys from one environment variable, as JSON', () => {
    const r = loadSettings({
      env: {
        SPARK_DISPATCH_SETTINGS: '{"namespaces":{"etl":{}}}',
        SPARK_DISPATCH__confPolicy__allowedKeys: '[{"key":"spark.executor.resource.gpu.amount","value":"integer","max":2}]',
      },
      readFile,
    });
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.value.settings.confPolicy.allowedKeys).toEqual([{ key: 'spark.executor.resource.gpu.amount', value: 'integer', max: 2 }]);
  });
});

describe('settings: sweeper mode and per-reason graces', () => {
  const sweeperOf = (sweeper: Record<string, unknown>) => {
    const r = parseSettings({ namespaces: { etl: {} }, sweeper });
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    return r.value.sweeper;
  };

  it('defaults: delete mode, a grace for every reason, "never" for scheduling gates (resolved to null)', () => {
    const s = sweeperOf({});
    expect(s.mode).toBe('delete');
    expect(s.grace).toEqual({
      imagePullFailed: 180,
      containerConfigError: 180,
      unschedulable: 900,
      schedulingGated: null,
      stuckCreating: 600,
      pendingTooLong: 900,
      deadlineExceeded: 60,
      noExecutors: 1800,
      hungAfterStop: 1800,
      executorsRefused: 600,
      executorsPending: 900,
      nodeLost: 600,
      orphanedCompanion: 300,
      submissionStuck: 900,
    });
    expect(s.maxEvidenceReadsPerRun).toBe(100);
  });

  it('sets one grace, or turns a reason off, from a file or one app setting per reason', () => {
    expect(sweeperOf({ mode: 'observe', grace: { noExecutors: 3600, unschedulable: 'never' } })).toMatchObject({
      mode: 'observe',
      grace: { noExecutors: 3600, unschedulable: null, pendingTooLong: 900 },
    });
    const r = loadSettings({
      env: {
        SPARK_DISPATCH_SETTINGS: '{"namespaces":{"etl":{}}}',
        SPARK_DISPATCH__sweeper__mode: 'observe',
        SPARK_DISPATCH__sweeper__grace__hungAfterStop: '2400',
        SPARK_DISPATCH__sweeper__grace__schedulingGated: 'never',
      },
      readFile,
    });
    if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
    expect(r.value.settings.sweeper).toMatchObject({ mode: 'observe', grace: { hungAfterStop: 2400, schedulingGated: null } });
  });

  it('the earlier names whose meaning did not change still set the graces they decided', () => {
    expect(
      sweeperOf({ pendingTimeoutSeconds: 1200, imagePullGraceSeconds: 60, orphanGraceSeconds: 30, deadlineGraceSeconds: 0 }).grace,
    ).toMatchObject({
      unschedulable: 1200,
      pendingTooLong: 1200,
      submissionStuck: 1200,
      imagePullFailed: 60,
      orphanedCompanion: 30,
      deadlineExceeded: 0,
    });
  });

  it('refuses, with what to do: an earlier name together with its replacement, the one name whose meaning changed, an unknown reason, a bad value', () => {
    const problems = byPath(
      problemsOf({
        namespaces: { etl: {} },
        sweeper: {
          pendingTimeoutSeconds: 600,
          grace: { unschedulable: 300, noExecutor: 5, stuckCreating: -1, nodeLost: 'forever' },
          executorStartTimeoutSeconds: 300,
          mode: 'dry',
        },
      }),
    );
    expect(Object.keys(problems).sort()).toEqual(
      [
        'settings.sweeper.executorStartTimeoutSeconds',
        'settings.sweeper.grace.noExecutor',
        'settings.sweeper.grace.nodeLost',
        'settings.sweeper.grace.stuckCreating',
        'settings.sweeper.mode',
      ].sort(),
    );
    expect(problems['settings.sweeper.executorStartTimeoutSeconds']?.expected).toMatch(
      /^no longer a setting: sweeper.grace.noExecutors replaces it and counts from the driver's last sign of life/,
    );
    expect(problems['settings.sweeper.grace.nodeLost']?.expected).toBe('a number of seconds (0 or more), or "never"');
    expect(problems['settings.sweeper.mode']).toMatchObject({ expected: 'one of "delete", "observe"', found: '"dry"' });
    // The pair is checked once every field is valid on its own.
    const pair = byPath(problemsOf({ namespaces: { etl: {} }, sweeper: { pendingTimeoutSeconds: 600, grace: { unschedulable: 300 } } }));
    expect(pair['settings.sweeper.pendingTimeoutSeconds']?.expected).toBe(
      'either pendingTimeoutSeconds (the earlier name) or grace.unschedulable, not both',
    );
  });
});
