/** What `spark-dispatch sweep` prints, in delete and observe mode. */
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/cli/commands/sweep.js';
import { SWEEP_REASONS } from '../../src/domain/sweep/reasons.js';
import type { SweepReport } from '../../src/usecases/sweep.js';

const none = Object.fromEntries(SWEEP_REASONS.map((r) => [r, 0])) as SweepReport['cleared'];
const target = { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', name: 'etl-0123456789abcdef-driver' };
const report = (over: Partial<SweepReport>): SweepReport => ({
  dryRun: false,
  mode: 'delete',
  namespaces: ['spark-jobs'],
  examined: 9,
  healthy: 7,
  finishedRecorded: 1,
  reconciled: 0,
  lost: 0,
  eventsPaid: 0,
  cleared: none,
  wouldClear: none,
  evidenceRead: 3,
  deferred: 0,
  capReached: false,
  actions: [],
  errors: [],
  ...over,
});

describe('formatReport', () => {
  it('delete mode: what was cleared, and how many suspects had their evidence read', () => {
    const text = formatReport(
      report({
        cleared: { ...none, 'no-executors': 1 },
        actions: [
          { kind: 'delete', target, reason: 'no-executors', message: 'no executor and no log line or heartbeat for 2500 s', done: true },
        ],
      }),
      true,
    );
    expect(text).toBe(
      [
        'sweep of spark-jobs',
        '  examined 9, healthy 7, finished jobs recorded 1, evidence read for 3',
        '  cleared: no-executors 1',
        '    deleted pod/etl-0123456789abcdef-driver (no-executors): no executor and no log line or heartbeat for 2500 s',
        '  errors: 0',
        '',
      ].join('\n'),
    );
  });

  it('observe mode: says nothing is cleared, lists what would have been, and where a delete run would have stopped', () => {
    const text = formatReport(
      report({
        mode: 'observe',
        wouldClear: { ...none, 'hung-after-stop': 1 },
        deferred: 4,
        capReached: true,
        actions: [
          {
            kind: 'delete',
            target,
            reason: 'hung-after-stop',
            message: 'its SparkContext stopped and the process did not exit',
            done: false,
            observed: true,
          },
        ],
      }),
      true,
    );
    expect(text).toContain('sweep in observe mode (nothing is cleared: settings.sweeper.mode) of spark-jobs');
    expect(text).toContain('evidence read for 3, 4 suspects left for the next run');
    expect(text).toContain('  would clear: hung-after-stop 1');
    expect(text).toContain(
      '    would have deleted pod/etl-0123456789abcdef-driver (hung-after-stop): its SparkContext stopped and the process did not exit',
    );
    expect(text).toContain('a delete run would have stopped at the deletion cap');
  });

  it('a second driver the intake could not remove: listed with what the sweep did about it', () => {
    const message =
      'a second driver of the job (uid u-2, made by a copy of its request at 2026-12-07T00:00:00.000Z), not the one its record names (uid u-1)';
    const action = { kind: 'remove-second-driver' as const, target, jobKey: 'default/etl', message };
    expect(formatReport(report({ actions: [{ ...action, done: true }] }), true)).toContain(
      `    deleted pod/etl-0123456789abcdef-driver (second driver): ${message}\n`,
    );
    expect(formatReport(report({ dryRun: true, actions: [{ ...action, done: false }] }), true)).toContain(
      `    would delete pod/etl-0123456789abcdef-driver (second driver): ${message}\n`,
    );
  });
});
