/**
 * As a user would: `spark-dispatch cluster start` in one process, `spark-dispatch submit` in others.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/standInCluster.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-cluster-cli-'));
const kubeconfig = join(dir, 'kubeconfig');
let server: ChildProcess;
let serverOutput = '';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/spark-dispatch.js', ...args], { encoding: 'utf8' });

beforeAll(async () => {
  server = spawn(process.execPath, ['bin/spark-dispatch.js', 'cluster', 'start', '--kubeconfig-out', kubeconfig, '--driver-cap', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (serverOutput += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverOutput += d.toString()));
  await eventually(() => expect(serverOutput).toContain('Stop with Ctrl-C'), 15_000);
});

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
});

describe('spark-dispatch cluster start + submit', () => {
  it('writes a kubeconfig and tells the user how to use it', () => {
    expect(existsSync(kubeconfig)).toBe(true);
    expect(serverOutput).toMatch(/Kubernetes API stand-in listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(serverOutput).toContain('namespaces: spark-jobs (driver cap 1)');
  });

  it('submit launches, a second submit is already launched, both exit 0', () => {
    const first = cli('submit', 'examples/wordcount/spec.yaml', '--kubeconfig', kubeconfig);
    expect(first.stderr + first.stdout).not.toMatch(/error|retrying/i);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^launched {2}spark-jobs\/wordcount-[0-9a-f]{16}-driver$/m);
    expect(first.stdout).toMatch(
      /created: pod\/wordcount-[0-9a-f]{16}-driver, configmap\/spark-drv-[0-9a-f]{16}-conf-map, service\/wordcount-[0-9a-f]{16}-driver-svc/,
    );
    const second = cli('submit', 'examples/wordcount/spec.yaml', '--kubeconfig', kubeconfig);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^already launched {2}spark-jobs\/wordcount-/m);
  });

  it('a second job is deferred by the driver cap (exit 3), with -o json', () => {
    const r = cli('submit', 'examples/daily-sales/spec.json', '--kubeconfig', kubeconfig, '-o', 'json');
    expect(r.status).toBe(3);
    const outcome = JSON.parse(r.stdout) as { kind: string; reason: string };
    expect(outcome.kind).toBe('deferred');
    expect(outcome.reason).toMatch(/exceeded quota: spark-dispatch-drivers, requested: pods=1, used: pods=1, limited: pods=1/);
  });

  it('--dry-run stores nothing', () => {
    const r = cli('submit', 'examples/wordcount/spec.yaml', '--kubeconfig', kubeconfig, '--dry-run', '-o', 'json');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { kind: string }).kind).toBe('already-launched');
  });

  it('sweep --dry-run examines the launched driver, reports, and says no ledger is configured', () => {
    const text = cli('sweep', '--dry-run', '--kubeconfig', kubeconfig);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('sweep (dry run: nothing changed) of spark-jobs');
    expect(text.stdout).toMatch(/examined 1, healthy 1, finished jobs recorded 0/);
    expect(text.stdout).toContain('no ledger configured: final states and driver logs were not recorded');
    const json = JSON.parse(cli('sweep', '--dry-run', '--kubeconfig', kubeconfig, '-o', 'json').stdout) as {
      examined: number;
      dryRun: boolean;
    };
    expect(json).toMatchObject({ examined: 1, dryRun: true });
  });

  it('an unreachable cluster is an infrastructure error (exit 3) that says it may pass on retry', () => {
    const r = spawnSync(process.execPath, ['bin/spark-dispatch.js', 'submit', 'examples/wordcount/spec.yaml'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        SPARK_DISPATCH_SETTINGS: JSON.stringify({
          namespaces: { 'spark-jobs': {} },
          storage: {
            accounts: { sparkdispatchdemo: { filesystems: ['jobs', 'data'] } },
            auth: {
              mode: 'workload-identity',
              tenantId: '00000000-0000-0000-0000-000000000000',
              clientId: '11111111-1111-1111-1111-111111111111',
            },
          },
          kubernetes: {
            auth: { mode: 'token', apiUrl: 'https://127.0.0.1:9', token: 't' },
            retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
          },
        }),
      },
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('spark-dispatch submit: create pod/wordcount-');
    expect(r.stderr).toContain('This may pass if you try again.');
  });

  it('Ctrl-C stops the stand-in cleanly', async () => {
    // 'close' (not 'exit') comes once the output pipes are drained: the last line has arrived by then.
    const closed = new Promise<number | null>((resolve) => server.once('close', (code) => resolve(code)));
    server.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(serverOutput).toContain('stand-in stopped');
  });
});
