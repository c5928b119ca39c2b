/**
 * Item 11 of "Spark and Azure fidelity": infra/azure/storage-events.sh, which the deploy workflow
 * runs after the code is indexed, creates the Event Grid subscriptions as Microsoft's Flex
 * Consumption samples do (Azure-Samples/functions-quickstart-javascript-azd-eventgrid-blob and
 * Azure-Samples/functions-e2e-blob-pdf-to-text, scripts/post-up.sh): the extension's system key
 * from `az functionapp keys list`, then a WebHook subscription on the system topic. Here the script
 * runs against a fake `az` that records every call, with the outputs main.bicep gives for one team
 * and for two tenants.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate, parseBicep, RuntimeValue, type Value } from '../support/bicep.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'infra/azure/storage-events.sh');
const main = parseBicep(readFileSync(join(ROOT, 'infra/azure/main.bicep'), 'utf8'));

const HOST = 'contoso-spark-dispatch.azurewebsites.net';
const RG = 'rg-spark';
const ARM_PREFIX = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${RG}/providers`;
// A system key with the characters that need encoding in a query string.
const KEY = 'Ab3+/xY_z-9kQ==';

/** What Azure would hand back for values known at deployment: ids, the host name, principal ids. */
function deployed(v: Value): unknown {
  if (v instanceof RuntimeValue) {
    if (v.expression === 'functionApp.properties.defaultHostName') return HOST;
    return '11111111-1111-1111-1111-111111111111';
  }
  if (typeof v === 'string') {
    const standIn = /^<([^/]+\/[^/]+)\/(.+)>$/.exec(v);
    return standIn ? `${ARM_PREFIX}/${standIn[1]}/${standIn[2]}` : v;
  }
  if (Array.isArray(v)) return v.map(deployed);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deployed(x)]));
  return v;
}

/** `az deployment group create … --query properties.outputs` for the example parameters. */
function outputsFor(parametersPath: string): Record<string, { type: string; value: unknown }> {
  const file = JSON.parse(readFileSync(join(ROOT, parametersPath), 'utf8')) as { parameters: Record<string, { value: unknown }> };
  const parameters = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
  return Object.fromEntries(
    [...main.outputs].map(([name, o]) => [name, { type: o.type, value: deployed(evaluate(o.value, { file: main, parameters })) }]),
  );
}

// The fake az: answers the calls the script makes, records each (arguments, and the body a PUT sends).
const FAKE_AZ = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const dir = process.env.FAKE_AZ_DIR;
const log = (entry) => fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify(entry) + '\n');
const next = (name) => {
  const file = path.join(dir, name);
  const n = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0;
  fs.writeFileSync(file, String(n + 1));
  return n;
};
const opt = (name) => args[args.indexOf(name) + 1];
if (args[0] === 'functionapp' && args[1] === 'keys' && args[2] === 'list') {
  log({ args });
  const key = process.env.FAKE_AZ_KEY ?? '';
  process.stdout.write(key && next('keys') >= Number(process.env.FAKE_AZ_KEY_AFTER ?? 0) ? key + '\n' : '\n');
} else if (args[0] === 'rest' && opt('--method') === 'put') {
  const bodyFile = opt('--body').replace(/^@/, '');
  log({ args, bodyFile, body: JSON.parse(fs.readFileSync(bodyFile, 'utf8')), mode: fs.statSync(bodyFile).mode & 0o777 });
} else if (args[0] === 'rest' && opt('--method') === 'get') {
  log({ args });
  const states = (process.env.FAKE_AZ_STATES ?? 'Succeeded').split(',');
  process.stdout.write(states[Math.min(next('gets'), states.length - 1)] + '\n');
} else {
  log({ args, unexpected: true });
  process.stderr.write('fake az: unexpected call ' + args.join(' ') + '\n');
  process.exit(3);
}
`;

interface Call {
  args: string[];
  bodyFile?: string;
  body?: { properties: Record<string, unknown> };
  mode?: number;
  unexpected?: boolean;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(outputs: object, env: Record<string, string>, args?: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'storage-events-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'fake-az.cjs'), FAKE_AZ);
  writeFileSync(join(dir, 'az'), `#!/usr/bin/env bash\nexec node "${join(dir, 'fake-az.cjs')}" "$@"\n`);
  chmodSync(join(dir, 'az'), 0o755);
  const outputsPath = join(dir, 'outputs.json');
  writeFileSync(outputsPath, JSON.stringify(outputs));
  const result = spawnSync(SCRIPT, args ?? ['--resource-group', RG, '--outputs', outputsPath], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      FAKE_AZ_DIR: dir,
      GITHUB_ACTIONS: 'true',
      SPARK_DISPATCH_WAIT_SECONDS: '0',
      ...env,
    },
  });
  const callsPath = join(dir, 'calls.jsonl');
  const calls = existsSync(callsPath)
    ? readFileSync(callsPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Call)
    : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const isPut = (c: Call) => c.args[0] === 'rest' && c.args.includes('put');
const isKeys = (c: Call) => c.args.slice(0, 3).join(' ') === 'functionapp keys list';

describe('item 11: storage-events.sh subscribes the storageEvents webhook after the code, as the Flex Consumption samples do', () => {
  it.each([
    ['one team', 'infra/azure/main.parameters.example.json'],
    ['two tenants', 'infra/azure/main.parameters.tenants.example.json'],
  ])(
    '%s: waits for the eventgrid_extension key, then PUTs each subscription of the outputs with the webhook URL',
    (_label, parametersPath) => {
      const outputs = outputsFor(parametersPath);
      const wanted = outputs.storageEventSubscriptions!.value as { name: string; properties: { destination: { properties: object } } }[];
      const topic = outputs.eventGridSystemTopicId!.value as string;
      expect(topic).toBe(`${ARM_PREFIX}/Microsoft.EventGrid/systemTopics/contosolake-events`);

      const { status, stdout, stderr, calls } = run(outputs, { FAKE_AZ_KEY: KEY, FAKE_AZ_KEY_AFTER: '2' });
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(calls.filter((c) => c.unexpected)).toEqual([]);

      // The key, asked of the app until the host has made it; only then the subscriptions.
      const keyCalls = calls.filter(isKeys);
      expect(keyCalls).toHaveLength(3);
      expect(keyCalls[0]!.args).toEqual([
        'functionapp',
        'keys',
        'list',
        '--resource-group',
        RG,
        '--name',
        'contoso-spark-dispatch',
        '--query',
        'systemKeys.eventgrid_extension',
        '--output',
        'tsv',
      ]);
      expect(calls.findIndex(isPut)).toBeGreaterThan(calls.findLastIndex(isKeys));

      // One PUT per subscription main.bicep describes, on the system topic, with the body it describes
      // plus the endpoint URL.
      const puts = calls.filter(isPut);
      expect(puts.map((c) => c.args[c.args.indexOf('--uri') + 1])).toEqual(
        wanted.map((w) => `${topic}/eventSubscriptions/${w.name}?api-version=2025-02-15`),
      );
      const url = `https://${HOST}/runtime/webhooks/eventgrid?functionName=storageEvents&code=${encodeURIComponent(KEY)}`;
      puts.forEach((put, i) => {
        const w = wanted[i]!;
        expect(put.body).toEqual({
          properties: {
            ...w.properties,
            destination: { endpointType: 'WebHook', properties: { ...w.properties.destination.properties, endpointUrl: url } },
          },
        });
        // The webhook's shape: the Event Grid extension's endpoint, the function, the key (decoded intact).
        const parsed = new URL((put.body!.properties.destination as { properties: { endpointUrl: string } }).properties.endpointUrl);
        expect([parsed.protocol, parsed.host, parsed.pathname]).toEqual(['https:', HOST, '/runtime/webhooks/eventgrid']);
        expect([...parsed.searchParams]).toEqual([
          ['functionName', 'storageEvents'],
          ['code', KEY],
        ]);
        // The body file was private and is gone.
        expect(put.mode).toBe(0o600);
        expect(existsSync(put.bodyFile!)).toBe(false);
      });
      // Each subscription is waited for until Event Grid has validated the webhook.
      expect(calls.filter((c) => c.args[0] === 'rest' && c.args.includes('get'))).toHaveLength(wanted.length);
      expect(stdout).toContain(`event subscription ${wanted[0]!.name}: Succeeded`);

      // The key: masked, and nowhere else, not on a command line.
      for (const secret of [KEY, encodeURIComponent(KEY)]) {
        expect(stdout.split('\n').filter((l) => l.includes(secret))).toEqual([`::add-mask::${secret}`]);
        for (const c of calls) expect(c.args.join(' '), c.args.join(' ')).not.toContain(secret);
      }
    },
  );

  it('a webhook Event Grid could not validate yet (a host still starting) is PUT again', () => {
    const outputs = outputsFor('infra/azure/main.parameters.example.json');
    const { status, calls, stdout } = run(outputs, { FAKE_AZ_KEY: KEY, FAKE_AZ_STATES: 'Creating,Failed,Succeeded' });
    expect(status).toBe(0);
    expect(calls.filter(isPut)).toHaveLength(2);
    expect(stdout).toContain('event subscription spark-dispatch-storage-events: Failed (attempt 1 of 30)');
  });

  it('without the key (code not deployed), fails after its attempts, saying why, and creates nothing', () => {
    const outputs = outputsFor('infra/azure/main.parameters.example.json');
    const { status, calls, stderr } = run(outputs, { FAKE_AZ_KEY: '', SPARK_DISPATCH_WAIT_ATTEMPTS: '3' });
    expect(status).toBe(1);
    expect(calls.filter(isKeys)).toHaveLength(3);
    expect(calls.filter(isPut)).toEqual([]);
    expect(stderr).toMatch(/no eventgrid_extension system key: is the code deployed, and the storageEvents function indexed\?/);
  });

  it('a subscription that never validates fails the deployment', () => {
    const outputs = outputsFor('infra/azure/main.parameters.example.json');
    const { status, calls, stderr } = run(outputs, { FAKE_AZ_KEY: KEY, FAKE_AZ_STATES: 'Failed', SPARK_DISPATCH_WAIT_ATTEMPTS: '2' });
    expect(status).toBe(1);
    expect(calls.filter(isPut)).toHaveLength(2);
    expect(stderr).toContain(
      `event subscription spark-dispatch-storage-events is Failed: Event Grid could not validate https://${HOST}/runtime/webhooks/eventgrid?functionName=storageEvents`,
    );
    expect(stderr).not.toContain(KEY);
  });

  it("wants the resource group and main.bicep's outputs", () => {
    expect(run({}, {}, []).status).toBe(2);
    const { status, stderr } = run({ functionAppName: { type: 'string', value: 'x' } }, { FAKE_AZ_KEY: KEY });
    expect(status).toBe(2);
    expect(stderr).toMatch(/has no output functionAppHostName/);
  });
});
