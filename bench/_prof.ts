import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { e2eRun } from './e2e.js';
const source = (process.argv[2] ?? 'messages') as 'messages' | 'storage-events';
const jobs = Number(process.argv[3] ?? 1000);
const prof = process.env.PROF;
await e2eRun(source, 300, 64, 5, { prefix: 'warm' });
const session = new Session();
if (prof) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
const r = await e2eRun(source, jobs, 64, 5);
if (prof) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(prof, JSON.stringify(profile));
}
console.log(
  JSON.stringify({
    jpm: r.jobsPerMinute,
    cpu: r.cpuMsPerJob,
    p50: r.p50Ms,
    storage: r.storageRequestsByMethod,
    kube: r.kubeRequestsPerJob,
  }),
);
process.exit(0);
