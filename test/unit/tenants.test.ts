/**
 * Tenants in settings: the two forms, what each tenant owns, and the boundaries settings refuse
 * to blur (a namespace, filesystem, queue or storage identity of two teams; a ledger a team's
 * drivers could write). Also the pure pieces of tenancy: who owns what, scoped keys, request
 * fingerprints, and a key taken by a different request.
 */
import { describe, expect, it } from 'vitest';
import { KeyTaken, recordStep } from '../../src/domain/intake/ledgerRecord.js';
import { abfsAuthConf } from '../../src/domain/render/abfsAuth.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString, type Problem } from '../../src/domain/spec/problem.js';
import {
  allAccounts,
  allNamespaces,
  namespaceOwner,
  onlyTenant,
  tenantOfFilesystem,
  tenantOfQueue,
} from '../../src/domain/tenant/tenancy.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import type { Settings } from '../../src/settings/settingsSchema.js';
import { namespacePolicy } from '../../src/domain/tenant/namespacePolicy.js';
import { requestFingerprint, scopedKey, tenantOfKey } from '../../src/domain/tenant/jobIdentity.js';

const AUTH = { mode: 'workload-identity', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' } as const;
const A_ID = 'aaaaaaaa-0000-4000-8000-00000000000a';
const B_ID = 'bbbbbbbb-0000-4000-8000-00000000000b';

const team = (name: string, clientId: string, extra: Record<string, unknown> = {}) => ({
  clientId,
  namespaces: { [`${name}-jobs`]: {} },
  storage: { lake1: { filesystems: [`${name}-code`, `${name}-data`] } },
  ...extra,
});

const two = (overrides: Record<string, unknown> = {}) => ({
  tenants: { alpha: team('alpha', A_ID), beta: team('beta', B_ID) },
  storage: { auth: AUTH },
  ...overrides,
});

function settingsOf(input: unknown): Settings {
  const r = parseSettings(input);
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value;
}

function problemsOf(input: unknown): readonly Problem[] {
  const r = parseSettings(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('settings: the two forms', () => {
  it('the single-team form (namespaces, storage.accounts, intake at the top) is the tenant "default", on serviceBus.jobQueue, with storage.auth.clientId', () => {
    const s = settingsOf({
      namespaces: { etl: {} },
      storage: { accounts: { lake1: { filesystems: ['jobs'] } }, auth: { ...AUTH, clientId: A_ID } },
    });
    expect(Object.keys(s.tenants)).toEqual(['default']);
    expect(s.tenants.default).toMatchObject({
      queue: 'spark-jobs',
      clientId: A_ID,
      namespaces: { etl: {} },
      storage: { lake1: { filesystems: ['jobs'] } },
    });
  });

  it('tenants: each with its queue (default <jobQueue>-<tenant>), identity, namespaces, storage and intake', () => {
    const s = settingsOf(two({ tenants: { alpha: team('alpha', A_ID, { queue: 'alpha-in' }), beta: team('beta', B_ID) } }));
    expect(s.tenants.alpha?.queue).toBe('alpha-in');
    expect(s.tenants.beta?.queue).toBe('spark-jobs-beta');
    expect(allNamespaces(s)).toEqual(['alpha-jobs', 'beta-jobs']);
    expect(allAccounts(s)).toEqual({ lake1: ['alpha-code', 'alpha-data', 'beta-code', 'beta-data'] });
  });

  it('parsing parsed settings again changes nothing (the local stack re-parses with overrides)', () => {
    const once = settingsOf(two());
    expect(settingsOf(once)).toEqual(once);
    const single = settingsOf({ namespaces: { etl: {} } });
    expect(settingsOf(single)).toEqual(single);
  });

  it('the forms cannot be mixed: every top-level tenant field is named', () => {
    const problems = problemsOf({ ...two(), namespaces: { x: {} }, defaultNamespace: 'x', intake: { templates: { t: {} } } });
    expect(problems.map((p) => p.path).sort()).toEqual(['settings.defaultNamespace', 'settings.intake.templates', 'settings.namespaces']);
    expect(problems[0]?.expected).toMatch(/nothing here when tenants are set: move it under tenants.<tenant> \(alpha, beta\)/);
  });

  it('neither form: says what is needed', () => {
    expect(problemsOf({})).toMatchObject([
      { path: 'settings.tenants', expected: expect.stringMatching(/the teams this installation serves/) },
    ]);
  });

  it('tenant ids are short label-safe names', () => {
    expect(problemsOf({ tenants: { 'Team A': team('a', A_ID) }, storage: { auth: AUTH } })[0]).toMatchObject({
      path: 'settings.tenants["Team A"]',
      found: 'the key "Team A"',
    });
  });
});

describe('settings: boundaries between tenants', () => {
  it.each([
    [
      'a namespace of two tenants',
      { beta: team('beta', B_ID, { namespaces: { 'alpha-jobs': {} } }) },
      'settings.tenants.beta.namespaces["alpha-jobs"]',
      /a namespace of one tenant only: it is also tenant alpha's/,
    ],
    [
      'a filesystem of two tenants',
      { beta: team('beta', B_ID, { storage: { lake1: { filesystems: ['alpha-data'] } } }) },
      'settings.tenants.beta.storage.lake1.filesystems[0]',
      /a filesystem \(lake1\/alpha-data\) of one tenant only: it is also tenant alpha's/,
    ],
    [
      'a queue of two tenants',
      { beta: team('beta', B_ID, { queue: 'spark-jobs-alpha' }) },
      'settings.tenants.beta.queue',
      /a job queue of one tenant only/,
    ],
    [
      'one storage identity for two tenants',
      { beta: team('beta', A_ID) },
      'settings.tenants.beta.clientId',
      /a storage identity \(client id\) of one tenant only/,
    ],
    [
      'a tenant without its own identity (workload identity)',
      { beta: { namespaces: { 'beta-jobs': {} }, storage: { lake1: { filesystems: ['beta-code'] } } } },
      'settings.tenants.beta.clientId',
      /the client id of the identity tenant beta's drivers use for lake1/,
    ],
  ])('%s is refused, named where it is written', (_title, tenants, path, expected) => {
    const problems = problemsOf(two({ tenants: { alpha: team('alpha', A_ID), ...tenants } }));
    expect(problems).toMatchObject([{ path, expected: expect.stringMatching(expected) }]);
  });

  it("the ledger container cannot be a tenant filesystem: the team's drivers could rewrite it", () => {
    const problems = problemsOf(two({ ledger: { account: 'lake1', container: 'alpha-data' } }));
    expect(problems).toMatchObject([
      {
        path: 'settings.tenants.alpha.storage.lake1.filesystems[1]',
        expected: expect.stringMatching(/a filesystem other than the ledger's/),
      },
    ]);
  });

  it("a per-account identity overrides the tenant one, and must be the tenant's alone too", () => {
    const own = settingsOf(
      two({
        tenants: {
          alpha: team('alpha', A_ID, {
            storage: { lake1: { filesystems: ['alpha-code'], clientId: 'cccccccc-0000-4000-8000-00000000000c' } },
          }),
          beta: team('beta', B_ID),
        },
      }),
    );
    expect(own.tenants.alpha?.storage.lake1?.clientId).toBe('cccccccc-0000-4000-8000-00000000000c');
    const shared = problemsOf(
      two({
        tenants: {
          alpha: team('alpha', A_ID),
          beta: team('beta', B_ID, { storage: { lake1: { filesystems: ['beta-code'], clientId: A_ID } } }),
        },
      }),
    );
    expect(shared).toMatchObject([{ path: 'settings.tenants.beta.storage.lake1.clientId' }]);
  });

  it("upload folders, rules and staging only in the tenant's own filesystems", () => {
    const problems = problemsOf(
      two({
        tenants: {
          alpha: team('alpha', A_ID),
          beta: team('beta', B_ID, {
            intake: {
              staging: { account: 'lake1', filesystem: 'alpha-code' },
              scriptUploads: [{ account: 'lake1', filesystem: 'alpha-code' }],
              rules: [{ name: 'r', filesystem: 'alpha-data', path: '**', template: 't' }],
              templates: { t: {} },
            },
          }),
        },
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'settings.tenants.beta.intake.rules[0].filesystem',
      'settings.tenants.beta.intake.scriptUploads[0].filesystem',
      'settings.tenants.beta.intake.staging.filesystem',
    ]);
  });

  it('limits: namespace, then tenant, then global', () => {
    const s = settingsOf(
      two({
        limits: { maxExecutors: 30 },
        tenants: { alpha: team('alpha', A_ID, { limits: { maxExecutors: 10 } }), beta: team('beta', B_ID) },
      }),
    );
    expect(namespacePolicy(s, 'alpha-jobs')).toMatchObject({ tenant: 'alpha', limits: { maxExecutors: 10 } });
    expect(namespacePolicy(s, 'beta-jobs')).toMatchObject({ tenant: 'beta', limits: { maxExecutors: 30 } });
  });
});

describe('who owns what', () => {
  const s = settingsOf(two({ tenants: { alpha: team('alpha', A_ID, { queue: 'alpha-in' }), beta: team('beta', B_ID) } }));

  it('queues, filesystems and namespaces each have one owner; unknown ones have none', () => {
    expect(tenantOfQueue(s, 'alpha-in')?.id).toBe('alpha');
    expect(tenantOfQueue(s, 'spark-jobs-beta')?.id).toBe('beta');
    expect(tenantOfQueue(s, 'spark-jobs')).toBeUndefined();
    expect(tenantOfFilesystem(s, 'lake1', 'beta-data')?.id).toBe('beta');
    expect(tenantOfFilesystem(s, 'lake1', 'ledger')).toBeUndefined();
    expect(tenantOfFilesystem(s, 'lake2', 'alpha-code')).toBeUndefined();
    expect(namespaceOwner(s, 'alpha-jobs')?.id).toBe('alpha');
    expect(namespaceOwner(s, 'constructor')).toBeUndefined();
    expect(onlyTenant(s)).toBeUndefined();
  });

  it('keys are <tenant>/<jobKey>; the tenant is what comes before the first /', () => {
    expect(scopedKey('alpha', 'beta/nightly')).toBe('alpha/beta/nightly');
    expect(tenantOfKey('alpha/beta/nightly')).toBe('alpha');
    expect(tenantOfKey('nightly')).toBeUndefined();
    expect(tenantOfKey('/nightly')).toBeUndefined();
  });

  it("a request resolves only in its own tenant: another team's namespace or filesystem is refused, naming the tenant", () => {
    const spec = { name: 'x', main: 'abfss://beta-code@lake1.dfs.core.windows.net/x/main.py', namespace: 'beta-jobs' };
    expect(prepareJob(spec, s, { tenant: 'beta', source: { kind: 'cli', ref: 't' } }).ok).toBe(true);
    const r = prepareJob(spec, s, { tenant: 'alpha', source: { kind: 'cli', ref: 't' } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path).sort()).toEqual(['main', 'namespace']);
      expect(r.problems.find((p) => p.path === 'namespace')).toMatchObject({
        expected: 'one of the allowed namespaces of tenant alpha (alpha-jobs)',
        hint: 'that namespace belongs to another tenant',
      });
    }
  });

  it("a job is keyed, named and configured as its tenant's: scoped key, tenant label, abfss settings with its identity only", () => {
    const r = prepareJob({ name: 'x', jobKey: 'nightly', main: 'abfss://alpha-code@lake1.dfs.core.windows.net/x/main.py' }, s, {
      tenant: 'alpha',
      source: { kind: 'cli', ref: 't' },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value).toMatchObject({ tenant: 'alpha', jobKey: 'alpha/nightly', namespace: 'alpha-jobs' });
    expect(Object.values(r.value.storageConf)).toContain(A_ID);
    expect(Object.values(r.value.storageConf)).not.toContain(B_ID);
    const other = prepareJob({ name: 'x', jobKey: 'nightly', main: 'abfss://beta-code@lake1.dfs.core.windows.net/x/main.py' }, s, {
      tenant: 'beta',
      source: { kind: 'cli', ref: 't' },
    });
    if (!other.ok) throw new Error(JSON.stringify(other.problems));
    // The same job key of another team is another job: other names, no collision in the cluster.
    expect(other.value.names.keyHash).not.toBe(r.value.names.keyHash);
  });

  it("abfss settings: exactly the hosts given, each with its own client id, else the installation's", () => {
    const conf = abfsAuthConf({ ...AUTH, clientId: B_ID }, [
      { host: 'b.dfs.core.windows.net', clientId: undefined },
      { host: 'a.dfs.core.windows.net', clientId: A_ID },
    ]);
    expect(conf['spark.hadoop.fs.azure.account.oauth2.client.id.a.dfs.core.windows.net']).toBe(A_ID);
    expect(conf['spark.hadoop.fs.azure.account.oauth2.client.id.b.dfs.core.windows.net']).toBe(B_ID);
    expect(Object.keys(conf).every((k) => k.endsWith('a.dfs.core.windows.net') || k.endsWith('b.dfs.core.windows.net'))).toBe(true);
  });
});

describe('request fingerprints and taken keys', () => {
  const now = new Date('2026-12-06T10:00:00Z');

  it('the same spec is the same request whatever its key; another spec, or another tenant, is not', () => {
    const spec = { name: 'x', main: 'abfss://a@b.dfs.core.windows.net/m.py', args: ['1'] };
    expect(requestFingerprint('alpha', { ...spec, jobKey: 'k1' })).toBe(
      requestFingerprint('alpha', { args: ['1'], main: spec.main, name: 'x' }),
    );
    expect(requestFingerprint('alpha', { ...spec, args: ['2'] })).not.toBe(requestFingerprint('alpha', spec));
    expect(requestFingerprint('beta', spec)).not.toBe(requestFingerprint('alpha', spec));
  });

  it("a step with the holder's fingerprint goes on; another fingerprint throws KeyTaken and changes nothing", () => {
    const held = recordStep(undefined, 'alpha/k', { state: 'received', fingerprint: 'f1', name: 'first', namespace: 'alpha-jobs' }, now);
    expect(recordStep(held, 'alpha/k', { state: 'launched', fingerprint: 'f1' }, now).state).toBe('launched');
    expect(() => recordStep(held, 'alpha/k', { state: 'received', fingerprint: 'f2' }, now)).toThrow(KeyTaken);
    expect(() => recordStep(held, 'alpha/k', { state: 'received', fingerprint: 'f2' }, now)).toThrow(
      /already taken by a different request \(first in alpha-jobs, received since/,
    );
    // A step without a fingerprint (a later step of the holder) never conflicts.
    expect(recordStep(held, 'alpha/k', { state: 'deferred' }, now).fingerprint).toBe('f1');
  });

  it('a record without a fingerprint (written before fingerprints) can be claimed', () => {
    const legacy = recordStep(undefined, 'alpha/k', { state: 'rejected', reasons: ['old'] }, now);
    expect(recordStep(legacy, 'alpha/k', { state: 'received', fingerprint: 'f1' }, now).fingerprint).toBe('f1');
  });
});
