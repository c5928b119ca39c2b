/**
 * npm run soak: the reliability scenarios end to end (duplicates, burst against a driver cap,
 * API faults, hostile input) with real local servers, and a table of what happened.
 * Options: --jobs-scale N multiplies the job counts (default 1).
 */
import { cpus, totalmem } from 'node:os';
import { badInputScenario, burstScenario, duplicatesScenario, faultsScenario, type ScenarioResult } from '../test/support/reliability.js';

const scale = Number(process.argv[process.argv.indexOf('--jobs-scale') + 1] ?? 1) || 1;
const n = (x: number) => Math.max(1, Math.round(x * scale));

async function main(): Promise<void> {
  process.stdout.write(`spark-dispatch soak on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n\n`);
  const results: (ScenarioResult & { note: string })[] = [];
  const run = async (label: string, scenario: () => Promise<ScenarioResult>, note: (r: ScenarioResult) => string) => {
    process.stdout.write(`running ${label}…\n`);
    const r = await scenario();
    results.push({ ...r, note: note(r) });
  };
  await run('duplicates', () => duplicatesScenario(n(300), 3, 4), (r) => `${r.messages} messages (each job 3×), 4 consumers`);
  await run('burst', () => burstScenario(n(500), 20, 4), (r) => `cap ${r.cap}, max concurrent drivers seen ${r.maxConcurrentDrivers}`);
  await run('faults', () => faultsScenario(n(200), 0.2, 4), (r) => `${r.faultsInjected} of ${r.apiRequests} API requests failed (500, 429, reset, timeout)`);
  await run('bad input', () => badInputScenario(n(20), 4), (r) => `${r.hostileInputs} hostile inputs, ${r.rejectedWithReason} rejected with a reason in the ledger`);

  const rows = results.map((r) => [r.scenario, r.jobs, r.drivers, r.duplicates, r.lost, r.abandoned, r.deadLettered, r.seconds, r.jobsPerMinute, r.note]);
  const header = ['scenario', 'jobs', 'drivers', 'twice', 'lost', 'abandoned', 'dead-lettered', 'seconds', 'jobs/min', 'notes'];
  process.stdout.write(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  const failed = results.filter((r) => r.duplicates > 0 || r.lost > 0 || r.deadLettered > 0 || (r.maxConcurrentDrivers ?? 0) > (r.cap ?? Infinity));
  process.stdout.write(failed.length === 0 ? '\nall scenarios held: no job twice, none lost, the cap never exceeded\n' : `\nFAILED: ${failed.map((r) => r.scenario).join(', ')}\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
