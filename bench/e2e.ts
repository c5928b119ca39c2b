/**
 * The whole path, not only the launch: job messages published through the real Service Bus SDK to
 * the project's broker, received by the job-message function under the local queue-trigger host
 * (the host's settlement, its maxConcurrentCalls), the ledger in Azurite, drivers in the Kubernetes
 * stand-in, lifecycle events on the events topic; and the same for uploads whose blob-created
 * events go to the storage-event function. Counts what each job costs: storage requests (a proxy in
 * front of Azurite counts them), broker sends and settlements, CPU of this process, RSS over the run.
 */
import functions from '@azure/functions';
import { makeJobMessagesHandler } from '../src/triggers/jobMessagesHandler.js';
import { makeStorageEventsHandler } from '../src/triggers/storageEventsHandler.js';
import { startQueueTriggerHost } from '../dev/local-stack/queueTriggerHost.js';
import { blobCreated } from '../test/support/blobEvents.js';
import { intakeEnv, key, QUEUE, type IntakeEnv } from '../test/support/intakeEnv.js';
import { percentile, perMinute, round, runPool } from './support.js';

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
  kubeRequestsPerJob: number;
  /** CPU of this process (dispatcher, broker, stand-in; Azurite runs in its own) per job. */
  cpuMsPerJob: number;
  rssMiB: { start: number; max: number; end: number; samples: number[] };
}

const MiB = 2 ** 20;
const main = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/bench/main.py';

/** One configuration end to end, on fresh servers. `onJob` sees each job's key once its handler returned. */
export async function e2eRun(source: E2eSource, jobs: number, concurrency: number, latencyMs: number, options: { prefix?: string; perMinute?: number } = {}): Promise<E2eResult> {
  const prefix = options.prefix ?? 'e2e';
  const env = await intakeEnv({}, undefined, { storageProxy: true, auditSubscription: false, duplicateDetectionWindowMs: 0 });
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
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 250);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    if (source === 'messages') await viaMessages(env, keys, concurrency, startedAt, doneAt, options.perMinute);
    else await viaStorageEvents(env, keys, concurrency, startedAt, doneAt, options.perMinute);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    rss.push(process.memoryUsage().rss);
    const brokerAfter = env.broker.stats();
    const storage: Record<string, number> = {};
    for (const [method, n] of Object.entries(env.storage!.requests)) if (n - (storageBefore[method] ?? 0) > 0) storage[method] = n - (storageBefore[method] ?? 0);
    // Uploads are the producer's, not the dispatcher's: one PUT per job.
    if (source === 'storage-events') storage.PUT = (storage.PUT ?? 0) - jobs;
    const { launched, drivers } = await tally(env, source, keys);
    const latencies = doneAt.map((d, i) => d - startedAt[i]!).filter((d) => d > 0);
    const kubeRequests = Object.values(env.kube.standIn.stats().requests).reduce((a, b) => a + b, 0);
    const step = Math.max(1, Math.floor(rss.length / 20));
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
      kubeRequestsPerJob: round(kubeRequests / jobs, 2),
      cpuMsPerJob: round((cpu.user + cpu.system) / 1000 / jobs, 2),
      rssMiB: { start: round((rss[0] ?? 0) / MiB), max: round(Math.max(...rss) / MiB), end: round(rss[rss.length - 1]! / MiB), samples: rss.filter((_, i) => i % step === 0).map((r) => round(r / MiB)) },
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

async function viaMessages(env: IntakeEnv, keys: readonly string[], concurrency: number, startedAt: number[], doneAt: number[], perMinute?: number): Promise<void> {
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
          const message = { body: { name: 'bench', jobKey: keys[i]!, main, args: ['--n', String(i)] }, messageId: keys[i]!, contentType: 'application/json' };
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

async function viaStorageEvents(env: IntakeEnv, keys: readonly string[], concurrency: number, startedAt: number[], doneAt: number[], perMinute?: number): Promise<void> {
  const data = env.blobs.getContainerClient('data');
  const handler = makeStorageEventsHandler(async () => env.runtime.deps);
  let sequence = 0;
  const one = async (i: number) => {
    const path = `raw/orders/${keys[i]}/_SUCCESS`;
    startedAt[i] = performance.now();
    const uploaded = await data.getBlockBlobClient(path).upload('', 0);
    const context = new functions.InvocationContext({ invocationId: `bench-${++sequence}`, functionName: 'storageEvents', logHandler: () => {} });
    await handler([blobCreated('data', path, uploaded.etag!, { contentLength: 0 })] as never, context);
    doneAt[i] = performance.now();
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

async function tally(env: IntakeEnv, source: E2eSource, keys: readonly string[]): Promise<{ launched: number; drivers: number }> {
  const pods = env.kube.standIn.objects('pods', 'spark-jobs').filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.['spark-role'] === 'driver');
  const byKey = new Map<string, number>();
  for (const p of pods) {
    const k = (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] ?? '';
    byKey.set(k, (byKey.get(k) ?? 0) + 1);
  }
  if (source === 'storage-events') {
    // A landing rule's key names the marker's URL and eTag: count launched records by the drivers' keys.
    let launched = 0;
    for (const [k, n] of byKey) if (n === 1 && (await env.runtime.deps.ledger.get(k))?.state === 'launched') launched++;
    return { launched, drivers: pods.length };
  }
  let launched = 0;
  for (const k of keys) {
    if (byKey.get(key(k)) !== 1) continue;
    if ((await env.runtime.deps.ledger.get(key(k)))?.state === 'launched') launched++;
  }
  return { launched, drivers: pods.length };
}
