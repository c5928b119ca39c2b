import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { clusterBundle, namespaceBundle } from '../../src/domain/render/namespaceBundle.js';
import { DEFAULT_IMAGES } from '../../src/settings/settingsSchema.js';
import { runCli } from '../support/runCli.js';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { hard?: Record<string, string> };
  subjects?: Record<string, string>[];
}

/** Parses a YAML stream, failing on any YAML error. */
function stream(text: string): Doc[] {
  return parseAllDocuments(text).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Doc;
  });
}

const BUNDLE_KINDS = [
  'Namespace',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ValidatingAdmissionPolicyBinding',
  'Role',
  'RoleBinding',
  'ResourceQuota',
  'LimitRange',
  'NetworkPolicy',
  'NetworkPolicy',
  'NetworkPolicy',
  'NetworkPolicy',
];
const DEMO_CLIENT_ID = '11111111-1111-1111-1111-111111111111';
const OBJECT_ID = '8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b';
const find = (docs: Doc[], kind: string, name?: string) =>
  docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name))!;

describe('spark-dispatch manifests', () => {
  it('prints a parseable YAML stream of the team bundle, defaults from the settings', async () => {
    const r = await runCli(['manifests', '--namespace', 'spark-jobs', '--profile', 'aks', '--dispatcher-principal', `User:${OBJECT_ID}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('---\n')).toBe(true);
    const docs = stream(r.stdout);
    expect(docs.map((d) => d.kind)).toEqual(BUNDLE_KINDS);
    expect(
      docs.every((d) => ['Namespace', 'ValidatingAdmissionPolicyBinding'].includes(d.kind) || d.metadata.namespace === 'spark-jobs'),
    ).toBe(true);
    // The demo settings: driver SA spark-driver, no cap set (default 10), workload identity with its client id.
    expect(find(docs, 'ServiceAccount').metadata).toMatchObject({
      name: 'spark-driver',
      annotations: { 'azure.workload.identity/client-id': DEMO_CLIENT_ID },
    });
    expect(find(docs, 'ResourceQuota').spec!.hard).toEqual({ pods: '10' });
    expect(find(docs, 'RoleBinding', 'spark-dispatch').subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: OBJECT_ID },
    ]);
  });

  it('without --dispatcher-principal on aks, binds a placeholder and says so', async () => {
    const r = await runCli(['manifests', '--namespace', 'spark-jobs', '--profile', 'aks', '--client-id', OBJECT_ID]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('pass --dispatcher-principal User:<object id');
    const docs = stream(r.stdout);
    expect(find(docs, 'RoleBinding', 'spark-dispatch').subjects![0]).toMatchObject({
      kind: 'User',
      name: '00000000-0000-0000-0000-000000000000',
    });
    expect(find(docs, 'ServiceAccount').metadata.annotations).toEqual({ 'azure.workload.identity/client-id': OBJECT_ID });
  });

  it('reproduces infra/kubernetes/base exactly (openshift, cap 20, with the cluster PriorityClass)', async () => {
    const r = await runCli(['manifests', '--namespace', 'spark-jobs', '--profile', 'openshift', '--cap', '20', '--include-cluster']);
    expect(r.code).toBe(0);
    const docs = stream(r.stdout);
    expect(docs[0]!.kind).toBe('PriorityClass');
    const base = readdirSync('infra/kubernetes/base')
      .filter((n) => n !== 'kustomization.yaml')
      .flatMap((n) => stream(readFileSync(join('infra/kubernetes/base', n), 'utf8')));
    const id = (d: Doc) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;
    const sorted = (list: Doc[]) => [...list].sort((a, b) => id(a).localeCompare(id(b)));
    expect(sorted(docs)).toEqual(sorted(base));
  });

  it('openshift: a ServiceAccount principal in its own namespace, no Workload Identity annotation, --cap wins', async () => {
    const r = await runCli([
      'manifests',
      '--namespace',
      'team-a',
      '--profile',
      'openshift',
      '--cap',
      '5',
      '--dispatcher-principal',
      'ServiceAccount:dispatcher:ops',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("team-a is no tenant's namespace in settings");
    const docs = stream(r.stdout);
    expect(find(docs, 'Namespace').metadata.name).toBe('team-a');
    expect(find(docs, 'ServiceAccount').metadata.annotations).toBeUndefined();
    expect(find(docs, 'ResourceQuota').spec!.hard).toEqual({ pods: '5' });
    expect(find(docs, 'RoleBinding', 'spark-dispatch').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'dispatcher', namespace: 'ops' },
    ]);
    expect(r.stdout).not.toMatch(/runAsUser|fsGroup/);
  });

  it('takes the namespace, profile, service account, cap and priority class from --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-manifests-'));
    const config = join(dir, 'settings.yaml');
    writeFileSync(
      config,
      [
        'clusterProfile: openshift',
        'driverPriorityClassName: batch-drivers',
        'defaultNamespace: analytics',
        'namespaces:',
        '  analytics: { driverServiceAccount: analytics-spark, maxConcurrentDrivers: 7 }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['manifests', '--config', config, '--include-cluster']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(stream(r.stdout)).toEqual([
      ...clusterBundle({ priorityClassName: 'batch-drivers', images: Object.values(DEFAULT_IMAGES).map((entry) => entry.image) }),
      ...namespaceBundle({
        namespace: 'analytics',
        profile: 'openshift',
        driverServiceAccount: 'analytics-spark',
        priorityClassName: 'batch-drivers',
        maxConcurrentDrivers: 7,
        dispatcherPrincipal: { kind: 'ServiceAccount', name: 'spark-dispatch', namespace: 'spark-dispatch-system' },
      }),
    ]);
  });

  it('storage.auth managed-identity opens IMDS for the drivers; workload identity does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-manifests-'));
    const config = join(dir, 'settings.json');
    writeFileSync(config, JSON.stringify({ namespaces: { 'spark-jobs': {} }, storage: { auth: { mode: 'managed-identity' } } }));
    const msi = await runCli(['manifests', '--config', config, '--namespace', 'spark-jobs', '--dispatcher-principal', `User:${OBJECT_ID}`]);
    expect(msi.code).toBe(0);
    expect(msi.stdout).toContain('cidr: 169.254.169.254/32');
    const wi = await runCli(['manifests', '--namespace', 'spark-jobs', '--dispatcher-principal', `User:${OBJECT_ID}`]);
    expect(wi.stdout).not.toContain('169.254.169.254');
  });

  it("sizes the LimitRange from the namespace's limits, merged with the global ones as jobs see them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-manifests-'));
    const config = join(dir, 'settings.json');
    writeFileSync(
      config,
      JSON.stringify({
        namespaces: { 'team-a': { limits: { maxExecutorCores: 16 } }, 'team-b': {} },
        limits: { maxExecutorMemory: '128g', maxExecutorCores: 4 },
        defaultNamespace: 'team-a',
      }),
    );
    const limitOf = async (namespace: string) => {
      const r = await runCli(['manifests', '--config', config, '--namespace', namespace, '--profile', 'openshift']);
      expect(r.code).toBe(0);
      return (
        find(stream(r.stdout), 'LimitRange') as Doc & {
          spec: { limits: { default: Record<string, string>; max: Record<string, string> }[] };
        }
      ).spec.limits[0]!;
    };
    // 128g + 40 % Python overhead = 179.2 GiB, rounded up; the CPU default is the largest core limit.
    expect(await limitOf('team-a')).toMatchObject({ default: { cpu: '16' }, max: { memory: '180Gi' } });
    expect(await limitOf('team-b')).toMatchObject({ default: { cpu: '8' }, max: { memory: '180Gi' } });
  });

  it('--storage-cidr and --api-server-cidr narrow the egress policy', async () => {
    const r = await runCli([
      'manifests',
      '--namespace',
      'spark-jobs',
      '--profile',
      'openshift',
      '--storage-cidr',
      '10.1.2.0/24',
      '--api-server-cidr',
      '10.0.0.1/32',
      '--api-server-cidr',
      '10.0.0.2/32',
    ]);
    expect(r.code).toBe(0);
    const egress = find(stream(r.stdout), 'NetworkPolicy', 'spark-egress') as Doc & { spec: { egress: { to?: unknown[] }[] } };
    expect(egress.spec.egress.at(-1)!.to).toEqual([{ ipBlock: { cidr: '10.1.2.0/24' } }]);
    expect(egress.spec.egress.at(-2)!.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '10.0.0.2/32' } }]);
  });

  it.each([
    [['--profile', 'gke'], '--profile must be one of aks, openshift, not "gke"'],
    [['--cap=-1'], '--cap must be a whole number from 0 to 100000'],
    [['--cap', 'ten'], '--cap must be a whole number'],
    [['--client-id', 'not-a-guid'], '--client-id must be a GUID'],
    [['--profile', 'openshift', '--client-id', OBJECT_ID], '--client-id is for the aks profile'],
    [['--dispatcher-principal', 'Robot:r2'], '--dispatcher-principal must be KIND:NAME[:NAMESPACE]'],
    [['--dispatcher-principal', 'User'], '--dispatcher-principal must be KIND:NAME[:NAMESPACE]'],
    [['--dispatcher-principal', 'ServiceAccount:a:b:c'], 'ServiceAccount:NAME[:NAMESPACE]'],
    [['--namespace', 'Team_A'], '--namespace must be a Kubernetes namespace name'],
    [['--storage-cidr', '10.0.0.0'], '--storage-cidr must be a CIDR'],
    [['--colour', 'red'], 'unknown option --colour; manifests takes'],
    [['extra'], 'unexpected argument "extra"'],
  ])('exit 2 on bad flags: %j', async (flags, message) => {
    const r = await runCli(['manifests', '--namespace', 'spark-jobs', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Run "spark-dispatch manifests --help" for usage.');
  });
});
