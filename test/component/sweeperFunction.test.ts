/** The timer function's handler with a real InvocationContext, against the stand-in. */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSweeperHandler } from '../../src/triggers/sweeperHandler.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { SILENT } from '../../src/shared/logger.js';
import { NO_EVENTS } from '../../src/usecases/queuePort.js';
import { resolved, settingsWith } from '../support/fixtures.js';
import { standInCluster, type StandInCluster } from '../support/standInCluster.js';

let kube: StandInCluster;
beforeAll(async () => {
  kube = await standInCluster();
});
afterAll(async () => kube?.close());

describe('sweeper function', () => {
  it('a late run (isPastDue) says so and sweeps as usual, logging a summary with the invocation id', async () => {
    const job = resolved({ jobKey: 'timer-1' });
    await launchJob(job, kube.cluster);
    kube.standIn.setPodStatus('spark-jobs', job.names.driverPod, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: '2020-01-01T00:00:00Z' }],
    });
    const lines: string[] = [];
    const context = new functions.InvocationContext({
      invocationId: 'inv-timer',
      functionName: 'sweeper',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    const settings = settingsWith();
    const handler = makeSweeperHandler(async () => ({
      settings,
      cluster: kube.cluster,
      events: NO_EVENTS,
      now: () => new Date(),
      log: SILENT,
    }));
    await handler(
      {
        isPastDue: true,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: '2026-11-24T00:00:00Z', next: '2026-11-24T00:05:00Z', lastUpdated: '2026-11-24T00:00:00Z' },
      },
      context,
    );
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged[0]).toMatchObject({
      level: 'warn',
      message: 'the sweep is running late (isPastDue): it sweeps as usual',
      invocationId: 'inv-timer',
    });
    expect(logged.find((l) => l.message === 'sweep done')).toMatchObject({
      examined: 1,
      cleared: ['unschedulable=1'],
      errors: 0,
      invocationId: 'inv-timer',
    });
    expect(
      kube.standIn.objects('pods', 'spark-jobs').filter((p) => p.metadata.name === job.names.driverPod && !p.metadata.deletionTimestamp),
    ).toHaveLength(0);
  });
});
