import { describe, expect, it } from 'vitest';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { BASE_SPEC, CLI_SOURCE, TENANT, settingsWith } from '../support/fixtures.js';

const problems = (raw: unknown) => {
  const r = prepareJob(raw, settingsWith(), { tenant: TENANT, source: CLI_SOURCE });
  return r.ok ? [] : r.problems;
};
const paths = (raw: unknown) =>
  problems(raw)
    .map((p) => p.path)
    .sort();
const pathsInOrder = (raw: unknown) => problems(raw).map((p) => p.path);
const ACCOUNT = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net';

describe('prepareJob reports schema and policy problems in one round trip', () => {
  it('a schema problem does not hide a forbidden conf key or a disallowed namespace', () => {
    expect(paths({ ...BASE_SPEC, driver: { memroy: '2g' }, namespace: 'kube-system', conf: { 'spark.master': 'local[*]' } })).toEqual([
      'conf["spark.master"]',
      'driver.memroy',
      'namespace',
    ]);
  });

  it('missing required fields are reported once, and their stand-ins never cause problems of their own', () => {
    expect(paths({ conf: { 'spark.driver.bindAddress': '0.0.0.0' } })).toEqual(['conf["spark.driver.bindAddress"]', 'main', 'name']);
  });

  it('a field that failed the schema is not judged again by the policy', () => {
    expect(paths({ ...BASE_SPEC, main: 'abfss://jobs@otheraccount.dfs.core.windows.net/a.txt' })).toEqual(['main']);
  });

  it('a document that is not an object gets one problem', () => {
    expect(paths(['not', 'a', 'spec'])).toEqual(['(root)']);
  });

  it('one bad conf entry does not hide the policy problems of the other entries', () => {
    const spec = {
      ...BASE_SPEC,
      conf: {
        'spark.foo': 3,
        'spark.master': 'local',
        'spark.driver.memoryOverheadFactor': '2',
        'spark.kubernetes.driver.limit.cores': 'two',
        'spark.dynamicAllocation.enabled': 'true',
        'spark.sql.shuffle.partitions': '64',
      },
    };
    expect(paths(spec)).toEqual([
      'conf["spark.driver.memoryOverheadFactor"]',
      'conf["spark.dynamicAllocation.maxExecutors"]',
      'conf["spark.foo"]',
      'conf["spark.kubernetes.driver.limit.cores"]',
      'conf["spark.master"]',
    ]);
    const byPath = new Map(problems(spec).map((p) => [p.path, p]));
    expect(byPath.get('conf["spark.foo"]')?.expected).toBe('a string');
    expect(byPath.get('conf["spark.master"]')?.expected).toBe('a conf key that jobs may set');
  });

  it('bad env and label entries do not hide reserved ones next to them', () => {
    expect(
      paths({
        ...BASE_SPEC,
        env: { '1BAD': 'x', PATH: '/bin', GOOD: 'y' },
        labels: { ok: 'bad value!', 'spark-role': 'driver', team: 'data' },
      }),
    ).toEqual(['env.PATH', 'env["1BAD"]', 'labels.ok', 'labels["spark-role"]']);
  });

  it('a bad list item does not hide the policy problems of the others, and each keeps its index', () => {
    const spec = {
      ...BASE_SPEC,
      pyFiles: ['http://example.com/a.py', 'abfss://jobs@otheraccount.dfs.core.windows.net/b.py', `${ACCOUNT}/c.py`, 42],
      args: [7, 'sig=abcdEFGH1234ijklMNOP5678qrstUVWX%3D', 'plain'],
    };
    expect(paths(spec)).toEqual(['args[0]', 'args[1]', 'pyFiles[0]', 'pyFiles[1]', 'pyFiles[3]']);
    const byPath = new Map(problems(spec).map((p) => [p.path, p]));
    expect(byPath.get('pyFiles[1]')?.expected).toContain('a storage account allowed in settings');
    expect(byPath.get('pyFiles[1]')?.found).toBe('"otheraccount"');
    expect(byPath.get('args[1]')?.expected).toBe('an argument that is not a credential');
  });

  it('a bad field of driver does not hide a policy problem of its other fields', () => {
    expect(paths({ ...BASE_SPEC, driver: { memroy: '2g', cores: 200 } })).toEqual(['driver.cores', 'driver.memroy']);
  });

  it('an entry that fails the schema is reported once, never again by the policy', () => {
    const spec = {
      ...BASE_SPEC,
      conf: {
        'spark.master': 3,
        'spark.dynamicAllocation.enabled': 'true',
        'spark.dynamicAllocation.maxExecutors': 5,
        'spark.kubernetes.driver.limit.cores': ['2'],
      },
      env: { PATH: 1 },
      labels: { 'spark-role': 'not ok!' },
      pyFiles: ['abfss://jobs@otheraccount.dfs.core.windows.net/b.txt'],
    };
    const found = pathsInOrder(spec);
    expect(found.sort()).toEqual([
      'conf["spark.dynamicAllocation.maxExecutors"]',
      'conf["spark.kubernetes.driver.limit.cores"]',
      'conf["spark.master"]',
      'env.PATH',
      'labels["spark-role"]',
      'pyFiles[0]',
    ]);
    // The schema's word, not the policy's, for each of them.
    for (const p of problems(spec))
      expect(p.expected).not.toMatch(/jobs may set|does not own|label key outside|allowed in settings|without it dynamic allocation/);
  });

  it('a whole-field problem still sets the whole field aside', () => {
    const conf = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`spark.myapp.option${i}`, String(i)]));
    expect(
      paths({ ...BASE_SPEC, conf: { ...conf, 'spark.master': 'local' }, env: 'PATH=/bin', pyFiles: Array(65).fill('http://x/a.py') }),
    ).toEqual(['conf', 'env', 'pyFiles']);
  });

  it('no problem is reported twice across schema and policy', () => {
    const spec = {
      ...BASE_SPEC,
      namespace: 'kube-system',
      driver: { memroy: '2g', cores: 200 },
      conf: { 'spark.foo': 3, 'spark.master': 'local', 'spark master': 'x' },
      env: { '1BAD': 'x', PATH: '/bin' },
      pyFiles: ['http://x/a.py', 'http://x/a.py'],
    };
    const found = pathsInOrder(spec);
    expect(found.length).toBeGreaterThanOrEqual(9);
    expect(new Set(found).size).toBe(found.length);
  });
});
