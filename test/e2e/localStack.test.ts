/**
 * The local stack as the README's walkthrough drives it: `spark-dispatch start` (what `npm start`
 * runs) in one process, the other commands in others: upload the word count (its job.yaml beside
 * it gives the arguments), publish a job message, see both launched and finished; upload the
 * script without arguments and see its driver fail as the script does; publish a job whose driver
 * never starts and one that hangs, see the sweeper clear both; stop with Ctrl-C, and start again
 * cleanly. It runs in a scratch folder so that other tests never see its `.spark-dispatch/` state.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';

const repo = resolve('.');
const bin = join(repo, 'bin/spark-dispatch.js');
const dir = mkdtempSync(join(tmpdir(), 'sd-local-'));
const env = { ...process.env, SPARK_DISPATCH__sweeper__grace__imagePullFailed: '2', SPARK_DISPATCH__sweeper__grace__noExecutors: '3' };
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env });

interface Started {
  readonly process: ChildProcess;
  output: string;
}

function start(): Started {
  const child = spawn(process.execPath, [bin, 'start', '--plain', '--pending-ms', '300', '--running-ms', '1500', '--sweep-every', '1'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Started = { process: child, output: '' };
  child.stdout?.on('data', (d: Buffer) => (started.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (started.output += d.toString()));
  return started;
}

async function stop(s: Started): Promise<void> {
  s.process.kill('SIGINT');
  await eventually(() => expect(s.process.exitCode).toBe(0), 20_000);
}

const statusOf = (key: string) => {
  const r = cli('status', key, '-o', 'json');
  return r.status === 0
    ? (JSON.parse(r.stdout) as {
        state: string;
        final?: { phase: string; exitCode?: number };
        driverPod?: string;
        history: { state: string; reason?: string; detail?: string }[];
      })
    : undefined;
};

let first: Started;
afterAll(() => {
  if (first?.process.exitCode === null) first.process.kill('SIGKILL');
});

describe('npm start: the local stack', () => {
  it('starts Azurite, the broker and the stand-in, and says what to try', async () => {
    first = start();
    await eventually(() => expect(first.output).toMatch(/^ready$/m), 30_000);
    expect(first.output).toMatch(/Azurite http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(accounts sparkdispatchdemo\)/);
    expect(first.output).toMatch(/Service Bus broker on port \d+ \(queue spark-jobs, topic spark-dispatch-events\)/);
    expect(first.output).toContain('watching sparkdispatchdemo/jobs, sparkdispatchdemo/data');
    expect(first.output).toContain('npx spark-dispatch upload examples/wordcount/main.py --job wordcount');
    expect(first.output).toContain('example scripts in sparkdispatchdemo/jobs: wordcount/main.py, daily-sales/main.py');
    expect(first.output).not.toContain('WARNING');
  });

  it('an uploaded script and a published job message both launch, run and finish', async () => {
    const upload = cli('upload', join(repo, 'examples/wordcount/main.py'), '--job', 'wordcount');
    expect(upload.stderr).toBe('');
    expect(upload.stdout).toContain('→ jobs/uploads/wordcount/job.yaml');
    expect(upload.stdout).toContain('→ jobs/uploads/wordcount/main.py');
    // Every command that starts a job prints its short id, which status takes.
    const uploadedId = /job id:\s+([0-9a-f]{16})/.exec(upload.stdout)?.[1];
    expect(uploadedId).toBeDefined();
    const publish = cli('publish', join(repo, 'examples/daily-sales/spec.json'));
    expect(publish.status).toBe(0);

    await eventually(() => expect(statusOf('daily-sales/2026-11-22')?.state).toBe('finished'), 30_000, 250);
    expect(statusOf('daily-sales/2026-11-22')?.final?.phase).toBe('Succeeded');
    await eventually(
      () => {
        const list = JSON.parse(cli('status', '-o', 'json').stdout) as { jobKey: string; name?: string; state: string }[];
        expect(list.find((r) => r.name === 'wordcount')?.state).toBe('finished');
      },
      30_000,
      250,
    );
    expect(statusOf(uploadedId!)?.state).toBe('finished');
    expect(statusOf(uploadedId!)?.final).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
    expect(first.output).toMatch(/wordcount\s+launched/);
  });

  it('the script uploaded without its job.yaml gets no arguments: its driver fails as the script does, exit 2, the usage line in its log', async () => {
    mkdirSync(join(dir, 'bare'));
    copyFileSync(join(repo, 'examples/wordcount/main.py'), join(dir, 'bare', 'main.py'));
    const upload = cli('upload', 'bare/main.py', '--job', 'wordcount-bare');
    expect(upload.status).toBe(0);
    expect(upload.stdout).toContain('no job file (job.yaml beside main.py, or --job-file): the job starts with no arguments');
    const id = /job id:\s+([0-9a-f]{16})/.exec(upload.stdout)![1]!;
    await eventually(() => expect(statusOf(id)?.state).toBe('finished'), 30_000, 250);
    expect(statusOf(id)?.final).toMatchObject({ phase: 'Failed', exitCode: 2 });
    const logs = cli('logs', id);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain('usage: main.py INPUT_PATH OUTPUT_PATH');
  });

  it('a driver that never starts is cleared by the sweeper, and its log tail is kept', async () => {
    expect(cli('submit', join(repo, 'examples/stalled/broken-image.yaml'), '--via', 'queue').status).toBe(0);
    await eventually(() => expect(statusOf('broken-image/demo')?.state).toBe('swept'), 30_000, 250);
    const logs = cli('logs', 'broken-image/demo');
    expect(logs.status).toBe(0);
    expect(logs.stdout).toMatch(/saved by the sweeper at .* before clearing it: image-pull-failed/);
  });

  it('a driver that hangs without executors stays Running until the sweeper clears it as no-executors, after its log was silent for the grace', async () => {
    expect(cli('publish', join(repo, 'examples/stalled/hangs.yaml')).status).toBe(0);
    await eventually(() => expect(statusOf('hangs/demo')?.state).toBe('launched'), 30_000, 250);
    await eventually(() => expect(statusOf('hangs/demo')?.state).toBe('swept'), 30_000, 250);
    const record = statusOf('hangs/demo')!;
    expect(record.final).toBeUndefined(); // it never finished on its own
    expect(JSON.stringify(record.history.at(-1))).toContain('no-executors');
    const logs = cli('logs', 'hangs/demo');
    expect(logs.stdout).toMatch(/before clearing it: no-executors/);
    expect(logs.stdout).toContain('INFO SparkContext: Running Spark version');
    await eventually(() => expect(first.output).toMatch(/hangs\s+swept/), 5_000);
  });

  it('Ctrl-C stops everything and leaves nothing running; a second start finds no leftovers', async () => {
    const azuriteUrl = /Azurite (http:\/\/127\.0\.0\.1:\d+)/.exec(first.output)![1]!;
    await stop(first);
    expect(first.output).toContain('stopped: nothing left running');
    expect(readdirSync(join(dir, '.spark-dispatch'))).toEqual(['local.log']);
    await expect(fetch(azuriteUrl)).rejects.toThrow();
    expect(cli('status').status).toBe(3); // no stack: no ledger configured

    const second = start();
    try {
      await eventually(() => expect(second.output).toMatch(/^ready$/m), 30_000);
      expect(second.output).not.toContain('already running');
      expect(existsSync(join(dir, '.spark-dispatch', 'local.pid'))).toBe(true);
      expect(cli('status').stdout).toBe('no jobs in the ledger yet\n');
    } finally {
      await stop(second);
    }
  });
});
