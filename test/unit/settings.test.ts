import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { problemToString } from '../../src/domain/spec/problem.js';
import { loadSettings } from '../../src/settings/loadSettings.js';

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
    expect(Object.keys(r.value.settings.namespaces)).toEqual(['spark-jobs']);
    expect(r.value.settings.images['4.0']?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('reads a config file named by SPARK_DISPATCH_CONFIG, with defaults filled in', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_CONFIG: '/etc/sd/good.yaml' }, readFile });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.value.settings;
    expect(s.clusterProfile).toBe('openshift');
    expect(s.namespaces['team-a']?.driverServiceAccount).toBe('spark-a');
    expect(s.namespaces['team-b']?.driverServiceAccount).toBe('spark-driver');
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
    expect(r.value.settings.namespaces['team-b']?.driverServiceAccount).toBe('spark-b');
    expect(r.value.settings.namespaces['team-a']?.driverServiceAccount).toBe('spark-a');
    expect(r.value.settings.confPolicy.deniedKeys).toEqual(['spark.eventLog.*']);
    expect(r.value.origin).toContain('SPARK_DISPATCH__clusterProfile');
  });

  it('SPARK_DISPATCH_SETTINGS holds a whole document', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_SETTINGS: '{"namespaces":{"etl":{}},"clusterProfile":"openshift"}' }, readFile });
    expect(r.ok && r.value.settings.clusterProfile).toBe('openshift');
    expect(r.ok && Object.keys(r.value.settings.namespaces)).toEqual(['etl']);
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
        'settings.storage.auth.clientId',
        'settings.storage.auth.tenantId',
      ].sort(),
    );
    expect(byPath['settings.clusterProfile']).toMatchObject({ expected: 'one of "aks", "openshift"', found: '"gke"' });
    expect(byPath['settings.images["4.0"].image']?.expected).toMatch(/pinned/);
    expect(byPath['settings.storage.auth.clientId']?.expected).toMatch(/required/);
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
    expect(r.problems.map((p) => p.path).sort()).toEqual(['settings.defaultNamespace', 'settings.defaultSparkVersion', 'settings.namespaces.a.defaults.executor.instances']);
  });

  it('reports an unreadable config file and a broken SPARK_DISPATCH_SETTINGS together', () => {
    const r = loadSettings({ env: { SPARK_DISPATCH_CONFIG: '/nope.yaml', SPARK_DISPATCH_SETTINGS: '{not json', SPARK_DISPATCH____x: '1' }, readFile });
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
