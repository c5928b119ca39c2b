/**
 * Child process of bench/run.ts: start a stand-in, launch N jobs at once (Promise.all) through
 * launchJob, sample process.memoryUsage().rss every 20 ms, print one JSON line with the peak.
 * Usage: node --import tsx bench/peakRss.ts [jobs]
 */
import { launchJob } from '../src/usecases/launchJob.js';
import { benchCluster, benchJobs } from './support.js';

const count = Number(process.argv[2] ?? 1000) || 1000;

const rssBefore = process.memoryUsage().rss;
const env = await benchCluster(0);
const jobs = benchJobs(count, 'native', 'rss');
const rssReady = process.memoryUsage().rss;
let peak = rssReady;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const outcomes = await Promise.all(jobs.map((job) => launchJob(job, env.cluster)));
const wallMs = performance.now() - started;
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(timer);
await env.close();
const launched = outcomes.filter((o) => o.kind === 'launched').length;
process.stdout.write(`${JSON.stringify({ jobs: count, launched, wallMs, rssBefore, rssReady, peakRss: peak })}\n`);
