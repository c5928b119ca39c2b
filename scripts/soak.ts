/**
 * npm run soak: the reliability scenarios end to end (duplicates, burst against a driver cap,
 * API faults, hostile input, outages, tenancy, the sweeper on healthy and stalled drivers) with
 * real local servers, and a table of what happened; then deep and oversized inputs, each in a fresh
 * process, and hostile globs, with a table of their own.
 * Options: --jobs-scale N multiplies the job counts (default 1); --write records the tables in
 * docs/reliability.md, between its soak markers (a run at the default scale only).
 */
import { cpus, totalmem } from 'node:os';
import { writeDocSection } from './writeDocSection.js';
import { badInputScenario, burstScenario, duplicatesScenario, faultsScenario, type ScenarioResult } from '../test/support/reliability.js';
import { freshInputsScenario } from '../test/support/freshInputs.js';
import { hostileGlobsScenario } from '../test/support/hostileGlobs.js';
import { healthyDriversScenario } from '../test/support/healthyDrivers.js';
import { tenancyScenario } from '../test/support/tenancy.js';
import {
  apiStormScenario,
  brokerRestartScenario,
  eventsFailingScenario,
  storageOutageScenario,
  vanishingDriversScenario,
  type OutageResult,
} from '../test/support/outages.js';

const scale = Number(process.argv[process.argv.indexOf('--jobs-scale') + 1] ?? 1) || 1;
const n = (x: number) => Math.max(1, Math.round(x * scale));
const WRITE = process.argv.includes('--write');
if (WRITE && scale !== 1) {
  process.stderr.write('--write records a run at the default scale: drop --jobs-scale\n');
  process.exit(2);
}
/** The tables as printed, for --write. */
const tables: string[] = [];
const table = (text: string): void => {
  process.stdout.write(text);
  tables.push(text.trim());
};

async function main(): Promise<void> {
  process.stdout.write(
    `spark-dispatch soak on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n\n`,
  );
  const results: (ScenarioResult & { note: string })[] = [];
  const run = async (label: string, scenario: () => Promise<ScenarioResult>, note: (r: ScenarioResult) => string) => {
    process.stdout.write(`running ${label}…\n`);
    const r = await scenario();
    results.push({ ...r, note: note(r) });
  };
  await run(
    'duplicates',
    () => duplicatesScenario(n(300), 3, 4),
    (r) => `${r.messages} messages (each job 3×), 4 consumers`,
  );
  await run(
    'burst',
    () => burstScenario(n(500), 20, 4),
    (r) => `cap ${r.cap}, max concurrent drivers seen ${r.maxConcurrentDrivers}`,
  );
  await run(
    'faults',
    () => faultsScenario(n(200), 0.2, 4),
    (r) => `${r.faultsInjected} of ${r.apiRequests} API requests failed (500, 429, reset, timeout)`,
  );
  await run(
    'bad input',
    () => badInputScenario(n(20), 4),
    (r) => `${r.hostileInputs} hostile inputs, ${r.rejectedWithReason} rejected with a reason in the ledger`,
  );

  const rows = results.map((r) => [
    r.scenario,
    r.jobs,
    r.drivers,
    r.duplicates,
    r.lost,
    r.abandoned,
    r.deadLettered,
    r.seconds,
    r.jobsPerMinute,
    r.note,
  ]);
  const header = ['scenario', 'jobs', 'drivers', 'twice', 'lost', 'abandoned', 'dead-lettered', 'seconds', 'jobs/min', 'notes'];
  table(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n${rows.map((row) => `| ${row.join(' | ')} |\n`).join('')}`);

  const outages: OutageResult[] = [];
  for (const [label, run] of [
    ['API storm 60 s', () => apiStormScenario(n(20), 60)],
    ['API storm 15 min', () => apiStormScenario(n(20), 900)],
    ['storage outage 60 s', () => storageOutageScenario(n(40), 60)],
    ['broker restart', () => brokerRestartScenario(n(40), 3_000)],
    ['pods vanishing', () => vanishingDriversScenario(n(20), 5)],
    ['events publish failing', () => eventsFailingScenario(n(20))],
  ] as const) {
    process.stdout.write(`running ${label}…\n`);
    outages.push(await run());
  }
  const outageHeader = ['outage', 'jobs', 'drivers', 'twice', 'lost', 'dead-lettered', 'outage s', 'real s', 'notes'];
  table(
    `\n| ${outageHeader.join(' | ')} |\n|${outageHeader.map(() => '---').join('|')}|\n${outages.map((r) => `| ${[r.scenario, r.jobs, r.drivers, r.duplicates, r.lost, r.deadLettered, r.outageSeconds, r.realSeconds, r.note].join(' | ')} |\n`).join('')}`,
  );

  process.stdout.write('\nrunning tenancy…\n');
  const t = await tenancyScenario();
  table(
    `\n| tenancy | attempts | refused | contained | ignored | via messages | via uploads | forged pods | crossings | teams' own jobs launched | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|\n` +
      `| 2 teams | ${t.attempts} | ${t.byOutcome.refused} | ${t.byOutcome.contained} | ${t.byOutcome.ignored} | ${t.byPath.message} | ${t.byPath.upload} | ${t.byPath['forged pod']} | ${t.breaches.length} | ${t.victimJobsLaunched} of ${t.victimJobs} | ${t.seconds} |\n`,
  );
  for (const breach of t.breaches) process.stdout.write(`  crossing: ${breach}\n`);

  process.stdout.write('\nrunning deep and oversized inputs, each in a fresh process…\n');
  const fresh = await freshInputsScenario(3);
  process.stdout.write('running hostile globs…\n');
  const globs = await hostileGlobsScenario();
  const hostile = [
    {
      scenario: 'deep and oversized inputs in fresh processes',
      ...fresh,
      note: `${fresh.inputs} inputs (messages as text, bytes and decoded values, storage events, job.yaml uploads), each in a new Node process; slowest process ${(fresh.slowestMs / 1000).toFixed(1)} s`,
    },
    {
      scenario: 'hostile globs',
      ...globs,
      note: `${globs.events} events (near misses of 1,000 characters and matches) on 6 backtracking-prone globs, ${globs.inputs - globs.events} malformed globs; ${globs.drivers} drivers for the matches; slowest near miss ${globs.slowestNearMissMs} ms to handle; at most ${globs.maxSteps.toLocaleString('en')} steps (bound ${globs.maxStepsBound.toLocaleString('en')})`,
    },
  ];
  table(
    `\n| scenario | inputs | rejected with reason | crashes | lost | seconds | notes |\n|---|---|---|---|---|---|---|\n${hostile.map((h) => `| ${h.scenario} | ${h.inputs} | ${h.rejectedWithReason} | ${h.crashes} | ${h.lost} | ${h.seconds} | ${h.note} |\n`).join('')}`,
  );
  for (const h of hostile) for (const failure of h.failures) process.stdout.write(`  ${h.scenario}: ${failure}\n`);

  process.stdout.write('\nrunning healthy drivers (delete, then observe)…\n');
  const sweepRuns = [await healthyDriversScenario('delete'), await healthyDriversScenario('observe')];
  table(
    `\n| healthy drivers | drivers | healthy | end on their own | stalled | healthy killed | stalled cleared after their grace | early | late or missed | wrong reason | would have killed | pods deleted | sweeps | evidence reads | seconds |\n|${'---|'.repeat(15)}\n` +
      sweepRuns
        .map(
          (h) =>
            `| ${h.mode} mode, ${h.simulatedHours} h | ${h.drivers} | ${h.healthy} | ${h.ends} (${h.endsRecorded} recorded) | ${h.stalled} | ${h.healthyKilled} | ${h.stalledCleared} of ${h.stalled} | ${h.stalledEarly} | ${h.stalledLate + h.stalledMissed} | ${h.wrongReason} | ${h.mode === 'observe' ? h.wouldHaveKilled : '–'} | ${h.podsDeleted} | ${h.sweeps} | ${h.evidenceReads} | ${h.seconds} |\n`,
        )
        .join(''),
  );
  for (const h of sweepRuns)
    for (const o of h.outcomes.filter((x) => !x.ok))
      process.stdout.write(`  ${h.mode}: ${o.name}: expected ${o.expected}, got ${o.outcome}\n`);
  const sweeperHeld =
    sweepRuns.every(
      (h) => h.healthyKilled === 0 && h.stalledCleared === h.stalled && h.outcomes.every((o) => o.ok) && h.errors.length === 0,
    ) &&
    sweepRuns[1]!.podsDeleted === 0 &&
    sweepRuns[1]!.wouldHaveKilled === sweepRuns[1]!.stalled;

  const failed = results.filter(
    (r) => r.duplicates > 0 || r.lost > 0 || r.deadLettered > 0 || (r.maxConcurrentDrivers ?? 0) > (r.cap ?? Infinity),
  );
  const outagesFailed = outages.filter((r) => r.duplicates > 0 || r.lost > 0 || r.deadLettered > 0);
  const failedHostile = hostile.filter((h) => h.crashes > 0 || h.lost > 0 || h.failures.length > 0);
  const held = failed.length === 0 && outagesFailed.length === 0 && t.breaches.length === 0 && failedHostile.length === 0 && sweeperHeld;
  process.stdout.write(
    held
      ? '\nall scenarios held: no job twice, none lost, the cap never exceeded, no outage cost a job, no tenant crossed, no hostile input crashed or went unrecorded, no healthy driver killed, every stalled driver cleared after its grace\n'
      : `\nFAILED: ${[...failed.map((r) => r.scenario), ...outagesFailed.map((r) => r.scenario), ...(t.breaches.length > 0 ? ['tenancy'] : []), ...failedHostile.map((h) => h.scenario), ...(sweeperHeld ? [] : ['healthy drivers'])].join(', ')}\n`,
  );
  process.exitCode = held ? 0 : 1;
  if (WRITE) {
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), Node ${process.version}`;
    const verdict = held ? 'All scenarios held.' : 'Scenarios FAILED (see the tables).';
    writeDocSection(
      'docs/reliability.md',
      'soak:results',
      `Figures from one run of \`npm run soak -- --write\` on ${machine}, ${new Date().toISOString().slice(0, 10)}. ${verdict}\n\n${tables.join('\n\n')}`,
    );
    process.stdout.write('wrote docs/reliability.md\n');
  }
}

await main();
