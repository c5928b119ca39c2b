/**
 * The reliability scenarios of spark-dispatch, run end to end with real parts: the job-message
 * function under host-like settlement with several concurrent consumers, the broker through the
 * real Service Bus SDK, the ledger in Azurite, drivers in the Kubernetes stand-in through the real
 * client. The integration tests assert on the results; `npm run soak` prints them.
 */
import functions from '@azure/functions';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import { startPodLifecycle, type FaultRule } from '../../dev/kube-standin/index.js';
import { QUEUE, intakeEnv, key, type IntakeEnv } from './intakeEnv.js';
import { eventually } from './eventually.js';
import { BAD_MESSAGES, badEvents, prepareBadEventFiles } from './hostileInputs.js';

export interface ScenarioResult {
  readonly scenario: string;
  readonly jobs: number;
  readonly messages: number;
  readonly seconds: number;
  readonly jobsPerMinute: number;
  /** Driver pods that exist for the scenario's jobs. */
  readonly drivers: number;
  /** Drivers beyond one per job key: must be 0. */
  readonly duplicates: number;
  /** Jobs that never got a driver: must be 0. */
  readonly lost: number;
  readonly maxConcurrentDrivers?: number;
  readonly cap?: number;
  readonly faultsInjected?: number;
  readonly apiRequests?: number;
  readonly abandoned: number;
  readonly deadLettered: number;
  readonly rejectedWithReason?: number;
  readonly hostileInputs?: number;
}

const spec = (jobKey: string) => ({
  name: 'soak',
  jobKey,
  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/soak/main.py',
  args: ['--key', jobKey],
});

function driverKeys(env: IntakeEnv): string[] {
  return env.kube.standIn
    .objects('pods', 'spark-jobs')
    .filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.['spark-role'] === 'driver')
    .map((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] ?? '');
}

function tally(env: IntakeEnv, requested: readonly string[]) {
  const found = driverKeys(env);
  // Drivers carry the key their tenant's scope gives it: <tenant>/<jobKey>.
  const keys = requested.map(key);
  const wanted = new Set(keys);
  const ours = found.filter((k) => wanted.has(k));
  const distinct = new Set(ours);
  return { drivers: ours.length, duplicates: ours.length - distinct.size, lost: keys.filter((k) => !distinct.has(k)).length };
}

function shuffle<T>(items: T[], seed = 42): T[] {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function drained(env: IntakeEnv, timeoutMs: number): Promise<void> {
  await eventually(
    () => {
      const pending = env.broker.messages(QUEUE).length + env.broker.locked(QUEUE).length + env.broker.scheduled(QUEUE).length;
      if (pending > 0) throw new Error(`${pending} messages still in the queue`);
    },
    timeoutMs,
    100,
  );
}

function finish(
  scenario: string,
  env: IntakeEnv,
  keys: readonly string[],
  messages: number,
  started: number,
  hosts: readonly { settled: { abandoned: number } }[],
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario,
    jobs: keys.length,
    messages,
    seconds: Math.round(seconds * 10) / 10,
    jobsPerMinute: Math.round((keys.length / seconds) * 60),
    ...tally(env, keys),
    abandoned: hosts.reduce((n, h) => n + h.settled.abandoned, 0),
    deadLettered: env.broker.messages(`${QUEUE}/$deadletterqueue`).length,
    ...extra,
  };
}

/** 1. Duplicates: every job published `copies` times, handled by `consumers` competing consumers. */
export async function duplicatesScenario(jobs = 300, copies = 3, consumers = 4): Promise<ScenarioResult> {
  // Duplicate detection off: every copy really is delivered and handled.
  const env = await intakeEnv({}, undefined, { duplicateDetectionWindowMs: 0 });
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `dup-${i}`);
    const messages = shuffle(keys.flatMap((k) => Array.from({ length: copies }, (_, c) => ({ body: spec(k), messageId: `${k}#${c}` }))));
    const hosts = Array.from({ length: consumers }, () => env.startHost());
    const started = performance.now();
    await env.sendMany(messages);
    await drained(env, 120_000);
    return finish('duplicates', env, keys, messages.length, started, hosts);
  } finally {
    await env.close();
  }
}

/** 2. Burst: many jobs at once against a driver cap; drivers finish after a while and free their slot. */
export async function burstScenario(jobs = 500, cap = 20, consumers = 4, runningMs = 300): Promise<ScenarioResult> {
  const env = await intakeEnv({ intake: { deferral: { initialDelaySeconds: 1, maxDelaySeconds: 3, maxTotalWaitSeconds: 600 } } });
  const lifecycle = startPodLifecycle(env.kube.standIn, { pendingMs: 50, runningMs, executors: 1, tickMs: 50 });
  try {
    await postObject(
      env.kube.standIn.url,
      '/api/v1/namespaces/spark-jobs/resourcequotas',
      driverQuota('spark-jobs', 'spark-dispatch-driver', cap),
    );
    env.kube.standIn.resetStats();
    const keys = Array.from({ length: jobs }, (_, i) => `burst-${i}`);
    const hosts = Array.from({ length: consumers }, () => env.startHost());
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await eventually(
      () => {
        const { lost } = tally(env, keys);
        if (lost > 0) throw new Error(`${lost} jobs not launched yet`);
      },
      300_000,
      200,
    );
    await drained(env, 60_000);
    return finish('burst', env, keys, jobs, started, hosts, {
      cap,
      maxConcurrentDrivers: env.kube.standIn.stats().maxConcurrentQuotaPods['spark-jobs'] ?? 0,
    });
  } finally {
    lifecycle.stop();
    await env.close();
  }
}

/** 3. Faults: a share of all Kubernetes API calls fail (500, 429, reset, no answer). */
export async function faultsScenario(jobs = 200, rate = 0.2, consumers = 4): Promise<ScenarioResult> {
  const env = await intakeEnv({
    kubernetes: { requestTimeoutMs: 400, retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 100 } },
  });
  try {
    const faults: FaultRule[] = [{ verb: '*', rate, kinds: ['500', '429', 'reset', 'timeout'], retryAfterSeconds: 0 }];
    env.kube.standIn.resetStats();
    env.kube.standIn.setFaults(faults);
    const keys = Array.from({ length: jobs }, (_, i) => `fault-${i}`);
    const hosts = Array.from({ length: consumers }, () => env.startHost());
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await drained(env, 180_000);
    const stats = env.kube.standIn.stats();
    env.kube.standIn.setFaults([]);
    return finish('faults', env, keys, jobs, started, hosts, {
      faultsInjected: stats.faultsInjected,
      apiRequests: Object.values(stats.requests).reduce((a, b) => a + b, 0),
    });
  } finally {
    await env.close();
  }
}

/** 4. Bad input: hostile messages and storage events among good ones. */
export async function badInputScenario(
  good = 20,
  consumers = 4,
): Promise<
  ScenarioResult & { readonly unrecorded: readonly string[]; readonly keysTaken: readonly string[]; readonly launchedHostile: number }
> {
  const env = await intakeEnv();
  try {
    const goodKeys = Array.from({ length: good }, (_, i) => `good-${i}`);
    const messages = shuffle([
      ...goodKeys.map((k) => ({ body: spec(k), messageId: k })),
      ...BAD_MESSAGES.map((b) => ({ body: b.body, messageId: b.id })),
    ]);
    const hosts = Array.from({ length: consumers }, () => env.startHost());
    const started = performance.now();
    await env.sendMany(messages);
    await prepareBadEventFiles(env);
    const events = badEvents();
    const handler = makeStorageEventsHandler(async () => env.runtime.deps);
    for (const event of events) {
      const context = new functions.InvocationContext({
        invocationId: `bad-${event.id}`,
        functionName: 'storageEvents',
        logHandler: () => {},
      });
      await handler(event.event as never, context);
    }
    await drained(env, 120_000);
    const unrecorded: string[] = [];
    let rejectedWithReason = 0;
    for (const item of [
      ...BAD_MESSAGES.map((b) => ({ id: b.id, keys: b.ledgerKeys })),
      ...events.map((e) => ({ id: e.id, keys: e.ledgerKeys })),
    ]) {
      const records = await Promise.all(item.keys.map((k) => env.runtime.deps.ledger.get(k)));
      const record = records.find((r) => r !== undefined);
      if (record?.state === 'rejected' && (record.reasons?.length ?? 0) > 0) rejectedWithReason++;
      else unrecorded.push(`${item.id}: ${record ? `state ${record.state}` : 'no ledger record'}`);
    }
    // A refused request never takes the key it asked for.
    const keysTaken: string[] = [];
    for (const bad of BAD_MESSAGES)
      if (bad.claimed !== undefined && (await env.runtime.deps.ledger.get(bad.claimed)) !== undefined)
        keysTaken.push(`${bad.id}: ${bad.claimed}`);
    const goodTally = tally(env, goodKeys);
    const allDrivers = driverKeys(env).length;
    return {
      ...finish('bad input', env, goodKeys, messages.length + events.length, started, hosts),
      ...goodTally,
      hostileInputs: BAD_MESSAGES.length + events.length,
      rejectedWithReason,
      unrecorded,
      keysTaken,
      launchedHostile: allDrivers - goodTally.drivers,
    };
  } finally {
    await env.close();
  }
}
