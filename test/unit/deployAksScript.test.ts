/**
 * Issue "From nothing to a first real job", item 3: infra/aks/deploy.sh runs the AKS runbook in
 * order. Run here against fake `az`, `kubectl`, `kubelogin`, `npx`, `npm` and `zip` on PATH that
 * keep what they "created" in a state file and record every call, as storageEventsScript.test.ts
 * does for the Event Grid script (which deploy.sh runs, against the same fake az): the order of
 * the steps, the drivers' identities before the Bicep, the values handed from step to step
 * (principal and client ids, the issuer, the API URL and CA data), and a second run that creates
 * nothing again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/settings/loadSettings.js';
import { evaluate, parseBicep, RuntimeValue, type Value } from '../support/bicep.js';
import { runCli } from '../support/runCli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'infra/aks/deploy.sh');
const PARAMETERS = join(ROOT, 'infra/azure/main.parameters.tenants.example.json');
const mainBicep = parseBicep(readFileSync(join(ROOT, 'infra/azure/main.bicep'), 'utf8'));

const RG = 'rg-spark';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ALICE = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const ISSUER = 'https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/';
const FQDN = 'contoso-aks-dns-1a2b3c.hcp.westeurope.azmk8s.io';
const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n').toString('base64');
const FUNCTION_PRINCIPAL = '11111111-1111-1111-1111-111111111111';
const HOST = 'contoso-spark-dispatch.azurewebsites.net';
const ARM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers`;

/** The fake's ids for an identity: GUIDs derived from its name. */
function guidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `az deployment group create … --query properties.outputs` of main.bicep for the parameters. */
function outputsFor(parameters: Record<string, unknown>): Record<string, { type: string; value: unknown }> {
  const deployed = (v: Value): unknown => {
    if (v instanceof RuntimeValue) return v.expression === 'functionApp.properties.defaultHostName' ? HOST : FUNCTION_PRINCIPAL;
    if (typeof v === 'string') {
      const standIn = /^<([^/]+\/[^/]+)\/(.+)>$/.exec(v);
      return standIn ? `${ARM}/${standIn[1]}/${standIn[2]}` : v;
    }
    if (Array.isArray(v)) return v.map(deployed);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deployed(x)]));
    return v;
  };
  return Object.fromEntries(
    [...mainBicep.outputs].map(([name, o]) => [
      name,
      { type: o.type, value: deployed(evaluate(o.value, { file: mainBicep, parameters })) },
    ]),
  );
}

// One node program stands in for every tool; `tool` is argv[2]. State: what exists, in state.json.
const FAKE = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const [tool, ...args] = process.argv.slice(2);
const dir = process.env.FAKE_DIR;
const statePath = path.join(dir, 'state.json');
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : { groups: [], clusters: {}, identities: {}, credentials: {}, roles: [], counters: {} };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const entry = { tool, args, cwd: process.cwd() };
if (tool === 'kubectl') entry.kubeconfig = process.env.KUBECONFIG;
if (tool === 'npx') entry.settingsVariables = Object.keys(process.env).filter((k) => k === 'SPARK_DISPATCH_SETTINGS' || k === 'SPARK_DISPATCH_CONFIG' || k.startsWith('SPARK_DISPATCH__'));
const log = (extra) => fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ ...entry, ...extra }) + '\n');
const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const has = (name) => args.includes(name);
const out = (v) => process.stdout.write(typeof v === 'string' ? v + '\n' : JSON.stringify(v) + '\n');
const fail = (message, code = 3) => { log({ unexpected: true }); process.stderr.write('fake ' + tool + ': ' + message + '\n'); process.exit(code); };
const count = (name) => { state.counters[name] = (state.counters[name] || 0) + 1; save(); return state.counters[name]; };
const guid = (text) => { const h = crypto.createHash('sha256').update(text).digest('hex'); return h.slice(0, 8) + '-' + h.slice(8, 12) + '-4' + h.slice(13, 16) + '-8' + h.slice(17, 20) + '-' + h.slice(20, 32); };
const nameIn = (query) => (/name=='([^']+)'/.exec(query || '') || [])[1];
const w = args.slice(0, 3).join(' ');

if (tool === 'az') {
  if (w.startsWith('account show')) { log(); out({ subscription: process.env.FAKE_SUBSCRIPTION, tenant: process.env.FAKE_TENANT, user: { name: 'alice@contoso.com', type: 'user' } }); }
  else if (w.startsWith('group exists')) { log(); out(state.groups.includes(opt('--name')) ? 'true' : 'false'); }
  else if (w.startsWith('group create')) { log(); state.groups.push(opt('--name')); save(); }
  else if (w.startsWith('aks list')) { log(); out(state.clusters[nameIn(opt('--query'))] ? '1' : '0'); }
  else if (w.startsWith('aks create')) { log(); state.clusters[opt('--name')] = { issuer: process.env.FAKE_ISSUER, workloadIdentity: true, entraId: true, azureRbac: false, fqdn: process.env.FAKE_FQDN, privateFqdn: null }; save(); }
  else if (w.startsWith('aks update')) { log(); const c = state.clusters[opt('--name')]; if (has('--enable-oidc-issuer')) { c.issuer = process.env.FAKE_ISSUER; c.workloadIdentity = true; } save(); }
  else if (w.startsWith('aks show')) { log(); const c = state.clusters[opt('--name')]; if (!c) fail('ResourceNotFound'); out(c); }
  else if (w.startsWith('aks get-credentials')) { log(); fs.writeFileSync(opt('--file'), 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ' + process.env.FAKE_CA + '\n    server: https://' + process.env.FAKE_FQDN + ':443\n  name: aks\n'); }
  else if (w.startsWith('identity list')) { log(); out(state.identities[nameIn(opt('--query'))] ? '1' : '0'); }
  else if (w.startsWith('identity create')) { log(); const n = opt('--name'); state.identities[n] = { principalId: guid('principal ' + n), clientId: guid('client ' + n) }; save(); }
  else if (w.startsWith('identity show')) { log(); const i = state.identities[opt('--name')]; if (!i) fail('ResourceNotFound'); out(i); }
  else if (w === 'identity federated-credential list') { log(); out(state.credentials[opt('--identity-name') + '/' + nameIn(opt('--query'))] || null); }
  else if (w === 'identity federated-credential create') { log(); state.credentials[opt('--identity-name') + '/' + opt('--name')] = { name: opt('--name'), issuer: opt('--issuer'), subject: opt('--subject'), audiences: [opt('--audiences')] }; save(); }
  else if (w.startsWith('deployment group create')) {
    const file = opt('--parameters').replace(/^@/, '');
    log({ parameters: JSON.parse(fs.readFileSync(file, 'utf8')) });
    out(JSON.parse(fs.readFileSync(path.join(dir, 'outputs.json'), 'utf8')));
  }
  else if (w === 'functionapp deployment source') { log({ zipExists: fs.existsSync(opt('--src')) }); }
  else if (w === 'functionapp function list') { log(); out(count('functions') < 2 ? '' : ['jobMessages-spark-jobs-analytics', 'jobMessages-sales-spark-jobs', 'storageEvents', 'sweeper'].map((f) => opt('--name') + '/' + f).join('\n')); }
  else if (w === 'functionapp keys list') { log(); out('Ab3+/xY_z-9kQ=='); }
  else if (args[0] === 'rest') { log(); if (opt('--method') === 'get') out('Succeeded'); }
  else if (w.startsWith('ad signed-in-user show')) { log(); out(process.env.FAKE_ME); }
  else if (w.startsWith('role assignment list')) { log(); out(String(state.roles.filter((r) => r.assignee === opt('--assignee') && r.role === opt('--role') && r.scope === opt('--scope')).length)); }
  else if (w.startsWith('role assignment create')) { log(); state.roles.push({ assignee: opt('--assignee-object-id'), type: opt('--assignee-principal-type'), role: opt('--role'), scope: opt('--scope') }); save(); }
  else fail('unexpected call: az ' + args.join(' '));
} else if (tool === 'kubectl') {
  if (args[0] === 'config' && args[1] === 'view') { log(); const m = /certificate-authority-data: (\S+)/.exec(fs.readFileSync(process.env.KUBECONFIG, 'utf8')); process.stdout.write(m ? m[1] : ''); }
  else if (args[0] === 'apply') { log({ stdin: fs.readFileSync(0, 'utf8') }); out('applied'); }
  else fail('unexpected call: kubectl ' + args.join(' '));
} else if (tool === 'kubelogin') { log(); }
else if (tool === 'npx') {
  const [noInstall, bin, command, ...rest] = args;
  if (noInstall !== '--no-install' || bin !== 'spark-dispatch') fail('unexpected call: npx ' + args.join(' '));
  const config = rest.includes('--config') ? rest[rest.indexOf('--config') + 1] : undefined;
  if (command === 'manifests') { log({ settings: JSON.parse(fs.readFileSync(config, 'utf8')) }); out('---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ' + rest[rest.indexOf('--namespace') + 1]); }
  else if (command === 'settings') { log(); fs.writeFileSync(rest[rest.indexOf('--out') + 1], 'ledger: { account: contosolake }\n'); out('wrote settings'); }
  else if (command === 'upload') { log({ jobYaml: fs.readFileSync(rest[rest.indexOf('--job-file') + 1], 'utf8') }); out('uploaded: the storage event starts job "wordcount"\n  job id:  0123456789abcdef   (spark-dispatch status 0123456789abcdef)\n  job key: analytics/upload:x'); }
  else if (command === 'status') {
    log();
    if (rest.includes('json')) { if (count('status') < 2) { process.stderr.write('no job'); process.exit(1); } out({ state: process.env.FAKE_STATE || 'launched' }); }
    else out('state:     launched');
  }
  else fail('unexpected call: npx ' + args.join(' '));
} else if (tool === 'npm') {
  log();
  if (args[0] === 'ci') fs.mkdirSync('node_modules', { recursive: true });
} else if (tool === 'zip') { log(); fs.writeFileSync(args[1], 'PK fake'); }
else fail('no such fake');
`;

interface Call {
  tool: string;
  args: string[];
  cwd: string;
  kubeconfig?: string;
  settingsVariables?: string[];
  unexpected?: boolean;
  parameters?: { parameters: Record<string, { value: unknown }> };
  settings?: unknown;
  stdin?: string;
  jobYaml?: string;
  zipExists?: boolean;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fake world: the tools on PATH and their state, kept across runs. */
function world(state?: object): {
  dir: string;
  run: (args: string[], env?: Record<string, string>) => { status: number | null; stdout: string; stderr: string; calls: Call[] };
} {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-aks-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(dir, 'fake.cjs'), FAKE);
  for (const tool of ['az', 'kubectl', 'kubelogin', 'npx', 'npm', 'zip']) {
    writeFileSync(join(bin, tool), `#!/usr/bin/env bash\nexec node "${join(dir, 'fake.cjs')}" ${tool} "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  const example = JSON.parse(readFileSync(PARAMETERS, 'utf8')) as { parameters: Record<string, { value: unknown }> };
  writeFileSync(
    join(dir, 'outputs.json'),
    JSON.stringify(outputsFor(Object.fromEntries(Object.entries(example.parameters).map(([k, v]) => [k, v.value])))),
  );
  if (state) writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  const run = (args: string[], env: Record<string, string> = {}) => {
    const callsPath = join(dir, 'calls.jsonl');
    rmSync(callsPath, { force: true });
    const result = spawnSync(SCRIPT, args, {
      encoding: 'utf8',
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        FAKE_DIR: dir,
        FAKE_SUBSCRIPTION: SUBSCRIPTION,
        FAKE_TENANT: ENTRA_TENANT,
        FAKE_ISSUER: ISSUER,
        FAKE_FQDN: FQDN,
        FAKE_CA: CA_DATA,
        FAKE_ME: ALICE,
        SPARK_DISPATCH_WAIT_SECONDS: '0',
        SPARK_DISPATCH_WAIT_ATTEMPTS: '5',
        GITHUB_ACTIONS: '',
        // Must not leak into the CLI calls: the script unsets them.
        SPARK_DISPATCH_SETTINGS: '{"broken": true}',
        SPARK_DISPATCH__ledger__account: 'wronglake',
        ...env,
      },
    });
    const calls = existsSync(callsPath)
      ? readFileSync(callsPath, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Call)
      : [];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  };
  return { dir, run };
}

const ARGS = (dir: string) => [
  '--resource-group',
  RG,
  '--location',
  'westeurope',
  '--cluster',
  'contoso-aks',
  '--parameters',
  PARAMETERS,
  '--admin-group',
  '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  '--out-dir',
  join(dir, 'out'),
];
const words = (c: Call) => `${c.tool} ${c.args.slice(0, 3).join(' ')}`;
const isCall = (c: Call, tool: string, ...first: string[]) => c.tool === tool && first.every((w, i) => c.args[i] === w);
const opt = (c: Call, name: string) => c.args[c.args.indexOf(name) + 1];

describe('item 3: infra/aks/deploy.sh, the AKS runbook in order', () => {
  const w = world();
  const first = w.run(ARGS(w.dir));
  const out = join(w.dir, 'out');
  const at = (predicate: (c: Call) => boolean) => first.calls.findIndex(predicate);
  const last = (predicate: (c: Call) => boolean) => first.calls.findLastIndex(predicate);

  it('runs to the end on an empty resource group, calling nothing it does not expect', () => {
    expect(first.calls.filter((c) => c.unexpected)).toEqual([]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`done. Next: export SPARK_DISPATCH_CONFIG=${join(out, 'spark-dispatch.yaml')}`);
  });

  it('in the order that works: group, cluster, identities, Bicep, namespaces, code, Event Grid, CLI settings, first job', () => {
    const order = [
      at((c) => isCall(c, 'npm', 'run', '--silent', 'build')),
      at((c) => isCall(c, 'az', 'group', 'create')),
      at((c) => isCall(c, 'az', 'aks', 'create')),
      at((c) => isCall(c, 'az', 'aks', 'get-credentials')),
      at((c) => isCall(c, 'kubectl', 'config', 'view')),
      at((c) => isCall(c, 'az', 'identity', 'create')),
      at((c) => isCall(c, 'az', 'identity', 'federated-credential', 'create')),
      at((c) => isCall(c, 'az', 'deployment', 'group', 'create')),
      at((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'manifests')),
      at((c) => isCall(c, 'kubectl', 'apply')),
      at((c) => isCall(c, 'az', 'functionapp', 'deployment', 'source', 'config-zip')),
      at((c) => isCall(c, 'az', 'functionapp', 'function', 'list')),
      at((c) => isCall(c, 'az', 'functionapp', 'keys', 'list')),
      at((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'settings', 'pull')),
      at((c) => isCall(c, 'az', 'role', 'assignment', 'create')),
      at((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'upload')),
      at((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'status')),
    ];
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The identities and their federated credentials come before the Bicep, which takes their principal ids.
    const bicep = at((c) => isCall(c, 'az', 'deployment', 'group', 'create'));
    expect(last((c) => isCall(c, 'az', 'identity', 'federated-credential', 'create'))).toBeLessThan(bicep);
    // The code is indexed before the Event Grid webhook is subscribed.
    expect(last((c) => isCall(c, 'az', 'functionapp', 'function', 'list'))).toBeLessThan(at((c) => isCall(c, 'az', 'rest')));
  });

  it('creates the cluster with Entra ID (Kubernetes RBAC, not Azure RBAC), the OIDC issuer and Workload Identity', () => {
    const create = first.calls.find((c) => isCall(c, 'az', 'aks', 'create'))!;
    expect(create.args).toEqual(
      expect.arrayContaining([
        '--enable-aad',
        '--aad-admin-group-object-ids',
        '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        '--enable-oidc-issuer',
        '--enable-workload-identity',
      ]),
    );
    expect(create.args).not.toContain('--enable-azure-rbac');
    // kubectl signs in with az login, from a kubeconfig of its own.
    expect(first.calls.find((c) => c.tool === 'kubelogin')!.args).toEqual([
      'convert-kubeconfig',
      '--login',
      'azurecli',
      '--kubeconfig',
      join(out, 'kubeconfig'),
    ]);
    for (const c of first.calls.filter((x) => x.tool === 'kubectl')) expect(c.kubeconfig).toBe(join(out, 'kubeconfig'));
  });

  it("one driver identity per team, federated to each namespace's driver service account with the cluster's issuer", () => {
    expect(first.calls.filter((c) => isCall(c, 'az', 'identity', 'create')).map((c) => opt(c, '--name'))).toEqual([
      'spark-dispatch-analytics-driver',
      'spark-dispatch-sales-driver',
    ]);
    expect(
      first.calls
        .filter((c) => isCall(c, 'az', 'identity', 'federated-credential', 'create'))
        .map((c) => [opt(c, '--identity-name'), opt(c, '--name'), opt(c, '--issuer'), opt(c, '--subject'), opt(c, '--audiences')]),
    ).toEqual([
      [
        'spark-dispatch-analytics-driver',
        'team-analytics',
        ISSUER,
        'system:serviceaccount:team-analytics:spark-driver',
        'api://AzureADTokenExchange',
      ],
      ['spark-dispatch-sales-driver', 'team-sales', ISSUER, 'system:serviceaccount:team-sales:spark-driver', 'api://AzureADTokenExchange'],
    ]);
  });

  it("gives the Bicep each identity's principal id and the settings its client id, the Entra tenant, the API URL and CA data", () => {
    const deployed = first.calls.find((c) => isCall(c, 'az', 'deployment', 'group', 'create'))!;
    expect(opt(deployed, '--template-file')).toBe(join(ROOT, 'infra/azure/main.bicep'));
    const p = deployed.parameters!.parameters;
    expect(
      (p.tenants!.value as { name: string; driverIdentityPrincipalId: string }[]).map((t) => [t.name, t.driverIdentityPrincipalId]),
    ).toEqual([
      ['analytics', guidOf('principal spark-dispatch-analytics-driver')],
      ['sales', guidOf('principal spark-dispatch-sales-driver')],
    ]);
    const settings = p.sparkDispatchSettings!.value as {
      tenants: Record<string, { clientId: string }>;
      storage: { auth: { tenantId: string } };
      kubernetes: { auth: unknown };
    };
    expect(settings.tenants.analytics!.clientId).toBe(guidOf('client spark-dispatch-analytics-driver'));
    expect(settings.tenants.sales!.clientId).toBe(guidOf('client spark-dispatch-sales-driver'));
    expect(settings.storage.auth.tenantId).toBe(ENTRA_TENANT);
    expect(settings.kubernetes.auth).toEqual({ mode: 'aks-entra', apiUrl: `https://${FQDN}:443`, caData: CA_DATA });
    // What the Function will parse.
    expect(parseSettings(settings).ok).toBe(true);
    // Nothing else of the file changed.
    const example = JSON.parse(readFileSync(PARAMETERS, 'utf8')) as { parameters: Record<string, { value: unknown }> };
    for (const name of Object.keys(example.parameters).filter((n) => n !== 'tenants' && n !== 'sparkDispatchSettings'))
      expect(p[name], name).toEqual(example.parameters[name]);
  });

  it("binds the Function's principal id from the outputs in each namespace, with the team's client id, the cluster objects once", async () => {
    const manifests = first.calls.filter((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'manifests'));
    expect(
      manifests.map((c) => [
        opt(c, '--namespace'),
        opt(c, '--client-id'),
        opt(c, '--dispatcher-principal'),
        c.args.includes('--include-cluster'),
      ]),
    ).toEqual([
      ['team-analytics', guidOf('client spark-dispatch-analytics-driver'), `User:${FUNCTION_PRINCIPAL}`, true],
      ['team-sales', guidOf('client spark-dispatch-sales-driver'), `User:${FUNCTION_PRINCIPAL}`, false],
    ]);
    expect(first.calls.filter((c) => isCall(c, 'kubectl', 'apply')).map((c) => c.stdin)).toEqual([
      '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-analytics\n',
      '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-sales\n',
    ]);
    // The settings the CLI got, and not the environment's SPARK_DISPATCH_* variables...
    for (const c of first.calls.filter((x) => x.tool === 'npx')) expect(c.settingsVariables).toEqual([]);
    const settingsFile = opt(manifests[0]!, '--config');
    expect(manifests[0]!.settings).toEqual(
      first.calls.find((c) => isCall(c, 'az', 'deployment', 'group', 'create'))!.parameters!.parameters.sparkDispatchSettings!.value,
    );
    // ...with which the real command makes the RoleBinding and the annotated service account.
    const real = await runCli(manifests[1]!.args.slice(2), {}, w.dir);
    expect(real.code).toBe(0);
    expect(settingsFile).toBe(join(out, 'settings.json'));
    const objects = real.stdout
      .split(/^---$/m)
      .filter((d) => d.trim() !== '')
      .map(
        (d) =>
          parseYaml(d) as { kind: string; metadata: { name: string; annotations?: Record<string, string> }; subjects?: { name: string }[] },
      );
    expect(objects.find((o) => o.kind === 'ServiceAccount')!.metadata.annotations!['azure.workload.identity/client-id']).toBe(
      guidOf('client spark-dispatch-sales-driver'),
    );
    expect(objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'spark-dispatch')!.subjects).toEqual([
      expect.objectContaining({ kind: 'User', name: FUNCTION_PRINCIPAL }),
    ]);
  });

  it('deploys a package built apart, waits for the functions, subscribes the webhook, pulls the CLI settings', () => {
    expect(first.calls.filter((c) => c.tool === 'npm').map((c) => [c.args.join(' '), c.cwd])).toEqual([
      ['run --silent build', join(ROOT, '.')],
      // The package holds the functions and what they import (tsconfig.app.json), not the CLI's build.
      [`run build:app --silent -- --outDir ${join(out, 'package', 'dist')}`, join(ROOT, '.')],
      ['ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error', join(out, 'package')],
    ]);
    const zip = first.calls.find((c) => isCall(c, 'az', 'functionapp', 'deployment', 'source', 'config-zip'))!;
    expect([opt(zip, '--name'), opt(zip, '--src'), zip.zipExists]).toEqual(['contoso-spark-dispatch', join(out, 'app.zip'), true]);
    expect(first.calls.filter((c) => isCall(c, 'az', 'functionapp', 'function', 'list'))).toHaveLength(2);
    expect(first.calls.filter((c) => isCall(c, 'az', 'rest') && c.args.includes('put')).map((c) => opt(c, '--uri'))).toEqual([
      `${ARM}/Microsoft.EventGrid/systemTopics/contosolake-events/eventSubscriptions/spark-dispatch-storage-events-analytics?api-version=2025-02-15`,
      `${ARM}/Microsoft.EventGrid/systemTopics/contosolake-events/eventSubscriptions/spark-dispatch-storage-events-sales?api-version=2025-02-15`,
    ]);
    const pull = first.calls.find((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'settings', 'pull'))!;
    expect(pull.args.slice(2)).toEqual([
      'settings',
      'pull',
      '--app',
      'contoso-spark-dispatch',
      '--resource-group',
      RG,
      '--out',
      join(out, 'spark-dispatch.yaml'),
    ]);
    expect(pull.cwd).toBe(join(ROOT, '.'));
  });

  it('a first job: you get data roles on the upload container and the ledger, then wordcount is uploaded with a job.yaml for the team and found in the ledger', () => {
    const lake = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/contosolake/blobServices/default/containers`;
    expect(
      first.calls
        .filter((c) => isCall(c, 'az', 'role', 'assignment', 'create'))
        .map((c) => [opt(c, '--assignee-object-id'), opt(c, '--assignee-principal-type'), opt(c, '--role'), opt(c, '--scope')]),
    ).toEqual([
      [ALICE, 'User', 'Storage Blob Data Contributor', `${lake}/analytics-jobs`],
      [ALICE, 'User', 'Storage Blob Data Reader', `${lake}/spark-dispatch-ledger`],
    ]);
    const upload = first.calls.find((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'upload'))!;
    expect(upload.args.slice(2)).toEqual([
      'upload',
      join(ROOT, 'examples/wordcount/main.py'),
      '--job',
      'wordcount',
      '--job-file',
      join(out, 'wordcount/job.yaml'),
      '--tenant',
      'analytics',
      '--config',
      join(out, 'spark-dispatch.yaml'),
    ]);
    const job = parseYaml(upload.jobYaml!) as Record<string, unknown>;
    expect(job).toEqual({
      name: 'wordcount',
      namespace: 'team-analytics',
      args: [
        'abfss://analytics-jobs@contosolake.dfs.core.windows.net/uploads/wordcount/main.py',
        'abfss://analytics-jobs@contosolake.dfs.core.windows.net/wordcount-output/',
      ],
    });
    // Waited for the ledger (the fake finds it on the second look), then shown.
    expect(
      first.calls.filter((c) => isCall(c, 'npx', '--no-install', 'spark-dispatch', 'status')).map((c) => c.args.slice(2).join(' ')),
    ).toEqual([
      `status 0123456789abcdef --config ${join(out, 'spark-dispatch.yaml')} --output json`,
      `status 0123456789abcdef --config ${join(out, 'spark-dispatch.yaml')} --output json`,
      `status 0123456789abcdef --config ${join(out, 'spark-dispatch.yaml')}`,
    ]);
  });

  it('run again: creates nothing that exists, and ends the same way', () => {
    const again = w.run(ARGS(w.dir));
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    const creates = again.calls
      .filter((c) => c.tool === 'az' && c.args.includes('create') && !isCall(c, 'az', 'deployment', 'group', 'create'))
      .map(words);
    expect(creates).toEqual([]);
    expect(again.calls.filter((c) => isCall(c, 'az', 'aks', 'update'))).toEqual([]);
    expect(again.stdout).toContain('identity spark-dispatch-analytics-driver: exists');
    expect(again.stdout).toContain('federated credential team-analytics: exists (system:serviceaccount:team-analytics:spark-driver)');
    expect(again.stdout).toContain(
      'you (6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b): Storage Blob Data Contributor on contosolake/analytics-jobs (had it)',
    );
    // The same values go to the Bicep the second time.
    const params = (r: { calls: Call[] }) => r.calls.find((c) => isCall(c, 'az', 'deployment', 'group', 'create'))!.parameters;
    expect(params(again)).toEqual(params(first));
  });
});

describe('infra/aks/deploy.sh with an existing cluster, and what it refuses', () => {
  const existing = (cluster: object) => ({
    groups: [RG],
    clusters: {
      'contoso-aks': { issuer: null, workloadIdentity: false, entraId: true, azureRbac: false, fqdn: FQDN, privateFqdn: null, ...cluster },
    },
    identities: {},
    credentials: {},
    roles: [],
    counters: {},
  });

  it('turns on the OIDC issuer and Workload Identity of an existing cluster before federating to it; no --admin-group needed', () => {
    const w = world(existing({}));
    const args = ARGS(w.dir).filter((a, i, all) => a !== '--admin-group' && all[i - 1] !== '--admin-group');
    const r = w.run([...args, '--skip-first-job']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const update = r.calls.findIndex((c) => isCall(c, 'az', 'aks', 'update'));
    expect(r.calls[update]!.args).toEqual(expect.arrayContaining(['--enable-oidc-issuer', '--enable-workload-identity']));
    expect(update).toBeLessThan(r.calls.findIndex((c) => isCall(c, 'az', 'identity', 'federated-credential', 'create')));
    expect(r.calls.filter((c) => isCall(c, 'az', 'aks', 'create') || isCall(c, 'az', 'group', 'create'))).toEqual([]);
    // --skip-first-job: no roles for you, no upload.
    expect(r.calls.filter((c) => isCall(c, 'az', 'role') || isCall(c, 'npx', '--no-install', 'spark-dispatch', 'upload'))).toEqual([]);
  });

  it('refuses a cluster without Entra ID, saying how to enable it, before any identity or deployment', () => {
    const w = world(existing({ entraId: null }));
    const r = w.run(ARGS(w.dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cluster contoso-aks has no Entra ID integration');
    expect(r.calls.filter((c) => c.tool === 'az' && c.args.includes('create'))).toEqual([]);
  });

  it('wants --admin-group to create a cluster', () => {
    const w = world({ groups: [RG], clusters: {}, identities: {}, credentials: {}, roles: [], counters: {} });
    const r = w.run(
      ARGS(w.dir)
        .slice(0, 8)
        .concat(['--out-dir', join(w.dir, 'out')]),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cluster contoso-aks does not exist: pass --admin-group');
  });

  it('refuses parameters whose Bicep tenants and settings tenants differ, before touching Azure', () => {
    const w = world();
    const params = JSON.parse(readFileSync(PARAMETERS, 'utf8')) as { parameters: { tenants: { value: unknown[] } } };
    params.parameters.tenants.value = params.parameters.tenants.value.slice(0, 1);
    const path = join(w.dir, 'params.json');
    writeFileSync(path, JSON.stringify(params));
    const r = w.run(['--resource-group', RG, '--cluster', 'contoso-aks', '--parameters', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('names tenants analytics but sparkDispatchSettings.tenants analytics, sales: the same teams, please');
    expect(r.calls.filter((c) => c.tool === 'az')).toEqual([]);
  });

  it('a first job the dispatcher refused fails the run, after showing why', () => {
    const w = world();
    const r = w.run(ARGS(w.dir), { FAKE_STATE: 'rejected' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the first job was refused: its reasons are above');
  });

  it('wants its inputs', () => {
    const w = world();
    const r = w.run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: infra/aks/deploy.sh --resource-group RG --cluster NAME --parameters FILE');
  });
});
