/**
 * namespacePolicy: the one merge of a namespace's limits and defaults with the global ones, as
 * settings validation, job resolution and the namespace manifests all use it.
 */
import { describe, expect, it } from 'vitest';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { DEFAULT_LIMITS, namespacePolicy } from '../../src/domain/tenant/namespacePolicy.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import { BASE_SPEC, CLI_SOURCE, TENANT } from '../support/fixtures.js';

const parsed = parseSettings({
  limits: { maxExecutors: 12, maxDriverMemory: '16g' },
  defaults: { driver: { cores: 2 }, executor: { memory: '3g', instances: 4 }, deadlineSeconds: 600 },
  namespaces: {
    'spark-jobs': { limits: { maxExecutors: 6 }, defaults: { driver: { cores: 1, memory: '2g' }, executor: { instances: 3 } } },
    other: {},
  },
  storage: { accounts: { sparkdispatchdemo: { filesystems: ['jobs'] } } },
});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const settings = parsed.value;

describe('namespacePolicy', () => {
  it("limits: the namespace's own, else the global one, else the built-in one", () => {
    expect(namespacePolicy(settings, 'spark-jobs').limits).toEqual({ ...DEFAULT_LIMITS, maxExecutors: 6, maxDriverMemory: '16g' });
    expect(namespacePolicy(settings, 'other').limits).toEqual({ ...DEFAULT_LIMITS, maxExecutors: 12, maxDriverMemory: '16g' });
  });

  it("defaults: field by field, the namespace's own, else the global one, else none", () => {
    expect(namespacePolicy(settings, 'spark-jobs').defaults).toEqual({
      driver: { cores: 1, memory: '2g' },
      executor: { cores: undefined, memory: '3g', instances: 3 },
      deadlineSeconds: 600,
    });
  });

  it('a field set to undefined counts as not set', () => {
    const withUndefined = {
      ...settings,
      limits: { ...settings.limits, maxExecutors: undefined },
      namespaces: {
        a: {
          driverServiceAccount: 'sa',
          limits: { maxDriverCores: undefined },
          defaults: { executor: { instances: undefined }, deadlineSeconds: undefined },
        },
      },
    };
    const policy = namespacePolicy(withUndefined, 'a');
    expect(policy.limits).toEqual({ ...DEFAULT_LIMITS, maxDriverMemory: '16g' });
    expect(policy.defaults.executor.instances).toBe(4);
    expect(policy.defaults.deadlineSeconds).toBe(600);
  });

  it('a namespace not in the settings gets the global policy and no settings of its own', () => {
    const policy = namespacePolicy(settings, 'team-unknown');
    expect(policy.settings).toBeUndefined();
    expect(policy.limits).toEqual(namespacePolicy(settings, undefined).limits);
    expect(policy.limits.maxExecutors).toBe(12);
    expect(policy.defaults.executor).toMatchObject({ memory: '3g', instances: 4 });
  });

  it('only own keys are namespaces: "constructor" is not Object.prototype.constructor', () => {
    expect(namespacePolicy(settings, 'constructor').settings).toBeUndefined();
    const result = prepareJob({ ...BASE_SPEC, namespace: 'constructor' }, settings, { tenant: TENANT, source: CLI_SOURCE });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path)).toEqual(['namespace']);
  });

  it('job resolution enforces the same limits and applies the same defaults', () => {
    const over = prepareJob({ ...BASE_SPEC, executor: { instances: 7 } }, settings, { tenant: TENANT, source: CLI_SOURCE });
    expect(over.ok).toBe(false);
    if (!over.ok)
      expect(over.problems).toMatchObject([{ path: 'executor.instances', expected: 'at most 6 (the limit for namespace spark-jobs)' }]);
    const job = prepareJob(BASE_SPEC, settings, { tenant: TENANT, source: CLI_SOURCE });
    if (!job.ok) throw new Error(JSON.stringify(job.problems));
    expect(job.value.executor).toMatchObject({ memory: '3g', instances: 3 });
    expect(job.value.driver).toMatchObject({ cores: 1, memory: '2g' });
    expect(job.value.deadlineSeconds).toBe(600);
  });
});
