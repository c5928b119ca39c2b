/**
 * Outages of one dependency at a time, end to end on the local parts: the job-message function
 * under the host's settlement rules, the broker through the real SDK, the ledger in Azurite, the
 * drivers in the stand-in. Long outages run on a moved clock (test/support/movedClock.ts): the
 * broker's schedule, the dispatcher's `now` and the outage window all read it, so 15 minutes take
 * seconds. Shared by test/e2e/outages.test.ts and `npm run soak`.
 *
 * Every scenario counts what an on-call engineer asks after an outage: jobs lost, drivers twice,
 * messages dead-lettered, and how long the jobs waited.
 */
import type { EventsPort } from '../../src/usecases/queuePort.js';
import { sweep } from '../../src/usecases/sweep.js';
import { SILENT } from '../../src/shared/logger.js';
import { eventually } from './eventually.js';
import { intakeEnv, key, QUEUE, TOPIC, type IntakeEnv } from './intakeEnv.js';
import { MovedClock } from './movedClock.js';

export interface OutageResult {
  readonly scenario: string;
  readonly jobs: number;
  readonly drivers: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly deadLettered: number;
  /** The outage, in the scenario's time (moved or real). */
  readonly outageSeconds: number;
  readonly realSeconds: number;
  readonly note: string;
}

const spec = (jobKey: string) => ({ name: 'outage', jobKey, main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/soak/main.py' });

/** Drivers by job key: what launched, and what launched twice. */
function tally(env: IntakeEnv, requested: readonly string[]) {
  const keys = new Set(requested.map(key));
  const found = env.kube.standIn
    .objects('pods', 'spark-jobs')
    .filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.['spark-role'] === 'driver')
    .map((p) => (p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key'] ?? '')
    .filter((k) => keys.has(k));
  const distinct = new Set(found);
  return { drivers: found.length, duplicates: found.length - distinct.size, lost: [...keys].filter((k) => !distinct.has(k)).length };
}

/** Nothing being handled right now: every message of the queue is scheduled for later (or gone). */
async function quiet(env: IntakeEnv): Promise<void> {
  await eventually(
    () => {
      const busy = env.broker.messages(QUEUE).length + env.broker.locked(QUEUE).length;
      if (busy > 0) throw new Error(`${busy} messages being handled`);
    },
    60_000,
    20,
  );
}

/**
 * Drives a moved clock through an outage: handles what is due, then jumps to the next scheduled
 * message (or the outage's end, whichever comes first), until `done` or nothing is left to wait for.
 */
async function runMovedClock(
  env: IntakeEnv,
  clock: MovedClock,
  outage: { readonly endsAt: number; end(): void },
  done: () => boolean,
): Promise<void> {
  let ended = false;
  for (let step = 0; step < 10_000 && !done(); step++) {
    await quiet(env);
    if (!ended && clock.now() >= outage.endsAt) {
      outage.end();
      ended = true;
    }
    if (done()) break;
    const due = env.broker.scheduled(QUEUE).map((m) => m.scheduledEnqueueTime?.getTime() ?? 0);
    if (due.length === 0) {
      if (ended) break; // nothing waits any more: what is not launched now is lost
      clock.advanceTo(outage.endsAt);
      continue;
    }
    const next = Math.min(...due);
    clock.advanceTo(ended ? next : Math.min(next, outage.endsAt));
    env.broker.tick();
  }
}

const LAUNCH_FAST = {
  kubernetes: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
  blob: { retry: { maxTries: 1, retryDelayMs: 1, maxRetryDelayMs: 1, tryTimeoutMs: 5_000 } },
};

function result(
  scenario: string,
  env: IntakeEnv,
  keys: readonly string[],
  outageSeconds: number,
  started: number,
  note: string,
): OutageResult {
  return {
    scenario,
    jobs: keys.length,
    ...tally(env, keys),
    deadLettered: env.broker.messages(`${QUEUE}/$deadletterqueue`).length,
    outageSeconds,
    realSeconds: Math.round((performance.now() - started) / 100) / 10,
    note,
  };
}

/** The Kubernetes API answers 500 to every create for `stormSeconds` (of moved time). */
export async function apiStormScenario(jobs = 20, stormSeconds = 900): Promise<OutageResult> {
  const clock = new MovedClock();
  const env = await intakeEnv(LAUNCH_FAST, undefined, { clock });
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `storm-${stormSeconds}-${i}`);
    env.kube.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: ['500'] }]);
    const outage = { endsAt: clock.now() + stormSeconds * 1000, end: () => env.kube.standIn.setFaults([]) };
    env.startHost();
    env.startHost();
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await runMovedClock(env, clock, outage, () => tally(env, keys).lost === 0);
    return result(
      `API storm ${stormSeconds} s`,
      env,
      keys,
      stormSeconds,
      started,
      `every pod create answered 500 for ${stormSeconds / 60} min (moved clock); jobs came back as scheduled messages with a growing delay`,
    );
  } finally {
    await env.close();
  }
}

/** Blob storage (the ledger, staging) refuses every connection for `outageSeconds` (of moved time). */
export async function storageOutageScenario(jobs = 40, outageSeconds = 60): Promise<OutageResult> {
  const clock = new MovedClock();
  const env = await intakeEnv(LAUNCH_FAST, undefined, { clock, storageProxy: true });
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `storage-${outageSeconds}-${i}`);
    env.storage!.down();
    const outage = { endsAt: clock.now() + outageSeconds * 1000, end: () => env.storage!.up() };
    env.startHost();
    env.startHost();
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await runMovedClock(env, clock, outage, () => tally(env, keys).lost === 0);
    // Every job also has its ledger record once storage is back.
    const records = await Promise.all(keys.map((k) => env.runtime.deps.ledger.get(key(k))));
    const unrecorded = records.filter((r) => r?.state !== 'launched').length;
    return result(
      `storage outage ${outageSeconds} s`,
      env,
      keys,
      outageSeconds,
      started,
      `Azurite unreachable for ${outageSeconds} s (moved clock): no ledger, no record; the jobs waited as scheduled messages; ${unrecorded} without a launched record afterwards`,
    );
  } finally {
    await env.close();
  }
}

/** The broker drops every connection and refuses new ones for `downMs` (real time), while jobs are being handled. */
export async function brokerRestartScenario(jobs = 40, downMs = 3_000): Promise<OutageResult> {
  // Messages locked by the dropped connections come back when their lock expires, as on Service Bus.
  const env = await intakeEnv(LAUNCH_FAST, undefined, { lockDurationMs: 5_000 });
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `restart-${i}`);
    env.startHost();
    env.startHost();
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await env.broker.interrupt(downMs);
    await eventually(
      () => {
        const { lost } = tally(env, keys);
        if (lost > 0) throw new Error(`${lost} jobs not launched yet`);
      },
      120_000,
      200,
    );
    return result(
      'broker restart',
      env,
      keys,
      downMs / 1000,
      started,
      `every Service Bus connection dropped and refused for ${downMs / 1000} s in the middle of the batch`,
    );
  } finally {
    await env.close();
  }
}

/**
 * Drivers vanish (deleted by a person, evicted and removed, lost with their node): the
 * reconciler finds those jobs lost, with evidence, and no other.
 */
export async function vanishingDriversScenario(
  jobs = 20,
  vanish = 5,
): Promise<OutageResult & { readonly foundLost: number; readonly wronglyLost: number }> {
  const env = await intakeEnv(LAUNCH_FAST);
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `vanish-${i}`);
    env.startHost();
    const started = performance.now();
    await env.sendMany(keys.map((k) => ({ body: spec(k), messageId: k })));
    await eventually(
      () => {
        if (tally(env, keys).lost > 0) throw new Error('not all launched');
      },
      60_000,
      100,
    );
    await quiet(env);
    const gone = keys.slice(0, vanish);
    for (const k of gone) {
      const record = (await env.runtime.deps.ledger.get(key(k)))!;
      await env.kube.cluster.remove({ apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: record.driverPod! });
    }
    const later = new Date(Date.now() + (env.settings.sweeper.lostGraceSeconds + 60) * 1000);
    await sweep({
      settings: env.settings,
      cluster: env.kube.cluster,
      ledger: env.runtime.deps.ledger,
      events: env.runtime.deps.events,
      now: () => later,
      log: SILENT,
    });
    const states = await Promise.all(keys.map(async (k) => (await env.runtime.deps.ledger.get(key(k)))?.state));
    const foundLost = gone.filter((_, i) => states[i] === 'lost').length;
    const wronglyLost = states.slice(vanish).filter((s) => s === 'lost').length;
    return {
      ...result(
        'pods vanishing',
        env,
        keys,
        0,
        started,
        `${vanish} of ${jobs} drivers deleted behind the dispatcher's back: ${foundLost} found lost by the reconciler, ${wronglyLost} healthy ones marked lost`,
      ),
      // Here "lost" counts jobs the dispatcher lost track of without saying so.
      lost: vanish - foundLost,
      foundLost,
      wronglyLost,
    };
  } finally {
    await env.close();
  }
}

/** The events topic refuses every publish while jobs launch; the sweeper sends what the ledger owes. */
export async function eventsFailingScenario(jobs = 20): Promise<OutageResult & { readonly eventsDelivered: number }> {
  const env = await intakeEnv(LAUNCH_FAST);
  try {
    let failing = true;
    const real = env.runtime.deps.events;
    const flaky: EventsPort = { publish: (e) => (failing ? Promise.reject(new Error('topic unavailable')) : real.publish(e)) };
    const deps = { ...env.runtime.deps, events: flaky };
    const keys = Array.from({ length: jobs }, (_, i) => `events-${i}`);
    const { handleJobMessage } = await import('../../src/usecases/handleJobMessage.js');
    const started = performance.now();
    for (const k of keys)
      await handleJobMessage({ body: spec(k), queue: QUEUE, messageId: k, deliveryCount: 1, applicationProperties: {} }, deps);
    failing = false;
    await sweep({
      settings: env.settings,
      cluster: env.kube.cluster,
      ledger: env.runtime.deps.ledger,
      events: flaky,
      now: () => new Date(),
      log: SILENT,
    });
    const delivered = new Set(
      env.broker.messages(`${TOPIC}/subscriptions/audit`).map((m) => (m.body as { jobKey: string; type: string }).jobKey),
    );
    const eventsDelivered = keys.filter((k) => delivered.has(key(k))).length;
    return {
      ...result(
        'events publish failing',
        env,
        keys,
        0,
        started,
        `every lifecycle publish failed while ${jobs} jobs launched; the next sweep delivered ${eventsDelivered} of ${jobs} owed "launched" events`,
      ),
      eventsDelivered,
    };
  } finally {
    await env.close();
  }
}
