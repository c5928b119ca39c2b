/**
 * Each end-to-end configuration runs in a fresh Node process, as each gets fresh servers: by the
 * time the e2e section starts, the bench process holds the earlier sections' heap (some 900 MiB of
 * RSS), and a job's garbage collection in that heap cost about a quarter more CPU than the same job
 * in a new process, so the rows measured the bench's history as much as the dispatcher. A function
 * host's worker is a process of its own too.
 *
 * Run as a script (`node dist/bench/e2eProcess.js '<json>'`, or the .ts through tsx), it runs one configuration and
 * writes its result as one JSON line after RESULT_PREFIX; imported, `e2eRunIsolated` (or
 * `e2eTeamsRunIsolated`, many teams at once: e2eTeams.ts) starts it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { e2eRun, type E2eOptions, type E2eResult, type E2eSource } from './e2e.js';
import { e2eTeamsRun, type TeamsOptions, type TeamsResult } from './e2eTeams.js';
import { siblingScript } from './support.js';

type E2eArgs =
  | {
      readonly run: 'one';
      readonly source: E2eSource;
      readonly jobs: number;
      readonly concurrency: number;
      readonly latencyMs: number;
      readonly options: E2eOptions;
    }
  | { readonly run: 'teams'; readonly options: TeamsOptions };

const RESULT_PREFIX = 'e2e-result ';
const WARM_UP_JOBS = 200;
const SELF = fileURLToPath(import.meta.url);

/** e2eRun, in a process of its own after a warm-up. */
export function e2eRunIsolated(...[source, jobs, concurrency, latencyMs, options = {}]: Parameters<typeof e2eRun>): Promise<E2eResult> {
  return isolated<E2eResult>({ run: 'one', source, jobs, concurrency, latencyMs, options });
}

export function e2eTeamsRunIsolated(options: TeamsOptions): Promise<TeamsResult> {
  return isolated<TeamsResult>({ run: 'teams', options });
}

function isolated<T>(args: E2eArgs): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...siblingScript('e2eProcess'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
      else
        reject(new Error(`bench: the e2e run ${JSON.stringify(args)} ended with code ${code} signal ${signal}:\n${stdout.slice(-2000)}`));
    });
  });
}

if (process.argv[1] === SELF) {
  const args = JSON.parse(process.argv[2] ?? '{}') as E2eArgs;
  // A warm-up on servers of its own first, so the measured run is of a warm process (compiled code,
  // SDK clients loaded), as a function host's worker is after its first invocations.
  let result: E2eResult | TeamsResult;
  if (args.run === 'teams') {
    const o = args.options;
    await e2eTeamsRun({ ...o, teams: 2, floodJobs: WARM_UP_JOBS, quietPerMinute: 10 * o.quietPerMinute, prefix: 'warm-up' });
    result = await e2eTeamsRun(o);
  } else {
    await e2eRun(args.source, WARM_UP_JOBS, args.concurrency, args.latencyMs, { prefix: 'warm-up' });
    result = await e2eRun(args.source, args.jobs, args.concurrency, args.latencyMs, args.options);
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  // Clients' unref'd timers and sockets must not decide when the measurement ends.
  process.exit(0);
}
