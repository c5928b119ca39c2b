/**
 * npm run bench: dispatch throughput against the stand-in API server (both backends, injected API
 * latency, several concurrencies), the raw-HTTP limit for the same objects, kubectl as a peer, the
 * sweeper, and function cold start / peak memory. Prints a markdown table and writes the results to a
 * temporary file; with --write, to bench/results.json and between the bench markers in docs/performance.md.
 *
 * Options: --quick (fewer jobs, fewer configurations), --only dispatch|raw|kubectl|sweep|cold (comma-separated),
 * --write (a full run only: record the committed results). KUBECTL=/path/to/kubectl names a kubectl off PATH.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { renderNative, ownedBy } from '../src/domain/render/renderNative.js';
import { classifyDriver, type Judgement } from '../src/domain/sweep/classifyDriver.js';
import type { PodView } from '../src/domain/sweep/podView.js';
import type { PodStatusPatch } from '../dev/kube-standin/index.js';
import { launchJob } from '../src/usecases/launchJob.js';
import { SILENT } from '../src/shared/logger.js';
import { NO_EVENTS } from '../src/usecases/queuePort.js';
import { PAGE_SIZE } from '../src/usecases/listPages.js';
import { sweep } from '../src/usecases/sweep.js';
import { settingsWith } from '../test/support/fixtures.js';
import { writeDocSection } from '../scripts/writeDocSection.js';
import type { E2eResult, E2eSource } from './e2e.js';
import { e2eRunIsolated, e2eTeamsRunIsolated } from './e2eProcess.js';
import type { TeamsOptions, TeamsResult } from './e2eTeams.js';
import {
  benchCluster,
  benchJobs,
  median,
  NAMESPACE,
  percentile,
  perMinute,
  round,
  runPool,
  projectRoot,
  siblingScript,
  totalRequests,
  type Backend,
} from './support.js';

/** The repository: the nearest folder above with a package.json (bench/ as source, dist/bench/ compiled). */
const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const WRITE = args.includes('--write');
const SECTIONS = ['dispatch', 'raw', 'kubectl', 'sweep', 'cold', 'e2e'];
const onlyIndex = args.indexOf('--only');
const ONLY = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').filter((s) => s !== '')) : undefined;
const unknownArgs = args.filter((a, i) => a !== '--quick' && a !== '--write' && a !== '--only' && i !== onlyIndex + 1);
const unknownSections = [...(ONLY ?? [])].filter((s) => !SECTIONS.includes(s));
if (unknownArgs.length > 0 || unknownSections.length > 0 || (ONLY !== undefined && ONLY.size === 0)) {
  // A typo would otherwise run nothing and overwrite bench/results.json with empty results.
  process.stderr.write(
    `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--write]${unknownArgs.length > 0 ? `\nunknown arguments: ${unknownArgs.join(' ')}` : ''}${unknownSections.length > 0 ? `\nunknown sections: ${unknownSections.join(', ')} (expected ${SECTIONS.join(', ')})` : ''}\n`,
  );
  process.exit(2);
}
if (WRITE && (QUICK || ONLY !== undefined)) {
  // The committed results and the docs come from one full run, never from a part of one.
  process.stderr.write('--write records a full run: drop --quick and --only\n');
  process.exit(2);
}
const enabled = (section: string): boolean => ONLY === undefined || ONLY.has(section);

const JOBS = QUICK ? 300 : 2000;
/** Concurrency 1 at 5 ms latency is bounded by latency (≥ 15 ms per native job): fewer jobs keep the run short. */
const jobsFor = (latencyMs: number, concurrency: number): number =>
  latencyMs > 0 && concurrency === 1 ? Math.min(JOBS, QUICK ? 100 : 500) : JOBS;
const LATENCIES = [0, 5];
const concurrencies = (latencyMs: number): number[] =>
  QUICK ? (latencyMs > 0 ? [1, 64] : [16]) : latencyMs > 0 ? [1, 16, 64, 256] : [1, 16, 64];
const KUBECTL_JOBS = QUICK ? 10 : 50;
const SWEEP_PODS = QUICK ? 2000 : 10_000;
const SWEEP_RUNS = QUICK ? 3 : 7;
const COLD_RUNS = QUICK ? 2 : 5;
const RSS_JOBS = QUICK ? 200 : 1000;
/** End to end: [source, API latency, host concurrency, jobs]; the host's default maxConcurrentCalls is 16. */
const E2E_RUNS: [E2eSource, number, number, number][] = QUICK
  ? [
      ['messages', 5, 16, 300],
      ['storage-events', 5, 16, 300],
    ]
  : [
      ['messages', 5, 1, 200],
      ['messages', 5, 16, 1000],
      ['messages', 5, 64, 1000],
      ['messages', 0, 64, 1000],
      ['messages', 5, 64, 10_000],
      ['storage-events', 5, 1, 200],
      ['storage-events', 5, 16, 1000],
      ['storage-events', 5, 64, 1000],
      ['storage-events', 0, 64, 1000],
    ];
/** Memory flat: live heap per job beyond what the stand-in stores, in KiB (10,000 jobs: 5 MiB). */
const MEMORY_FLAT_KIB = 0.5;
/** Rate steady: the end of a long run at this share of its early rate, at least. */
const STEADY_SHARE = 0.8;
/** Long runs keep this many messages waiting: the queue never runs dry, and the broker does not hold the whole run. */
const LONG_RUN_BACKLOG = 1_000;
/** Below saturation: paced at this share of the rate the same configuration reached unpaced. */
const PACED_SHARE = 0.5;
/**
 * Many teams on one app, each trigger at host.json's concurrency: one team floods its queue while
 * seven send a job every half second each; then all eight flood at once (a nightly batch at midnight).
 */
const TEAMS_ONE_FLOODS: Omit<TeamsOptions, 'concurrencyPerTeam'> = {
  teams: 8,
  floodJobs: QUICK ? 600 : 3_000,
  quietPerMinute: 120,
  latencyMs: 5,
};
const TEAMS_ALL_FLOOD: Omit<TeamsOptions, 'concurrencyPerTeam'> = {
  teams: 8,
  flooders: 8,
  floodJobs: QUICK ? 100 : 500,
  quietPerMinute: 120,
  latencyMs: 5,
};
/** Every team flooding at once: the slowest team's burst done within this share of the quickest's time. */
const FAIR_SHARE = 1.25;
/** The p99 enqueue → driver a team should see, alone or beside a neighbour's flood. */
const P99_TARGET_MS = 250;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

interface DispatchResult {
  backend: Backend;
  latencyMs: number;
  concurrency: number;
  jobs: number;
  launched: number;
  wallMs: number;
  jobsPerMinute: number;
  p50Ms: number;
  p99Ms: number;
  apiCallsPerJob: number;
}

interface RawResult {
  latencyMs: number;
  concurrency: number;
  jobs: number;
  wallMs: number;
  jobsPerMinute: number;
  p50Ms: number;
  p99Ms: number;
}

interface KubectlResult {
  latencyMs: number;
  concurrency: number;
  jobs: number;
  failed: number;
  wallMs: number;
  jobsPerMinute: number;
  p50Ms: number;
}

// ---------------------------------------------------------------------------------------------
// 1. Dispatch through launchJob

async function dispatch(backend: Backend, latencyMs: number, concurrency: number, jobCount?: number): Promise<DispatchResult> {
  const count = jobCount ?? jobsFor(latencyMs, concurrency);
  const jobs = benchJobs(count, backend, `bench-${backend}-${latencyMs}-${concurrency}`);
  const env = await benchCluster(latencyMs);
  try {
    let launched = 0;
    const { durations, wallMs } = await runPool(count, concurrency, async (i) => {
      const outcome = await launchJob(jobs[i]!, env.cluster);
      if (outcome.kind === 'launched') launched++;
    });
    const result: DispatchResult = {
      backend,
      latencyMs,
      concurrency,
      jobs: count,
      launched,
      wallMs: round(wallMs),
      jobsPerMinute: perMinute(count, wallMs),
      p50Ms: round(percentile(durations, 50)),
      p99Ms: round(percentile(durations, 99)),
      apiCallsPerJob: round(totalRequests(env.standIn) / count, 2),
    };
    log(
      `  dispatch ${backend} ${latencyMs} ms c=${concurrency}: ${result.jobsPerMinute} jobs/min, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.apiCallsPerJob} calls/job, ${launched}/${count} launched`,
    );
    return result;
  } finally {
    await env.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. The limit: the same three objects by bare keep-alive fetch POSTs

interface StoredBody {
  metadata: { name: string; uid: string };
}

async function post(url: string, body: string): Promise<StoredBody> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    keepalive: true,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as StoredBody;
}

async function raw(latencyMs: number, concurrency: number): Promise<RawResult> {
  const count = jobsFor(latencyMs, concurrency);
  const rendered = benchJobs(count, 'native', `raw-${latencyMs}-${concurrency}`).map((job) => renderNative(job));
  const podBodies = rendered.map((r) => JSON.stringify(r.pod));
  const env = await benchCluster(latencyMs);
  const base = `${env.standIn.url}/api/v1/namespaces/${NAMESPACE}`;
  try {
    const { durations, wallMs } = await runPool(count, concurrency, async (i) => {
      const objects = rendered[i]!;
      const pod = await post(`${base}/pods`, podBodies[i]!);
      await post(`${base}/configmaps`, JSON.stringify(ownedBy(objects.configMap, pod)));
      await post(`${base}/services`, JSON.stringify(ownedBy(objects.service, pod)));
    });
    const result: RawResult = {
      latencyMs,
      concurrency,
      jobs: count,
      wallMs: round(wallMs),
      jobsPerMinute: perMinute(count, wallMs),
      p50Ms: round(percentile(durations, 50)),
      p99Ms: round(percentile(durations, 99)),
    };
    log(`  raw ${latencyMs} ms c=${concurrency}: ${result.jobsPerMinute} jobs/min, p50 ${result.p50Ms} ms`);
    return result;
  } finally {
    await env.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. A peer: kubectl create -f per job

/** kubectl from $KUBECTL or PATH; the bench installs nothing. */
function findKubectl(): string | undefined {
  const named = process.env.KUBECTL;
  if (named) return existsSync(named) ? named : undefined;
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const KUBECTL_MISSING =
  'kubectl peer row skipped: no kubectl (install one, e.g. `apt-get install kubernetes-client`, or name it with KUBECTL=/path/to/kubectl)';

function runProcess(command: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: stderr + String(error) }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function kubectl(binary: string, latencyMs: number, concurrency: number): Promise<KubectlResult> {
  const count = KUBECTL_JOBS;
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-kubectl-'));
  // One List per job. kubectl cannot put the pod's uid (known only after its create) into the
  // companions' ownerReferences within one file, so the peer's ConfigMap and Service carry none.
  const files = benchJobs(count, 'native', `kubectl-${latencyMs}-${concurrency}`).map((job, i) => {
    const { pod, configMap, service } = renderNative(job);
    const file = join(dir, `job-${i}.yaml`);
    writeFileSync(file, toYaml({ apiVersion: 'v1', kind: 'List', items: [pod, configMap, service] }, { aliasDuplicateObjects: false }));
    return file;
  });
  const env = await benchCluster(latencyMs);
  const cacheDir = join(dir, 'cache');
  let failed = 0;
  let firstError = '';
  try {
    const { durations, wallMs } = await runPool(count, concurrency, async (i) => {
      const r = await runProcess(binary, [
        '--kubeconfig',
        env.kubeconfigPath,
        '--cache-dir',
        cacheDir,
        'create',
        '--validate=false',
        '-f',
        files[i]!,
      ]);
      if (r.code !== 0) {
        failed++;
        firstError ||= r.stderr.trim().slice(0, 300);
      }
    });
    if (firstError) log(`  kubectl error: ${firstError}`);
    const result: KubectlResult = {
      latencyMs,
      concurrency,
      jobs: count,
      failed,
      wallMs: round(wallMs),
      jobsPerMinute: perMinute(count - failed, wallMs),
      p50Ms: round(median(durations)),
    };
    log(`  kubectl ${latencyMs} ms c=${concurrency}: ${result.jobsPerMinute} jobs/min, p50 ${result.p50Ms} ms, ${failed} failed`);
    return result;
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Sweeper

const HOUR = 3_600_000;

/** A realistic mix: healthy running/pending, stalled (image pull, unschedulable, creating), finished (recent and old). */
function podStatusMix(i: number, now: number): PodStatusPatch {
  const ago = (ms: number): string => new Date(now - ms).toISOString();
  const driver = (state: NonNullable<PodStatusPatch['containerStatuses']>[number]['state']) => [
    { name: 'spark-kubernetes-driver', state, ready: false, restartCount: 0 },
  ];
  switch (i % 8) {
    case 0:
    case 1:
      return {
        phase: 'Running',
        startTime: ago(10 * 60_000),
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(10 * 60_000) }],
        containerStatuses: driver({ running: { startedAt: ago(9 * 60_000) } }),
      };
    case 2:
      return {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available',
            lastTransitionTime: ago(2 * HOUR),
          },
        ],
      };
    case 3:
      return {
        phase: 'Pending',
        startTime: ago(HOUR),
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(HOUR) }],
        containerStatuses: driver({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } }),
      };
    case 4:
      return {
        phase: 'Succeeded',
        startTime: ago(3 * HOUR),
        containerStatuses: driver({
          terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(3 * HOUR), finishedAt: ago(2 * HOUR) },
        }),
      };
    case 5:
      return {
        phase: 'Failed',
        startTime: ago(48 * HOUR),
        containerStatuses: driver({ terminated: { exitCode: 1, reason: 'Error', startedAt: ago(48 * HOUR), finishedAt: ago(47 * HOUR) } }),
      };
    case 6:
      return {
        phase: 'Pending',
        startTime: ago(60_000),
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(60_000) }],
        containerStatuses: driver({ waiting: { reason: 'ContainerCreating' } }),
      };
    default:
      return {
        phase: 'Running',
        startTime: ago(30 * HOUR),
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(30 * HOUR) }],
        containerStatuses: driver({ running: { startedAt: ago(30 * HOUR) } }),
      };
  }
}

interface SweepResult {
  pods: number;
  classifyMs: number;
  classifyVerdicts: Record<string, number>;
  createMs: number;
  runs: number;
  /** Medians of `runs` runs, and each run. */
  sweepMs: number;
  sweepRunsMs: number[];
  sweepLatency5Ms: number;
  sweepLatency5RunsMs: number[];
  examined: number;
  wouldClear: number;
  listCalls: number;
  pageSize: number;
  executors: number;
  rawListMs: number;
  rawListRunsMs: number[];
}

async function sweeperBench(): Promise<SweepResult> {
  const settings = settingsWith();
  const thresholds = settings.sweeper;
  const nowMs = Date.now();
  const now = new Date(nowMs);

  // Pure classification over pods built in memory.
  const template = renderNative(benchJobs(1, 'native', 'classify')[0]!).pod;
  const pods: PodView[] = Array.from({ length: SWEEP_PODS }, (_, i) => ({
    metadata: {
      ...template.metadata,
      name: `classify-${i}-driver`,
      uid: `uid-${i}`,
      creationTimestamp: new Date(nowMs - 3 * HOUR).toISOString(),
    },
    spec: { activeDeadlineSeconds: 86_400 },
    status: podStatusMix(i, nowMs),
  })) as PodView[];
  // Healthy running drivers (the first two of every eight) have one running executor.
  const executor: PodView = {
    metadata: { name: 'exec-1', labels: { 'spark-role': 'executor' }, creationTimestamp: new Date(nowMs - 9 * 60_000).toISOString() },
    status: { phase: 'Running', startTime: new Date(nowMs - 9 * 60_000).toISOString() },
  };
  const executorsOf = (i: number): PodView[] => (i % 8 < 2 ? [executor] : []);
  const verdicts: Record<string, number> = {};
  let last: Judgement | undefined;
  const t0 = performance.now();
  for (let i = 0; i < pods.length; i++) last = classifyDriver(pods[i]!, executorsOf(i), thresholds, now);
  const classifyMs = performance.now() - t0;
  void last;
  for (let i = 0; i < pods.length; i++) {
    const v = classifyDriver(pods[i]!, executorsOf(i), thresholds, now);
    const key = v.action === 'keep' ? `keep:${v.state}` : v.action === 'suspect' ? `suspect:${v.reason}` : v.reason;
    verdicts[key] = (verdicts[key] ?? 0) + 1;
  }
  log(`  classify ${SWEEP_PODS} pods: ${round(classifyMs, 2)} ms ${JSON.stringify(verdicts)}`);

  // The full sweep over driver pods in the stand-in (created by raw POSTs, statuses set directly).
  const env = await benchCluster(0);
  try {
    const jobs = benchJobs(SWEEP_PODS, 'native', 'sweep');
    const base = `${env.standIn.url}/api/v1/namespaces/${NAMESPACE}/pods`;
    const created = await runPool(SWEEP_PODS, 64, async (i) => {
      await post(base, JSON.stringify(renderNative(jobs[i]!).pod));
    });
    let executors = 0;
    for (let i = 0; i < SWEEP_PODS; i++) {
      env.standIn.setPodStatus(NAMESPACE, jobs[i]!.names.driverPod, podStatusMix(i, nowMs));
      if (i % 8 < 2) executors += env.standIn.spawnExecutors(NAMESPACE, jobs[i]!.names.driverPod, 1, 'Running').length;
    }
    log(`  created ${SWEEP_PODS} driver pods in ${Math.round(created.wallMs)} ms (and ${executors} running executors)`);
    const deps = { settings, cluster: env.cluster, events: NO_EVENTS, now: () => now, log: SILENT };
    await sweep(deps, { dryRun: true }); // warm-up (JIT, connections), not timed
    // One sweep is a few hundred ms: the median of several runs, with the spread, is the figure.
    const sweepRuns: number[] = [];
    let report: Awaited<ReturnType<typeof sweep>> | undefined;
    let listCalls = 0;
    for (let run = 0; run < SWEEP_RUNS; run++) {
      env.standIn.resetStats();
      const t1 = performance.now();
      report = await sweep(deps, { dryRun: true });
      sweepRuns.push(performance.now() - t1);
      listCalls = Object.entries(env.standIn.stats().requests)
        .filter(([k]) => k.startsWith('list '))
        .reduce((a, [, n]) => a + n, 0);
    }
    if (!report) throw new Error('no sweep ran');
    // The floor: the same paginated lists (drivers, executors, SparkApplications, ConfigMaps,
    // Services), at once as the sweep asks for them, by bare fetch + JSON.parse.
    const managed = 'app.kubernetes.io/managed-by=spark-dispatch';
    const lists = [
      ['/api/v1/namespaces/spark-jobs/pods', `${managed},spark-role=driver`],
      ['/api/v1/namespaces/spark-jobs/pods', `${managed},spark-role=executor`],
      ['/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-jobs/sparkapplications', managed],
      ['/api/v1/namespaces/spark-jobs/configmaps', managed],
      ['/api/v1/namespaces/spark-jobs/services', managed],
    ] as const;
    const rawRuns: number[] = [];
    for (let run = 0; run < SWEEP_RUNS; run++) {
      const t3 = performance.now();
      await Promise.all(
        lists.map(async ([path, selector]) => {
          let token = '';
          do {
            const response = await fetch(
              `${env.standIn.url}${path}?labelSelector=${encodeURIComponent(selector)}&limit=${PAGE_SIZE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
            );
            const body = JSON.parse(await response.text()) as { metadata?: { continue?: string } };
            token = body.metadata?.continue ?? '';
          } while (token);
        }),
      );
      rawRuns.push(performance.now() - t3);
    }
    env.standIn.setFaults([{ rate: 0, kinds: ['500'], latencyMs: 5 }]);
    const latencyRuns: number[] = [];
    for (let run = 0; run < SWEEP_RUNS; run++) {
      const t2 = performance.now();
      await sweep(deps, { dryRun: true });
      latencyRuns.push(performance.now() - t2);
    }
    const sweepMs = median(sweepRuns);
    const sweepLatency5Ms = median(latencyRuns);
    const rawListMs = median(rawRuns);
    const wouldClear = report.actions.filter((a) => a.kind === 'delete').length;
    const spread = (runs: number[]): string => `${Math.round(Math.min(...runs))}–${Math.round(Math.max(...runs))}`;
    log(
      `  sweep (dry run) of ${report.examined} pods, median of ${SWEEP_RUNS}: ${Math.round(sweepMs)} ms (${spread(sweepRuns)}); at 5 ms latency ${Math.round(sweepLatency5Ms)} ms (${spread(latencyRuns)}); ${listCalls} list calls, would clear ${wouldClear}; bare paginated lists ${Math.round(rawListMs)} ms (${spread(rawRuns)}); errors ${report.errors.length}`,
    );
    if (report.errors.length > 0) log(`  sweep errors: ${report.errors.slice(0, 3).join('; ')}`);
    return {
      pods: SWEEP_PODS,
      classifyMs: round(classifyMs, 2),
      classifyVerdicts: verdicts,
      createMs: Math.round(created.wallMs),
      runs: SWEEP_RUNS,
      sweepMs: Math.round(sweepMs),
      sweepRunsMs: sweepRuns.map(Math.round),
      sweepLatency5Ms: Math.round(sweepLatency5Ms),
      sweepLatency5RunsMs: latencyRuns.map(Math.round),
      examined: report.examined,
      wouldClear,
      listCalls,
      pageSize: PAGE_SIZE,
      executors,
      rawListMs: Math.round(rawListMs),
      rawListRunsMs: rawRuns.map(Math.round),
    };
  } finally {
    await env.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Cold start and peak memory

interface ColdResult {
  module: string;
  importMs: number;
  rssMiB: number;
  runs: number;
}

interface PeakRssResult {
  jobs: number;
  launched: number;
  wallMs: number;
  rssBeforeMiB: number;
  rssReadyMiB: number;
  peakRssMiB: number;
}

const MiB = 2 ** 20;

async function coldStart(): Promise<{ modules: ColdResult[]; peak: PeakRssResult | { error: string } }> {
  if (!existsSync(join(ROOT, 'dist/functions/jobMessages.js'))) {
    log('  dist/functions missing: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }
  const modules: ColdResult[] = [];
  for (const name of ['jobMessages', 'storageEvents', 'sweeper']) {
    const file = join(ROOT, `dist/functions/${name}.js`);
    const script = `await import(${JSON.stringify(`file://${file}`)}); const t = performance.now(); process.stdout.write(JSON.stringify({ t, rss: process.memoryUsage().rss }) + '\\n'); process.exit(0);`;
    const times: number[] = [];
    const rss: number[] = [];
    for (let run = 0; run < COLD_RUNS; run++) {
      const r = await runProcess(process.execPath, ['--input-type=module', '-e', script], { ...process.env, NODE_OPTIONS: '' });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as { t: number; rss: number };
        times.push(parsed.t);
        rss.push(parsed.rss);
      } catch {
        throw new Error(`cold import of ${name} printed no result (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
      }
    }
    const result = {
      module: `dist/functions/${name}.js`,
      importMs: round(median(times)),
      rssMiB: round(median(rss) / MiB),
      runs: COLD_RUNS,
    };
    log(
      `  cold import ${name}: ${result.importMs} ms, ${result.rssMiB} MiB (median of ${COLD_RUNS}; runs ${times.map((t) => Math.round(t)).join(', ')})`,
    );
    modules.push(result);
  }

  const r = await runProcess(process.execPath, [...siblingScript('peakRss'), String(RSS_JOBS)]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const p = JSON.parse(line) as { jobs: number; launched: number; wallMs: number; rssBefore: number; rssReady: number; peakRss: number };
    const peak: PeakRssResult = {
      jobs: p.jobs,
      launched: p.launched,
      wallMs: Math.round(p.wallMs),
      rssBeforeMiB: round(p.rssBefore / MiB),
      rssReadyMiB: round(p.rssReady / MiB),
      peakRssMiB: round(p.peakRss / MiB),
    };
    log(
      `  peak RSS during ${p.jobs} concurrent launches: ${peak.peakRssMiB} MiB (after imports ${peak.rssBeforeMiB}, with stand-in and jobs ready ${peak.rssReadyMiB}), ${p.launched} launched in ${peak.wallMs} ms`,
    );
    return { modules, peak };
  } catch {
    return { modules, peak: { error: `exit ${r.code}: ${r.stderr.slice(0, 500)}` } };
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number): string => n.toLocaleString('en-US');
const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

// ---------------------------------------------------------------------------------------------
// 6. End to end

const launchOnly = (dispatch: readonly DispatchResult[], latencyMs: number, concurrency: number): DispatchResult | undefined =>
  dispatch.find((d) => d.backend === 'native' && d.latencyMs === latencyMs && d.concurrency === concurrency);

function e2eTargets(
  e2e: readonly E2eResult[],
  dispatch: readonly DispatchResult[],
  teams: readonly TeamsResult[],
): { target: string; value: string; pass: boolean }[] {
  const targets: { target: string; value: string; pass: boolean }[] = [];
  const unpaced = e2e.filter((r) => r.offeredPerMinute === undefined && r.latencyMs === 5);
  const best = (source: E2eSource) =>
    unpaced
      .filter((r) => r.source === source)
      .reduce<E2eResult | undefined>((b, r) => (!b || r.jobsPerMinute > b.jobsPerMinute ? r : b), undefined);
  for (const [source, goal] of [
    ['messages', 10_000],
    ['storage-events', 5_000],
  ] as const) {
    const b = best(source);
    if (b)
      targets.push({
        target: `e2e from ${source} ≥ ${fmt(goal)} jobs/min at 5 ms API latency`,
        value: `${fmt(b.jobsPerMinute)} jobs/min (c=${b.concurrency}, ${fmt(b.jobs)} jobs)`,
        pass: b.jobsPerMinute >= goal,
      });
  }
  const m = best('messages');
  const l = m && launchOnly(dispatch, 5, m.concurrency);
  if (m && l)
    targets.push({
      target: 'e2e from messages ≥ 0.5 of the launch-only rate (5 ms, same concurrency)',
      value: `${round(m.jobsPerMinute / l.jobsPerMinute, 2)} at c=${m.concurrency}`,
      pass: m.jobsPerMinute / l.jobsPerMinute >= 0.5,
    });
  for (const p of e2e.filter((r) => r.offeredPerMinute !== undefined)) {
    targets.push({
      target: `p99 enqueue → driver < ${P99_TARGET_MS} ms below saturation (${p.source}, paced at ${fmt(p.offeredPerMinute!)}/min, c=${p.concurrency})`,
      value: `${p.p99Ms} ms`,
      pass: p.p99Ms < P99_TARGET_MS,
    });
  }
  const oneFloods = teams.find((t) => t.flooders === 1);
  if (oneFloods?.quietDuring && oneFloods.quietBefore)
    targets.push({
      target: `every other team's p99 enqueue → driver < ${P99_TARGET_MS} ms while one team floods its queue (${oneFloods.teams} teams, a flood of ${fmt(oneFloods.floodJobs)})`,
      value: `${oneFloods.quietDuring.worstTeamP99Ms} ms, the worst team (all of them: ${oneFloods.quietDuring.p99Ms} ms; before the flood ${oneFloods.quietBefore.p99Ms} ms)`,
      pass: oneFloods.quietDuring.worstTeamP99Ms < P99_TARGET_MS,
    });
  const allFlood = teams.find((t) => t.flooders === t.teams);
  if (allFlood) {
    const { first, last } = allFlood.floodTeamDoneMs;
    targets.push({
      target: `every team floods at once (${allFlood.teams} × ${fmt(allFlood.floodJobs)}): the slowest team done within ${FAIR_SHARE}× the quickest's time`,
      value: `${round(last / first, 2)}× (${fmt(Math.round(first))} → ${fmt(Math.round(last))} ms; ${fmt(allFlood.floodPerMinute)} jobs/min in all)`,
      pass: last <= FAIR_SHARE * first,
    });
  }
  for (const r of e2e) {
    const m = r.memory;
    if (!m) continue;
    // Flat: what stays per job beyond the objects the API server stores (a real one keeps them in its own process).
    targets.push({
      target: `memory flat over ${fmt(r.jobs)} jobs (${r.source}, finished drivers cleared): live heap growth per job ≤ ${MEMORY_FLAT_KIB} KiB`,
      value: `${m.liveHeapKiBPerJob} KiB/job (RSS ${r.rssMiB.start} → ${r.rssMiB.end} MiB)`,
      pass: m.liveHeapKiBPerJob <= MEMORY_FLAT_KIB,
    });
    const azurite = m.azuriteCpuMsPerJob ? `, Azurite ${m.azuriteCpuMsPerJob.early} → ${m.azuriteCpuMsPerJob.late}` : '';
    targets.push({
      target: `rate steady over ${fmt(r.jobs)} jobs (${r.source}): the last fifth ≥ ${STEADY_SHARE} of the 2nd–3rd tenths`,
      value: `${fmt(m.earlyPerMinute)} → ${fmt(m.latePerMinute)} jobs/min (CPU ms/job: this process ${m.cpuMsPerJob.early} → ${m.cpuMsPerJob.late}${azurite})`,
      pass: m.latePerMinute >= STEADY_SHARE * m.earlyPerMinute,
    });
  }
  return targets;
}

/** Many teams on one app: the flooding teams, and the others before and during the flood. */
function teamsTable(runs: readonly TeamsResult[]): string[] {
  const r = runs[0];
  if (!r) return [];
  const pair = (l: { p50Ms: number; p99Ms: number } | undefined) => (l ? `${l.p50Ms} / ${l.p99Ms}` : '–');
  const out = [
    `### Many teams: floods beside steady jobs (${r.latencyMs} ms API latency)`,
    '',
    `${r.teams} teams, each with its own queue and trigger (\`SPARK_DISPATCH_JOB_QUEUES\`) at host.json's \`maxConcurrentCalls\` (${r.concurrencyPerTeam}), its own namespace, one function app ([bench/e2eTeams.ts](../bench/e2eTeams.ts)). The teams that do not flood send one job at a time, ${r.quietPerMinutePerTeam} a minute each, alone for 5 s and then while the flood is worked off; the flooding teams send their jobs at once. Latency as above: from the send to the function's return. Had the teams shared one queue, each of the others' jobs would have waited behind the flood, as the flood's own jobs do. RSS is the whole process (the stand-in's store and the broker's queues included).`,
    '',
    '| flooding teams × jobs | flood jobs/min | flood p50 / p99 ms | each flooding team done, ms (quickest → slowest) | other teams before the flood: jobs, p50 / p99 ms | during the flood: jobs, p50 / p99 ms | worst team p99 during, ms | CPU ms/job (this process) | CPU ms/job (Azurite) | RSS MiB start → max | launched |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const t of runs)
    out.push(
      `| ${t.flooders} × ${fmt(t.floodJobs)} | ${fmt(t.floodPerMinute)} | ${pair(t.flood)} | ${fmt(Math.round(t.floodTeamDoneMs.first))} → ${fmt(Math.round(t.floodTeamDoneMs.last))} | ${t.quietBefore ? `${t.quietBefore.jobs}: ${pair(t.quietBefore)}` : '–'} | ${t.quietDuring ? `${t.quietDuring.jobs}: ${pair(t.quietDuring)}` : '–'} | ${t.quietDuring?.worstTeamP99Ms ?? '–'} | ${t.cpuMsPerJob} | ${t.azuriteCpuMsPerJob ?? '–'} | ${t.rssMiB.start} → ${t.rssMiB.max} | ${fmt(t.launched)}/${fmt(t.jobs)} |`,
    );
  out.push('');
  return out;
}

/** The profiled run's CPU per job by part, this process and Azurite, beside the launch alone at the same concurrency. */
function cpuTable(r: E2eResult | undefined, dispatch: readonly DispatchResult[]): string[] {
  const parts = r?.cpuMsPerJobByPart;
  if (!r || !parts) return [];
  const sampled = Object.values(parts).reduce((a, b) => a + b, 0);
  const azurite = r.azuriteCpuMsPerJob;
  const total = sampled + (azurite ?? 0);
  const l = launchOnly(dispatch, r.latencyMs, r.concurrency);
  const out = [
    `### Where a job's CPU goes (messages, ${r.latencyMs} ms, c=${r.concurrency}, ${fmt(r.jobs)} jobs, profiled)`,
    '',
    `A CPU profile of this process during a separate run (${fmt(r.jobsPerMinute)} jobs/min with the profiler on), each sample charged to the nearest frame of this repository on its stack ([bench/cpuBreakdown.ts](../bench/cpuBreakdown.ts)); Azurite's CPU from /proc. In Azure only the dispatcher's parts run in the function: the host receives and settles messages, and the API server, Service Bus and Blob storage run elsewhere.`,
    '',
    '| part | CPU ms per job | share |',
    '|---|---|---|',
  ];
  const row = (name: string, ms: number) => out.push(`| ${name} | ${round(ms, 2)} | ${Math.round((ms / total) * 100)} % |`);
  for (const [name, ms] of Object.entries(parts).sort(([a], [b]) => a.localeCompare(b))) row(name, ms);
  if (azurite !== undefined) row('Azurite (its own process)', azurite);
  out.push(`| **total** | **${round(total, 2)}** | |`, '');
  if (l) out.push(`The launch alone at the same concurrency and latency: ${fmt(l.jobsPerMinute)} jobs/min in the dispatch section.`, '');
  return out;
}

function e2eTable(e2e: readonly E2eResult[], dispatch: readonly DispatchResult[]): string[] {
  const out = ['## End to end: message or upload → ledger → driver', ''];
  out.push(
    "Job messages sent in batches through the real Service Bus SDK to the project's broker and received by the job-message function under the local queue-trigger host (its settlement, `maxConcurrentCalls` = concurrency); uploads of `_SUCCESS` markers whose blob-created events go to the storage-event function (`concurrency` deliveries at once). Ledger in Azurite (behind a counting proxy), drivers in the stand-in, lifecycle events published to the events topic. Each row runs in a fresh process after a 200-job warm-up on servers of its own. Broker messages per job are the job message and its lifecycle event; transfers count AMQP sends, where a batch is one (the bench sends job messages in batches of 100; events published while another is on the wire share one). Latency: from the send (or the upload) to the function's return, the driver created and recorded. Unpaced rows send every job at once, so their latencies include the wait in the queue; paced rows offer half the rate the same configuration reached.",
    '',
    '| source | API latency | concurrency | jobs | offered/min | jobs/min | launch-only jobs/min | e2e / launch-only | p50 ms | p99 ms | storage requests/job | broker messages/job (transfers) | settlements/job | Kubernetes requests/job | ledger record, bytes | CPU ms/job (this process) | CPU ms/job (Azurite) | RSS MiB start → end (max) | launched |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of e2e) {
    const l = launchOnly(dispatch, r.latencyMs, r.concurrency);
    const storage = `${r.storageRequestsPerJob} (${Object.entries(r.storageRequestsByMethod)
      .map(([m, n]) => `${n} ${m}`)
      .join(', ')})`;
    out.push(
      `| ${r.source} | ${r.latencyMs} ms | ${r.concurrency} | ${fmt(r.jobs)} | ${r.offeredPerMinute ? fmt(r.offeredPerMinute) : r.memory ? `at once, ${fmt(LONG_RUN_BACKLOG)} waiting at most` : 'all at once'} | ${fmt(r.jobsPerMinute)} | ${l ? fmt(l.jobsPerMinute) : '–'} | ${l && r.offeredPerMinute === undefined ? round(r.jobsPerMinute / l.jobsPerMinute, 2) : '–'} | ${r.p50Ms} | ${r.p99Ms} | ${storage} | ${r.brokerSentPerJob} (${r.brokerTransfersPerJob}) | ${r.brokerCompletedPerJob} | ${r.kubeRequestsPerJob} | ${fmt(r.ledgerBytesPerRecord)} | ${r.cpuMsPerJob} | ${r.azuriteCpuMsPerJob ?? '–'} | ${r.rssMiB.start} → ${r.rssMiB.end} (${r.rssMiB.max}) | ${r.launched}/${r.jobs} |`,
    );
  }
  out.push('');
  for (const r of e2e) {
    const m = r.memory;
    if (!m) continue;
    out.push(
      `Live heap (after a full collection) as the ${fmt(r.jobs)}-job run (${r.source}, c=${r.concurrency}) went on, MiB at jobs done: ${m.liveHeapMiB.map(([d, mib]) => `${fmt(d)}: ${mib}`).join(', ')}. ` +
        `Growth over the last 80 %: ${m.liveHeapKiBPerJob} KiB/job (the whole process: dispatcher, broker, clients, the bench and the stand-in, whose finished drivers are deleted as jobs complete). ` +
        `RSS samples, MiB: ${r.rssMiB.samples.join(', ')}.`,
      '',
    );
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    ramGiB: round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  log(`spark-dispatch bench${QUICK ? ' (--quick)' : ''} on ${machine.cores} × ${machine.cpu}, ${machine.ramGiB} GiB, Node ${machine.node}`);

  const dispatchResults: DispatchResult[] = [];
  const rawResults: RawResult[] = [];
  const kubectlResults: KubectlResult[] = [];
  /** launchJob on the same jobs count, latency and concurrency as each kubectl row. */
  const kubectlPeers: DispatchResult[] = [];
  let kubectlNote = '';
  let sweepResult: SweepResult | undefined;
  let cold: Awaited<ReturnType<typeof coldStart>> | undefined;
  const e2eResults: E2eResult[] = [];
  let e2eProfiled: E2eResult | undefined;
  const e2eTeams: TeamsResult[] = [];

  if (enabled('dispatch') || enabled('raw')) {
    log('dispatch and raw limit…');
    for (const latencyMs of LATENCIES) {
      for (const concurrency of concurrencies(latencyMs)) {
        if (enabled('dispatch')) {
          dispatchResults.push(await dispatch('native', latencyMs, concurrency));
          dispatchResults.push(await dispatch('operator', latencyMs, concurrency));
        }
        if (enabled('raw')) rawResults.push(await raw(latencyMs, concurrency));
      }
    }
  }
  if (enabled('kubectl')) {
    log('kubectl…');
    const binary = findKubectl();
    if (!binary) {
      kubectlNote = KUBECTL_MISSING;
      log(`  ${KUBECTL_MISSING}`);
    } else {
      kubectlNote = execFileSync(binary, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0] ?? '';
      for (const concurrency of [1, 8]) {
        kubectlResults.push(await kubectl(binary, 5, concurrency));
        kubectlPeers.push(await dispatch('native', 5, concurrency, KUBECTL_JOBS));
      }
    }
  }
  if (enabled('sweep')) {
    log('sweeper…');
    sweepResult = await sweeperBench();
  }
  if (enabled('cold')) {
    log('cold start and peak RSS…');
    cold = await coldStart();
  }
  if (enabled('e2e')) {
    log('end to end (broker → job-message function → ledger in Azurite → stand-in; uploads → storage events)…');
    const e2eLog = (r: E2eResult) =>
      log(
        `  e2e ${r.source} ${r.latencyMs} ms c=${r.concurrency}${r.offeredPerMinute ? ` paced ${fmt(r.offeredPerMinute)}/min` : ''}: ${fmt(r.jobsPerMinute)} jobs/min, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, storage ${r.storageRequestsPerJob}/job ${JSON.stringify(r.storageRequestsByMethod)}, broker sent ${r.brokerSentPerJob}/job in ${r.brokerTransfersPerJob} transfers, completed ${r.brokerCompletedPerJob}/job, kube ${r.kubeRequestsPerJob}/job, ledger record ${r.ledgerBytesPerRecord} B, CPU ${r.cpuMsPerJob} ms/job (Azurite ${r.azuriteCpuMsPerJob ?? '?'}), RSS ${r.rssMiB.start}→${r.rssMiB.end} MiB (max ${r.rssMiB.max}), ${r.launched}/${r.jobs} launched`,
      );
    for (const [source, latencyMs, concurrency, jobs] of E2E_RUNS) {
      const r = await e2eRunIsolated(
        source,
        jobs,
        concurrency,
        latencyMs,
        jobs >= 10_000 ? { memory: true, backlog: LONG_RUN_BACKLOG, finish: true } : {},
      );
      e2eLog(r);
      if (r.memory) log(`    memory: ${JSON.stringify(r.memory)}`);
      e2eResults.push(r);
    }
    for (const source of ['messages', 'storage-events'] as const) {
      const full = e2eResults.find(
        (r) => r.source === source && r.latencyMs === 5 && r.concurrency === 16 && r.offeredPerMinute === undefined,
      );
      if (!full) continue;
      const r = await e2eRunIsolated(source, Math.min(full.jobs, QUICK ? 300 : 1000), 16, 5, {
        prefix: 'paced',
        perMinute: Math.round(full.jobsPerMinute * PACED_SHARE),
      });
      e2eLog(r);
      e2eResults.push(r);
    }
    const hostJson = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
      extensions: { serviceBus: { maxConcurrentCalls: number } };
    };
    for (const scenario of [TEAMS_ONE_FLOODS, TEAMS_ALL_FLOOD]) {
      const r = await e2eTeamsRunIsolated({ ...scenario, concurrencyPerTeam: hostJson.extensions.serviceBus.maxConcurrentCalls });
      log(`  e2e teams: ${JSON.stringify(r)}`);
      e2eTeams.push(r);
    }
    // Where the CPU of a job goes: a profiled run of the busiest configuration (not a table row: the profiler slows it).
    e2eProfiled = await e2eRunIsolated('messages', QUICK ? 300 : 1000, 64, 5, { prefix: 'profiled', profile: true });
    log(
      `  e2e profiled (messages, 5 ms, c=64): ${JSON.stringify(e2eProfiled.cpuMsPerJobByPart)}, Azurite ${e2eProfiled.azuriteCpuMsPerJob} ms/job`,
    );
  }

  // ---- targets
  const native5 = dispatchResults.filter((r) => r.backend === 'native' && r.latencyMs === 5);
  const best5 = native5.reduce<DispatchResult | undefined>(
    (best, r) => (!best || r.jobsPerMinute > best.jobsPerMinute ? r : best),
    undefined,
  );
  const rawAt = (latencyMs: number, concurrency: number): RawResult | undefined =>
    rawResults.find((r) => r.latencyMs === latencyMs && r.concurrency === concurrency);
  const ratio = (r: DispatchResult): number | undefined => {
    const limit = rawAt(r.latencyMs, r.concurrency);
    return limit ? r.jobsPerMinute / limit.jobsPerMinute : undefined;
  };
  const bestRatio = best5 ? ratio(best5) : undefined;
  const coldWorst = cold ? Math.max(...cold.modules.map((m) => m.importMs)) : undefined;
  const targets = [
    best5 && {
      target: `≥ 3,000 jobs/min at 5 ms API latency (native, best concurrency) on ${machine.cores} cores`,
      value: `${fmt(best5.jobsPerMinute)} jobs/min (c=${best5.concurrency})`,
      pass: best5.jobsPerMinute >= 3000,
    },
    best5 &&
      bestRatio !== undefined && {
        target: 'dispatcher ≥ 80% of the raw create rate (5 ms, same concurrency)',
        value: `${Math.round(bestRatio * 100)}% at c=${best5.concurrency}`,
        pass: bestRatio >= 0.8,
      },
    sweepResult && {
      target: `full sweep (dry run) of ${fmt(sweepResult.pods)} pods < 1 s`,
      value: `${fmt(sweepResult.sweepMs)} ms (median of ${sweepResult.runs})`,
      pass: sweepResult.sweepMs < 1000,
    },
    coldWorst !== undefined && {
      target: 'function cold import < 300 ms (slowest of the three)',
      value: `${coldWorst} ms`,
      pass: coldWorst < 300,
    },
    ...e2eTargets(e2eResults, dispatchResults, e2eTeams),
  ].filter((t): t is { target: string; value: string; pass: boolean } => Boolean(t));

  // ---- markdown
  const out: string[] = [];
  out.push(`# spark-dispatch bench${QUICK ? ' (--quick)' : ''}`, '');
  out.push(
    `Machine: ${machine.cores} cores × ${machine.cpu}, ${machine.ramGiB} GiB RAM, Node ${machine.node} (${machine.platform}); in-process stand-in API server on 127.0.0.1.`,
    '',
  );
  if (targets.length > 0) {
    out.push('## Targets', '', '| target | measured | |', '|---|---|---|');
    for (const t of targets) out.push(`| ${t.target} | ${t.value} | ${mark(t.pass)} |`);
    out.push('');
  }
  if (dispatchResults.length > 0 || rawResults.length > 0) {
    out.push('## Dispatch (launchJob through the real client) vs the raw limit (bare keep-alive fetch POSTs of the same objects)', '');
    out.push(
      '| backend | API latency | concurrency | jobs | jobs/min | p50 ms | p99 ms | API calls/job | raw jobs/min | raw p99 ms | dispatcher / raw |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    const keys = [
      ...new Set([
        ...dispatchResults.map((r) => `${r.latencyMs}/${r.concurrency}`),
        ...rawResults.map((r) => `${r.latencyMs}/${r.concurrency}`),
      ]),
    ];
    for (const key of keys) {
      const [latencyMs, concurrency] = key.split('/').map(Number) as [number, number];
      const limit = rawAt(latencyMs, concurrency);
      for (const r of dispatchResults.filter((d) => d.latencyMs === latencyMs && d.concurrency === concurrency)) {
        const q = r.backend === 'native' ? ratio(r) : undefined;
        const rawCell = r.backend === 'native' && limit ? `${fmt(limit.jobsPerMinute)} | ${limit.p99Ms}` : '– | –';
        const failed = r.launched === r.jobs ? '' : ` (${r.jobs - r.launched} not launched)`;
        out.push(
          `| ${r.backend} | ${latencyMs} ms | ${concurrency} | ${fmt(r.jobs)}${failed} | ${fmt(r.jobsPerMinute)} | ${r.p50Ms} | ${r.p99Ms} | ${r.apiCallsPerJob} | ${rawCell} | ${q === undefined ? '–' : `${Math.round(q * 100)}%`} |`,
        );
      }
      if (limit && dispatchResults.length === 0)
        out.push(
          `| raw | ${latencyMs} ms | ${concurrency} | ${fmt(limit.jobs)} | – | ${limit.p50Ms} | ${limit.p99Ms} | 3 | ${fmt(limit.jobsPerMinute)} | ${limit.p99Ms} | – |`,
        );
    }
    out.push(
      '',
      'Native: pod, then ConfigMap and Service owned by it (3 creates); operator: one SparkApplication. Fresh stand-in per row.',
      '',
    );
  }
  if (enabled('kubectl')) {
    out.push(
      '## Peer: `kubectl create --validate=false -f job.yaml` per job (one process per job, Pod + ConfigMap + Service in one List)',
      '',
    );
    if (kubectlResults.length === 0) out.push(`${kubectlNote}`, '');
    else {
      out.push(
        `${kubectlNote}; 5 ms API latency. The peer's ConfigMap and Service carry no ownerReferences (one kubectl call cannot know the pod's uid).`,
        '',
        '| concurrency | jobs | failed | kubectl jobs/min | kubectl p50 ms per job | launchJob jobs/min (same jobs, latency, concurrency) | launchJob p50 ms | launchJob / kubectl |',
        '|---|---|---|---|---|---|---|---|',
      );
      for (const k of kubectlResults) {
        const peer = kubectlPeers.find((d) => d.latencyMs === k.latencyMs && d.concurrency === k.concurrency);
        out.push(
          `| ${k.concurrency} | ${k.jobs} | ${k.failed} | ${fmt(k.jobsPerMinute)} | ${k.p50Ms} | ${peer ? fmt(peer.jobsPerMinute) : '–'} | ${peer ? peer.p50Ms : '–'} | ${peer && k.jobsPerMinute > 0 ? `${round(peer.jobsPerMinute / k.jobsPerMinute)}×` : '–'} |`,
        );
      }
      out.push('');
    }
  }
  if (sweepResult) {
    const s = sweepResult;
    out.push('## Sweeper', '', '| measurement | pods | ms |', '|---|---|---|');
    out.push(`| classifyDriver (pure, in memory, mixed phases) | ${fmt(s.pods)} | ${s.classifyMs} |`);
    const range = (runs: number[]): string => `${fmt(Math.min(...runs))}–${fmt(Math.max(...runs))}`;
    out.push(
      `| full sweep, dry run, stand-in at 0 ms (plus ${fmt(s.executors)} executor pods; pages of ${s.pageSize}: ${s.listCalls} list calls; would clear ${fmt(s.wouldClear)}); median of ${s.runs} (range ${range(s.sweepRunsMs)}) | ${fmt(s.examined)} | ${fmt(s.sweepMs)} |`,
    );
    out.push(
      `| floor: the same paginated lists by bare fetch + JSON.parse (stand-in + HTTP only, no client, no sweep logic); median (range ${range(s.rawListRunsMs)}) | ${fmt(s.examined)} | ${fmt(s.rawListMs)} |`,
    );
    out.push(
      `| full sweep, dry run, stand-in at 5 ms latency; median (range ${range(s.sweepLatency5RunsMs)}) | ${fmt(s.examined)} | ${fmt(s.sweepLatency5Ms)} |`,
    );
    out.push('');
  }
  if (cold) {
    out.push(
      `## Cold start (fresh \`node\`, import the compiled function module; median of ${COLD_RUNS})`,
      '',
      '| module | performance.now() after import, ms | RSS MiB |',
      '|---|---|---|',
    );
    for (const m of cold.modules) out.push(`| ${m.module} | ${m.importMs} | ${m.rssMiB} |`);
    out.push('');
    if ('error' in cold.peak) out.push(`Peak RSS: failed (${cold.peak.error})`, '');
    else
      out.push(
        `Peak RSS during ${fmt(cold.peak.jobs)} concurrent launches (Promise.all, native, stand-in in the same process, sampled every 20 ms): **${cold.peak.peakRssMiB} MiB** (after imports ${cold.peak.rssBeforeMiB} MiB; stand-in up and jobs resolved ${cold.peak.rssReadyMiB} MiB); ${cold.peak.launched} launched in ${fmt(cold.peak.wallMs)} ms.`,
        '',
      );
  }
  const e2eMarkdown =
    e2eResults.length > 0
      ? [...e2eTable(e2eResults, dispatchResults), ...teamsTable(e2eTeams), ...cpuTable(e2eProfiled, dispatchResults)]
      : [];
  out.push(...e2eMarkdown);
  out.push('## Peers, published figures (context, not measured here)', '');
  out.push('- spark-submit (cluster mode): 2–8 s and 200–400 MB (a JVM) per submission.');
  out.push('- Spark Operator: ~130 applications per minute on a 36-vCPU controller.');
  out.push('', `Total bench time: ${Math.round((performance.now() - started) / 1000)} s.`);
  const markdown = out.join('\n');

  const results = {
    generatedAt: new Date().toISOString(),
    quick: QUICK,
    machine,
    targets,
    e2e: e2eResults,
    e2eProfiled,
    e2eTeams,
    dispatch: dispatchResults,
    raw: rawResults,
    kubectl: { note: kubectlNote, results: kubectlResults, launchJobSameRun: kubectlPeers },
    sweep: sweepResult,
    cold,
    markdown,
  };
  process.stdout.write(`${markdown}\n`);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (WRITE) {
    writeFileSync(join(ROOT, 'bench/results.json'), json);
    // The docs get the tables without the page title: headings one level down, under the page's own.
    const demote = (lines: string[]) => lines.map((line) => (line.startsWith('## ') ? `#${line}` : line)).join('\n');
    writeDocSection(join(ROOT, 'docs/performance.md'), 'bench:results', demote(out.slice(2).filter((line) => !e2eMarkdown.includes(line))));
    writeDocSection(join(ROOT, 'docs/performance.md'), 'bench:e2e', demote(e2eMarkdown));
    log('wrote bench/results.json and docs/performance.md');
  } else {
    const file = join(mkdtempSync(join(tmpdir(), 'sd-bench-')), 'results.json');
    writeFileSync(file, json);
    log(`results in ${file} (npm run bench -- --write records a full run in bench/results.json and docs/performance.md)`);
  }
}

await main();

// (no process.exit: the bench must end by itself once everything it opened is closed)
