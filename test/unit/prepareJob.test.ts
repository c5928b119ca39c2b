import { describe, expect, it } from 'vitest';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { BASE_SPEC, CLI_SOURCE, settingsWith } from '../support/fixtures.js';

const paths = (raw: unknown) => {
  const r = prepareJob(raw, settingsWith(), { source: CLI_SOURCE });
  return r.ok ? [] : r.problems.map((p) => p.path).sort();
};

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
});
