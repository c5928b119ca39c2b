/**
 * The whole path, not only the launch: job messages published through the real Service Bus SDK to
 * the project's broker, received by the job-message function under the local queue-trigger host
 * (the host's settlement, its maxConcurrentCalls), the ledger in Azurite, drivers in the Kubernetes
 * stand-in, lifecycle events on the events topic; and the same for uploads whose blob-created
 * events go to the storage-event function. Counts what each job costs: storage requests (a proxy in
 * front of Azurite counts them), broker sends and settlements, CPU of this process, RSS over the run.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import functions from '@azure/functions';
import { makeJobMessagesHandler } from '../src/triggers/jobMessagesHandler.js';
import { makeStorageEventsHandler } from '../src/triggers/storageEventsHandler.js';
import { startQueueTriggerHost } from '../dev/local-stack/queueTriggerHost.js';
import { blobCreated } from '../test/support/blobEvents.js';
import { intakeEnv, key, QUEUE, type IntakeEnv } from '../test/support/intakeEnv.js';
import { NAMESPACE, percentile, projectRoot, perMinute, round, runPool } from './support.js';
import type { KubeStoredObject } from '../dev/kube-standin/standInTypes.js';
import { cpuBreakdown, type CpuProfile, type Part } from './cpuBreakdown.js';
import { ANNOTATIONS, LABELS } from '../src/domain/render/naming.js';

export type E2eSource = 'messages' | 'storage-events';

export interface E2eResult {
  source: E2eSource;
  latencyMs: number;
  concurrency: number;
  jobs: number;
  /** Offered load, when paced (below saturation); otherwise every job is sent at once. */
  offeredPerMinute?: number;
  /** Jobs whose ledger record ends `launched` with exactly one driver pod. */
  launched: number;
  drivers: number;
  wallMs: number;
  jobsPerMinute: number;
  /** From the send (messages) or the upload (storage events) to the handler's return: driver created and recorded. */
  p50Ms: number;
  p99Ms: number;
  storageRequestsPerJob: number;
  storageRequestsByMethod: Record<string, number>;
  /** Messages the broker accepted (job messages, lifecycle events, scheduled retries) and settlements, per job. */
  brokerSentPerJob: number;
  brokerCompletedPerJob: number;
  /** AMQP transfers to the broker's queues and topics per job (a batch is one): the job messages and lifecycle events. */
  brokerTransfersPerJob: number;
  kubeRequestsPerJob: number;
  /** The average size of a job's ledger record (JSON with its history) at the end of the run: what Blob storage holds per job. */
  ledgerBytesPerRecord: number;
  /** CPU of this process (dispatcher, broker, stand-in; Azurite runs in its own) per job. */
  cpuMsPerJob: number;
  /** Azurite's CPU per job (Linux, from /proc), when it could be read. */
  azuriteCpuMsPerJob?: number;
  /** Profiled runs only: this process's CPU per job by part (cpuBreakdown), ms. */
  cpuMsPerJobByPart?: Partial<Record<Part, number>>;
  rssMiB: { start: number; max: number; end: number; samples: number[] };
  /** Long runs only: what stays in memory per job, and whether the rate holds. */
  memory?: E2eMemory;
}

export interface E2eMemory {
  /** Live heap (after a full garbage collection) as jobs complete: [jobs done, MiB]. */
  liveHeapMiB: [number, number][];
  /**
   * Growth of the live heap per job over the last 80 % of the run (least squares), of the whole
   * process: dispatcher, broker, SDK clients, the bench's bookkeeping and the stand-in, whose
   * finished drivers are deleted as they would be on a cluster (E2eOptions.finish).
   */
  liveHeapKiBPerJob: number;
  /** With finished drivers cleared: the most driver pods the API server held at once. */
  driversAliveAtMost?: number;
  /** Completion rate over jobs 10–30 % and 80–100 % of the run. */
  earlyPerMinute: number;
  latePerMinute: number;
  /** CPU ms per job over the same stretches: this process, and Azurite's own (Linux only, from /proc). */
  cpuMsPerJob: { early: number; late: number };
  azuriteCpuMsPerJob?: { early: number; late: number };
}

/** CPU time of another process in ms (Linux: utime + stime from /proc/PID/stat, in clock ticks of 10 ms). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    if (!fields) return undefined;
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** At a point of the run: jobs done, time, CPU of this process and of Azurite. */
interface Checkpoint {
  readonly done: number;
  readonly at: number;
  readonly cpuMs: number;
  readonly azuriteCpuMs: number | undefined;
}

const MiB = 2 ** 20;
const REPOSITORY = projectRoot(dirname(fileURLToPath(import.meta.url)));

/** A CPU profile of this process from now until stop() (1 ms samples). */
async function startProfiler(): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

/** A full garbage collection for live-heap samples: the bench runs without --expose-gc. */
const fullGc = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
const liveHeapMiB = (): number => {
  fullGc();
  return process.memoryUsage().heapUsed / MiB;
};
const main = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/bench/main.py';

export interface E2eOptions {
  readonly prefix?: string;
  /** Paced at this offered rate; otherwise every job is sent at once. */
  readonly perMinute?: number;
  /** Live-heap samples and early/late rates (long runs). */
  readonly memory?: boolean;
  /** At most this many job messages waiting in the queue. */
  readonly backlog?: number;
  /**
   * Drivers finish: once a job's function returned, its driver pod is deleted (background
   * propagation, so the API server's collector removes its ConfigMap and Service), as the sweeper
   * clears finished drivers. A cluster holds the drivers that run, not every driver ever launched;
   * without this a long run measures the API server's store growing (messages only).
   */
  readonly finish?: boolean;
  /** Take a CPU profile of the run and charge each job's CPU to the parts of the process (slows the run a little). */
  readonly profile?: boolean;
}

/** One configuration end to end, on fresh servers (e2eRunIsolated runs it in a process of its own). */
export async function e2eRun(
  source: E2eSource,
  jobs: number,
  concurrency: number,
  latencyMs: number,
  options: E2eOptions = {},
): Promise<E2eResult> {
  const prefix = options.prefix ?? 'e2e';
  const env = await intakeEnv({}, undefined, {
    storageProxy: true,
    auditSubscription: false,
    duplicateDetectionWindowMs: 0,
    // Finished drivers are deleted; their history goes after COMPACTION_MS, not after the API server's default 5 minutes.
    ...(options.finish ? { compactionIntervalMs: COMPACTION_MS } : {}),
  });
  try {
    if (latencyMs > 0) env.kube.standIn.setFaults([{ rate: 0, kinds: ['500'], latencyMs }]);
    const data = env.blobs.getContainerClient('data');
    await data.createIfNotExists();
    const keys = Array.from({ length: jobs }, (_, i) => `${prefix}-${source}-${latencyMs}-${concurrency}-${i}`);
    const storageBefore = { ...env.storage!.requests };
    env.kube.standIn.resetStats();
    const brokerBefore = env.broker.stats();
    const startedAt: number[] = new Array<number>(jobs).fill(0);
    const doneAt: number[] = new Array<number>(jobs).fill(0);
    const rss: number[] = [];
    // Live heap every tenth of the run: each sample is a full collection (a pause of some 100 ms in a long run).
    const heap: [number, number][] = [];
    const heapEvery = options.memory ? Math.max(1, Math.floor(jobs / 10)) : 0;
    if (heapEvery > 0) heap.push([0, liveHeapMiB()]);
    let completed = 0;
    const checkpoints: Checkpoint[] = [];
    const checkpoint = () => {
      const cpu = process.cpuUsage();
      checkpoints.push({
        done: completed,
        at: performance.now(),
        cpuMs: (cpu.user + cpu.system) / 1000,
        azuriteCpuMs: processCpuMs(env.azurite.pid),
      });
    };
    const reaper = options.finish ? startReaper(env) : undefined;
    const onDone = (i: number) => {
      reaper?.finished(key(keys[i]!));
      completed++;
      if (heapEvery > 0 && completed % heapEvery === 0) {
        checkpoint();
        heap.push([completed, liveHeapMiB()]);
      }
    };
    if (heapEvery > 0) checkpoint();
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 250);
    const profiler = options.profile ? await startProfiler() : undefined;
    const azuriteBefore = processCpuMs(env.azurite.pid);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    if (source === 'messages') await viaMessages(env, keys, concurrency, startedAt, doneAt, onDone, options.perMinute, options.backlog);
    else await viaStorageEvents(env, keys, concurrency, startedAt, doneAt, onDone, options.perMinute);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const azuriteAfter = processCpuMs(env.azurite.pid);
    const byPart = profiler ? cpuBreakdown(await profiler.stop(), pathToFileURL(REPOSITORY).href) : undefined;
    await reaper?.stop();
    clearInterval(sampler);
    rss.push(process.memoryUsage().rss);
    const brokerAfter = env.broker.stats();
    const storage: Record<string, number> = {};
    for (const [method, n] of Object.entries(env.storage!.requests))
      if (n - (storageBefore[method] ?? 0) > 0) storage[method] = n - (storageBefore[method] ?? 0);
    // Only the dispatcher's requests pass the proxy: the producer's uploads (env.blobs) go to Azurite directly.
    const { launched, drivers } = await tally(env, source, keys, reaper?.reaped);
    const ledgerBytesPerRecord = await averageRecordBytes(env);
    const latencies = doneAt.map((d, i) => d - startedAt[i]!).filter((d) => d > 0);
    const kubeRequests = Object.values(env.kube.standIn.stats().requests).reduce((a, b) => a + b, 0);
    const step = Math.max(1, Math.floor(rss.length / 20));
    const memory = options.memory
      ? { ...memoryOf(heap, checkpoints), ...(reaper ? { driversAliveAtMost: reaper.maxAlive } : {}) }
      : undefined;
    return {
      source,
      latencyMs,
      concurrency,
      jobs,
      ...(options.perMinute === undefined ? {} : { offeredPerMinute: options.perMinute }),
      launched,
      drivers,
      wallMs: round(wallMs),
      jobsPerMinute: perMinute(jobs, wallMs),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      storageRequestsPerJob: round(Object.values(storage).reduce((a, b) => a + b, 0) / jobs, 2),
      storageRequestsByMethod: Object.fromEntries(Object.entries(storage).map(([m, n]) => [m, round(n / jobs, 2)])),
      brokerSentPerJob: round((brokerAfter.sent - brokerBefore.sent) / jobs, 2),
      brokerCompletedPerJob: round((brokerAfter.completed - brokerBefore.completed) / jobs, 2),
      brokerTransfersPerJob: round((brokerAfter.transfers - brokerBefore.transfers) / jobs, 2),
      kubeRequestsPerJob: round(kubeRequests / jobs, 2),
      ledgerBytesPerRecord,
      cpuMsPerJob: round((cpu.user + cpu.system) / 1000 / jobs, 2),
      ...(azuriteBefore !== undefined && azuriteAfter !== undefined
        ? { azuriteCpuMsPerJob: round((azuriteAfter - azuriteBefore) / jobs, 2) }
        : {}),
      ...(byPart ? { cpuMsPerJobByPart: Object.fromEntries([...byPart].map(([part, ms]) => [part, round(ms / jobs, 2)])) } : {}),
      rssMiB: {
        start: round((rss[0] ?? 0) / MiB),
        max: round(Math.max(...rss) / MiB),
        end: round(rss[rss.length - 1]! / MiB),
        samples: rss.filter((_, i) => i % step === 0).map((r) => round(r / MiB)),
      },
      ...(memory ? { memory } : {}),
    };
  } finally {
    await env.close();
  }
}

const TICK_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Paced: the jobs due by now (at `perMinute`) in each tick; unpaced: all of them at once. */
async function paced(count: number, perMinute: number | undefined, send: (from: number, to: number) => Promise<void>): Promise<void> {
  if (perMinute === undefined) return send(0, count);
  const t0 = performance.now();
  let next = 0;
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 60_000) * perMinute) + 1);
    if (due > next) {
      await send(next, due);
      next = due;
    }
    await sleep(TICK_MS);
  }
}

async function viaMessages(
  env: IntakeEnv,
  keys: readonly string[],
  concurrency: number,
  startedAt: number[],
  doneAt: number[],
  onDone: (i: number) => void,
  perMinute?: number,
  backlog = Number.POSITIVE_INFINITY,
): Promise<void> {
  const index = new Map(keys.map((k, i) => [k, i]));
  const inner = makeJobMessagesHandler(async () => env.runtime.deps, QUEUE);
  let done = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const host = startQueueTriggerHost({
    client: env.client,
    queueName: QUEUE,
    functionName: 'jobMessages',
    maxConcurrentCalls: concurrency,
    handler: async (message, context) => {
      await inner(message, context);
      const i = index.get((message as { jobKey: string }).jobKey);
      if (i !== undefined && doneAt[i] === 0) {
        doneAt[i] = performance.now();
        onDone(i);
        if (++done === keys.length) allDone();
      }
    },
  });
  try {
    // Publishers send in batches, as a producer with many jobs would; each job's clock starts with its batch.
    const sender = env.client.createSender(QUEUE);
    try {
      let batch = await sender.createMessageBatch();
      let members: number[] = [];
      const flush = async () => {
        const at = performance.now();
        for (const i of members) startedAt[i] = at;
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        members = [];
      };
      await paced(keys.length, perMinute, async (from, to) => {
        for (let i = from; i < to; i++) {
          // A bounded backlog: the queue never runs dry, but the broker does not hold the whole run either.
          if (i - done >= backlog) {
            if (members.length > 0) await flush();
            while (i - done >= backlog) await sleep(5);
          }
          const message = {
            body: { name: 'bench', jobKey: keys[i]!, main, args: ['--n', String(i)] },
            messageId: keys[i]!,
            contentType: 'application/json',
          };
          if (!batch.tryAddMessage(message) || members.length >= 100) {
            await flush();
            batch.tryAddMessage(message);
          }
          members.push(i);
        }
        if (members.length > 0) await flush();
      });
    } finally {
      await sender.close();
    }
    await finished;
  } finally {
    await host.close();
  }
}

async function viaStorageEvents(
  env: IntakeEnv,
  keys: readonly string[],
  concurrency: number,
  startedAt: number[],
  doneAt: number[],
  onDone: (i: number) => void,
  perMinute?: number,
): Promise<void> {
  const data = env.blobs.getContainerClient('data');
  const handler = makeStorageEventsHandler(async () => env.runtime.deps);
  let sequence = 0;
  const one = async (i: number) => {
    const path = `raw/orders/${keys[i]}/_SUCCESS`;
    startedAt[i] = performance.now();
    const uploaded = await data.getBlockBlobClient(path).upload('', 0);
    const context = new functions.InvocationContext({
      invocationId: `bench-${++sequence}`,
      functionName: 'storageEvents',
      logHandler: () => {},
    });
    await handler([blobCreated('data', path, uploaded.etag!, { contentLength: 0 })] as never, context);
    doneAt[i] = performance.now();
    onDone(i);
  };
  // Event Grid delivers one event per request to a function (maxEventsPerBatch 1); `concurrency` deliveries at once.
  if (perMinute === undefined) {
    await runPool(keys.length, concurrency, one);
    return;
  }
  const inFlight = new Set<Promise<void>>();
  await paced(keys.length, perMinute, async (from, to) => {
    for (let i = from; i < to; i++) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const p: Promise<void> = one(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  });
  await Promise.all(inFlight);
}

const driverPods = (env: IntakeEnv) => env.kube.standIn.objects('pods', NAMESPACE, { labelSelector: `${LABELS.role}=driver` });
const jobKeyOf = (pod: KubeStoredObject): string =>
  (pod.metadata.annotations as Record<string, string> | undefined)?.[ANNOTATIONS.jobKey] ?? '';

interface Reaper {
  /** The job's function returned: its driver may go. */
  finished(jobKey: string): void;
  /** Driver pods deleted, by job key. */
  readonly reaped: ReadonlyMap<string, number>;
  /** The most driver pods the API server held at once (finished or not), as the reaper saw them. */
  readonly maxAlive: number;
  stop(): Promise<void>;
}

const REAP_EVERY_MS = 200;
const COMPACTION_MS = 10_000;

/**
 * Deletes the driver pods of finished jobs every REAP_EVERY_MS, inside the stand-in (background
 * propagation: the collector removes their ConfigMaps and Services), so the cluster's clean-up is
 * neither counted as the dispatcher's requests nor slowed by the injected API latency.
 */
function startReaper(env: IntakeEnv): Reaper {
  const due = new Set<string>();
  const reaped = new Map<string, number>();
  let maxAlive = 0;
  const reap = async () => {
    const alive = driverPods(env);
    maxAlive = Math.max(maxAlive, alive.length);
    const pods = alive.filter((p) => due.has(jobKeyOf(p)));
    for (const p of pods) {
      due.delete(jobKeyOf(p));
      reaped.set(jobKeyOf(p), (reaped.get(jobKeyOf(p)) ?? 0) + 1);
    }
    for (const p of pods) env.kube.standIn.deleteObject('pods', NAMESPACE, p.metadata.name);
  };
  // A loop, not an interval: a round that takes longer than the pause must not queue more rounds behind it.
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await reap();
      await sleep(REAP_EVERY_MS);
    }
  })();
  return {
    finished: (jobKey) => due.add(jobKey),
    reaped,
    get maxAlive() {
      return maxAlive;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function tally(
  env: IntakeEnv,
  source: E2eSource,
  keys: readonly string[],
  reaped: ReadonlyMap<string, number> = new Map(),
): Promise<{ launched: number; drivers: number }> {
  const pods = driverPods(env);
  // Every driver ever made: those still there and those the reaper deleted.
  const byKey = new Map<string, number>(reaped);
  const drivers = pods.length + [...reaped.values()].reduce((a, b) => a + b, 0);
  for (const p of pods) byKey.set(jobKeyOf(p), (byKey.get(jobKeyOf(p)) ?? 0) + 1);
  if (source === 'storage-events') {
    // A landing rule's key names the marker's URL and eTag: count launched records by the drivers' keys.
    let launched = 0;
    for (const [k, n] of byKey) if (n === 1 && (await env.runtime.deps.ledger.get(k))?.state === 'launched') launched++;
    return { launched, drivers };
  }
  let launched = 0;
  for (const k of keys) {
    if (byKey.get(key(k)) !== 1) continue;
    if ((await env.runtime.deps.ledger.get(key(k)))?.state === 'launched') launched++;
  }
  return { launched, drivers };
}

/** The ledger's records (`jobs/` in its container), listed once after the run: their average size in bytes. */
async function averageRecordBytes(env: IntakeEnv): Promise<number> {
  const ledger = env.blobs.getContainerClient(env.settings.ledger.container);
  let records = 0;
  let bytes = 0;
  for await (const blob of ledger.listBlobsFlat({ prefix: 'jobs/' })) {
    records++;
    bytes += blob.properties.contentLength ?? 0;
  }
  return records === 0 ? 0 : Math.round(bytes / records);
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

function memoryOf(heap: [number, number][], checkpoints: readonly Checkpoint[]): E2eMemory {
  const jobs = checkpoints[checkpoints.length - 1]?.done ?? 0;
  // From a fifth of the run on: the ledger's cache of recent records and the clients' pools are full by then.
  const liveHeapKiBPerJob = slope(heap.filter(([done]) => done >= jobs / 5)) * 1024;
  // Checkpoints every tenth: early is the 2nd and 3rd tenths, late the last two.
  const at = (fraction: number) => checkpoints.find((c) => c.done >= fraction * jobs) ?? checkpoints[checkpoints.length - 1]!;
  const stretch = (from: number, to: number) => {
    const a = at(from);
    const b = at(to);
    const n = Math.max(1, b.done - a.done);
    return {
      perMinute: perMinute(n, b.at - a.at),
      cpuMsPerJob: round((b.cpuMs - a.cpuMs) / n, 2),
      azuriteCpuMsPerJob:
        a.azuriteCpuMs === undefined || b.azuriteCpuMs === undefined ? undefined : round((b.azuriteCpuMs - a.azuriteCpuMs) / n, 2),
    };
  };
  const early = stretch(0.1, 0.3);
  const late = stretch(0.8, 1);
  return {
    liveHeapMiB: heap.map(([d, m]) => [d, round(m)]),
    liveHeapKiBPerJob: round(liveHeapKiBPerJob, 2),
    earlyPerMinute: early.perMinute,
    latePerMinute: late.perMinute,
    cpuMsPerJob: { early: early.cpuMsPerJob, late: late.cpuMsPerJob },
    ...(early.azuriteCpuMsPerJob !== undefined && late.azuriteCpuMsPerJob !== undefined
      ? { azuriteCpuMsPerJob: { early: early.azuriteCpuMsPerJob, late: late.azuriteCpuMsPerJob } }
      : {}),
  };
}
