/**
 * Many teams on one function app: each team sends job messages to its own queue, which has its own
 * trigger (functions/jobMessages.ts registers one per entry of SPARK_DISPATCH_JOB_QUEUES) with the
 * host's maxConcurrentCalls (host.json: 16). One team floods its queue with a burst sent at once;
 * the others keep sending single jobs at a steady pace, before and during the flood. What an
 * operator asks before putting many teams on one app: does one team's burst hold up the other
 * teams' jobs, and by how much? Servers as in e2e.ts: ledger in Azurite, drivers in the stand-in
 * (each team in its own namespace), the real Service Bus SDK against the project's broker.
 */
import { makeJobMessagesHandler } from '../src/triggers/jobMessagesHandler.js';
import { startQueueTriggerHost, type QueueTriggerHost } from '../dev/local-stack/queueTriggerHost.js';
import { scopedKey } from '../src/domain/tenant/jobIdentity.js';
import { ANNOTATIONS, LABELS } from '../src/domain/render/naming.js';
import { tenantsEnv } from '../test/support/intakeEnv.js';
import { processCpuMs } from './e2e.js';
import { percentile, perMinute, round } from './support.js';

export interface TeamsOptions {
  readonly teams: number;
  /** How many of the teams flood their queues (default 1); the others send at a steady pace. */
  readonly flooders?: number;
  /** Jobs each flooding team sends at once. */
  readonly floodJobs: number;
  /** What each other team offers, one job at a time. */
  readonly quietPerMinute: number;
  readonly latencyMs: number;
  /** Per trigger: host.json serviceBus.maxConcurrentCalls. */
  readonly concurrencyPerTeam: number;
  /** How long the other teams send alone before the flood (default 5 s: a few dozen jobs). */
  readonly quietAloneMs?: number;
  readonly prefix?: string;
}

export interface Latencies {
  jobs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TeamsResult {
  teams: number;
  concurrencyPerTeam: number;
  latencyMs: number;
  flooders: number;
  floodJobs: number;
  /** The flooding teams' jobs per minute, from the first send to the last function's return. */
  floodPerMinute: number;
  flood: Latencies;
  /** From the flood's start to each flooding team's last job done: the quickest team and the slowest. */
  floodTeamDoneMs: { first: number; last: number };
  quietPerMinutePerTeam: number;
  /** The other teams' jobs (send → function returned: driver created and recorded), sent before the flood and while it lasted; none when every team floods. */
  quietBefore?: Latencies;
  quietDuring?: Latencies & { worstTeamP99Ms: number };
  jobs: number;
  /** Jobs whose ledger record ends `launched` with exactly one driver pod, of all teams. */
  launched: number;
  /** This process's CPU per job over the whole run (all teams), and Azurite's. */
  cpuMsPerJob: number;
  azuriteCpuMsPerJob?: number;
  /** This process's RSS at the start of the measured run and its highest, sampled every 250 ms (every trigger's invocations in flight at once). */
  rssMiB: { start: number; max: number };
}

const QUIET_ALONE_MS = 5_000;
const MiB = 2 ** 20;
const BATCH = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const teamName = (i: number) => `team-${String(i).padStart(2, '0')}`;
const codeFilesystem = (team: string) => `code-${team}`;
const namespaceOf = (team: string) => `spark-${team}`;

function tenantSettings(team: string, i: number) {
  return {
    queue: `jobs-${team}`,
    clientId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    namespaces: { [namespaceOf(team)]: {} },
    storage: { sparkdispatchdemo: { filesystems: [codeFilesystem(team)] } },
  };
}

const latencies = (values: readonly number[]): Latencies => ({
  jobs: values.length,
  p50Ms: round(percentile(values, 50)),
  p99Ms: round(percentile(values, 99)),
});

export async function e2eTeamsRun(options: TeamsOptions): Promise<TeamsResult> {
  const prefix = options.prefix ?? 'teams';
  const teams = Array.from({ length: options.teams }, (_, i) => teamName(i));
  const flooders = teams.slice(0, Math.max(1, options.flooders ?? 1));
  const flooding = new Set(flooders);
  const quiet = teams.slice(flooders.length);
  const env = await tenantsEnv(
    Object.fromEntries(teams.map((t, i) => [t, tenantSettings(t, i)])),
    {},
    {},
    {
      auditSubscription: false,
      duplicateDetectionWindowMs: 0,
    },
  );
  const hosts: QueueTriggerHost[] = [];
  try {
    if (options.latencyMs > 0) env.kube.standIn.setFaults([{ rate: 0, kinds: ['500'], latencyMs: options.latencyMs }]);
    // Each job: its team, when it was sent and when its function returned.
    const jobs = new Map<string, { readonly team: string; sentAt: number; doneAt: number }>();
    let floodLeft = flooders.length * options.floodJobs;
    let floodDone!: () => void;
    const floodFinished = new Promise<void>((resolve) => (floodDone = resolve));
    for (const team of teams) {
      const queue = `jobs-${team}`;
      const inner = makeJobMessagesHandler(async () => env.runtime.deps, queue);
      hosts.push(
        startQueueTriggerHost({
          client: env.client,
          queueName: queue,
          functionName: `jobMessages-${queue}`,
          maxConcurrentCalls: options.concurrencyPerTeam,
          handler: async (message, context) => {
            await inner(message, context);
            const job = jobs.get((message as { jobKey: string }).jobKey);
            if (job === undefined || job.doneAt > 0) return;
            job.doneAt = performance.now();
            if (flooding.has(job.team) && --floodLeft === 0) floodDone();
          },
        }),
      );
    }
    const body = (team: string, jobKey: string) => ({
      name: 'bench',
      jobKey,
      main: `abfss://${codeFilesystem(team)}@sparkdispatchdemo.dfs.core.windows.net/bench/main.py`,
    });

    // One job per team first, not measured: links attached, receivers running, the ledger's container
    // made, connections open; a team's first job would otherwise carry the run's one-time costs.
    const warm = new Set(teams.map((team) => `${prefix}-${team}-warm`));
    for (const team of teams) {
      const jobKey = `${prefix}-${team}-warm`;
      jobs.set(jobKey, { team, sentAt: performance.now(), doneAt: 0 });
      await env.sendTo(`jobs-${team}`, body(team, jobKey), jobKey);
    }
    while ([...warm].some((k) => jobs.get(k)?.doneAt === 0)) await sleep(10);
    for (const k of warm) jobs.delete(k);

    const rss = [process.memoryUsage().rss];
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 250);
    const cpuBefore = process.cpuUsage();
    const azuriteBefore = processCpuMs(env.azurite.pid);
    // The quiet teams: one job at a time, each team at its own pace, spread over the interval.
    let sending = true;
    const interval = 60_000 / options.quietPerMinute;
    const quietSenders = quiet.map(async (team, t) => {
      const sender = env.client.createSender(`jobs-${team}`);
      try {
        await sender.createMessageBatch(); // attaches the link before the first job's clock starts
        await sleep((interval * t) / quiet.length);
        for (let n = 0; sending; n++) {
          const jobKey = `${prefix}-${team}-${n}`;
          const job = { team, sentAt: performance.now(), doneAt: 0 };
          jobs.set(jobKey, job);
          await sender.sendMessages({ body: body(team, jobKey), messageId: jobKey, contentType: 'application/json' });
          await sleep(Math.max(0, job.sentAt + interval - performance.now()));
        }
      } finally {
        await sender.close();
      }
    });
    if (quiet.length > 0) await sleep(options.quietAloneMs ?? QUIET_ALONE_MS);

    // The flood: every job at once, in batches as a producer with many jobs sends them.
    const senders = flooders.map((team) => ({ team, sender: env.client.createSender(`jobs-${team}`) }));
    await Promise.all(senders.map(({ sender }) => sender.createMessageBatch()));
    const floodStart = performance.now();
    try {
      await Promise.all(
        senders.map(async ({ team, sender }) => {
          for (let from = 0; from < options.floodJobs; from += BATCH) {
            const batch = await sender.createMessageBatch();
            const at = performance.now();
            for (let i = from; i < Math.min(options.floodJobs, from + BATCH); i++) {
              const jobKey = `${prefix}-${team}-${i}`;
              jobs.set(jobKey, { team, sentAt: at, doneAt: 0 });
              if (!batch.tryAddMessage({ body: body(team, jobKey), messageId: jobKey, contentType: 'application/json' }))
                throw new Error('bench: a flood batch is full');
            }
            await sender.sendMessages(batch);
          }
        }),
      );
    } finally {
      await Promise.all(senders.map(({ sender }) => sender.close()));
    }
    await floodFinished;
    const floodEnd = performance.now();
    sending = false;
    await Promise.all(quietSenders);
    while ([...jobs.values()].some((j) => j.doneAt === 0)) await sleep(10);
    const cpu = process.cpuUsage(cpuBefore);
    const azuriteAfter = processCpuMs(env.azurite.pid);
    clearInterval(sampler);

    const all = [...jobs.entries()];
    const latency = (filter: (team: string, sentAt: number) => boolean) =>
      all.filter(([, j]) => filter(j.team, j.sentAt)).map(([, j]) => j.doneAt - j.sentAt);
    const during = (team: string, sentAt: number) => !flooding.has(team) && sentAt >= floodStart && sentAt < floodEnd;
    const lastDone = (team: string) => Math.max(...all.filter(([, j]) => j.team === team).map(([, j]) => j.doneAt)) - floodStart;
    const teamDone = flooders.map(lastDone);
    const worstTeamP99Ms = Math.max(
      ...quiet.map((q) =>
        round(
          percentile(
            latency((team, sentAt) => team === q && during(team, sentAt)),
            99,
          ),
        ),
      ),
    );
    return {
      teams: options.teams,
      concurrencyPerTeam: options.concurrencyPerTeam,
      latencyMs: options.latencyMs,
      flooders: flooders.length,
      floodJobs: options.floodJobs,
      floodPerMinute: perMinute(flooders.length * options.floodJobs, Math.max(...teamDone)),
      flood: latencies(latency((team) => flooding.has(team))),
      floodTeamDoneMs: { first: round(Math.min(...teamDone)), last: round(Math.max(...teamDone)) },
      quietPerMinutePerTeam: options.quietPerMinute,
      ...(quiet.length > 0
        ? {
            quietBefore: latencies(latency((team, sentAt) => !flooding.has(team) && sentAt < floodStart)),
            quietDuring: { ...latencies(latency(during)), worstTeamP99Ms },
          }
        : {}),
      jobs: all.length,
      launched: await launchedOnce(
        env,
        all.map(([jobKey, j]) => [j.team, jobKey] as const),
      ),
      cpuMsPerJob: round((cpu.user + cpu.system) / 1000 / all.length, 2),
      ...(azuriteBefore !== undefined && azuriteAfter !== undefined
        ? { azuriteCpuMsPerJob: round((azuriteAfter - azuriteBefore) / all.length, 2) }
        : {}),
      rssMiB: { start: round(rss[0]! / MiB), max: round(Math.max(...rss) / MiB) },
    };
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
    await env.close();
  }
}

/** Jobs whose record says launched and whose team's namespace holds exactly one driver for the key. */
async function launchedOnce(env: Awaited<ReturnType<typeof tenantsEnv>>, jobs: readonly (readonly [string, string])[]): Promise<number> {
  const drivers = new Map<string, number>();
  for (const team of new Set(jobs.map(([t]) => t)))
    for (const pod of env.kube.standIn.objects('pods', namespaceOf(team), { labelSelector: `${LABELS.role}=driver` })) {
      const jobKey = (pod.metadata.annotations as Record<string, string> | undefined)?.[ANNOTATIONS.jobKey] ?? '';
      drivers.set(jobKey, (drivers.get(jobKey) ?? 0) + 1);
    }
  let launched = 0;
  for (const [team, jobKey] of jobs) {
    const scoped = scopedKey(team, jobKey);
    if (drivers.get(scoped) === 1 && (await env.runtime.deps.ledger.get(scoped))?.state === 'launched') launched++;
  }
  return launched;
}
