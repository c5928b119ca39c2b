/**
 * vitest globalSetup of the real-server tier (the envtest pattern): starts ../shared/realkube once
 * per run, hands its kubeconfig to every test file (inject('realkube')), and stops it at the end.
 * Without it, says in one line that the tier did not run and why; with
 * SPARK_DISPATCH_REQUIRE_REALKUBE=1 (CI), that is a failure instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';
import { locateRealkube, realkubeRequired, REQUIRE_REALKUBE_ENV } from './realkubeLocation.js';

export interface RealkubeInfo {
  readonly kubeconfig: string;
  readonly server: string;
  readonly token: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared real API server, or why there is none this run. */
    realkube: RealkubeInfo | { readonly absent: string };
  }
}

const START_TIMEOUT_MS = 120_000;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const location = locateRealkube();
  if ('absent' in location) {
    if (realkubeRequired()) throw new Error(`${REQUIRE_REALKUBE_ENV}=1 but the real-server tier cannot run: ${location.absent}`);
    process.stdout.write(`real-server tier did not run: ${location.absent}; only the stand-in was tested\n`);
    project.provide('realkube', { absent: location.absent });
    return undefined;
  }
  // A folder of our own, removed after the stop: realkube's own clean-up of its temporary folder
  // runs on a timer that its exit can outrun, leaving 60-120 MB in the temp folder per run.
  const dir = mkdtempSync(join(tmpdir(), 'sd-realkube-run-'));
  const child = spawn(process.execPath, [location.script, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const info = await ready(child, location.script).catch((error: unknown) => {
    removeDir();
    throw error;
  });
  project.provide('realkube', info);
  return async () => {
    await stop(child);
    removeDir();
  };
}

/** The READY line's connection details; a start that fails or hangs fails the run, loudly, with realkube's own words. */
function ready(child: ChildProcess, script: string): Promise<RealkubeInfo> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGTERM');
      reject(new Error(`the real-server tier could not start ${script}: ${why}${stderr ? `\n${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no READY line in ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.on('exit', (code, signal) => fail(`it exited (${signal ?? code}) before it was ready`));
    child.on('error', (error) => fail(error.message));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const parsed = JSON.parse(line.slice('READY '.length)) as RealkubeInfo;
      resolve({ kubeconfig: parsed.kubeconfig, server: parsed.server, token: parsed.token });
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // realkube stops its children within 1.5 s of SIGTERM; then it exits.
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([exited, timeout]);
}
