import { describe, expect, it } from 'vitest';
import { recordStep, withPaid, type LedgerRecord, type LedgerState } from '../../src/domain/intake/ledgerRecord.js';
import { reconcileRecord } from '../../src/domain/sweep/reconcile.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const POLICY = { lostGraceSeconds: 600, staleRequestSeconds: 7200 };

const rec = (state: LedgerState, quietSeconds: number, extra: Partial<LedgerRecord> = {}): LedgerRecord => ({
  jobKey: 't/k',
  state,
  createdAt: ago(quietSeconds + 10),
  updatedAt: ago(quietSeconds),
  history: [],
  namespace: 'ns',
  driverPod: 'k-driver',
  ...extra,
});

describe('reconcileRecord', () => {
  it.each([
    // A launched job's driver: absent for longer than the grace → lost; seen, or unknown → keep.
    ['launched', 599, false, 'keep'],
    ['launched', 601, false, 'lost'],
    ['launched', 100_000, true, 'keep'],
    ['launched', 100_000, undefined, 'keep'],
    // Written ahead of the create: its message may still be retrying, so it gets the request's budget.
    ['launching', 601, false, 'keep'],
    ['launching', 7199, false, 'keep'],
    ['launching', 7201, false, 'lost'],
    ['launching', 7201, true, 'keep'],
    // Waiting requests: lost only past the stale budget, whatever the cluster shows of them.
    ['retrying', 7199, undefined, 'keep'],
    ['retrying', 7201, undefined, 'lost'],
    ['queued', 7201, false, 'lost'],
    ['received', 7201, undefined, 'lost'],
    // Settled ones are never touched.
    ['finished', 100_000, false, 'keep'],
    ['swept', 100_000, false, 'keep'],
    ['rejected', 100_000, false, 'keep'],
    ['dead-lettered', 100_000, false, 'keep'],
    ['lost', 100_000, false, 'keep'],
  ] as const)('%s, quiet %i s, driver seen %s: %s', (state, quiet, seen, want) => {
    expect(reconcileRecord(rec(state, quiet), { driverSeen: seen }, POLICY, NOW).action).toBe(want);
  });

  it('a deferred job counts from when it was due back, not from its last step', () => {
    const deferred = (due: number) => rec('deferred', 9000, { deferredUntil: ago(due) });
    expect(reconcileRecord(deferred(7000), { driverSeen: false }, POLICY, NOW).action).toBe('keep');
    expect(reconcileRecord(deferred(7300), { driverSeen: false }, POLICY, NOW).action).toBe('lost');
  });

  it('says what it saw: the driver, the last step, the thresholds', () => {
    const verdict = reconcileRecord(rec('launched', 900), { driverSeen: false }, POLICY, NOW);
    expect(verdict).toMatchObject({
      action: 'lost',
      message:
        'the driver ns/k-driver is gone and nothing recorded how it ended (deleted by hand, evicted and removed, or lost with its node): last step launched 900 s ago',
      evidence: { phase: 'launched', since: ago(900), ageSeconds: 900, thresholdSeconds: 600 },
    });
  });
});

describe('owed lifecycle events', () => {
  const launched = { type: 'launched', at: ago(10) };
  it('a step owes its event when asked, keeps owing across steps, and pays only what was sent', () => {
    const a = recordStep(undefined, 't/k', { state: 'launched', owe: launched }, NOW);
    expect(a.owed).toEqual([launched]);
    const b = recordStep(a, 't/k', { state: 'finished', owe: { type: 'finished', at: ago(1) } }, NOW);
    expect(b.owed?.map((o) => o.type)).toEqual(['launched', 'finished']);
    const c = withPaid(b, [launched]);
    expect(c.owed?.map((o) => o.type)).toEqual(['finished']);
    expect(c.history).toEqual(b.history);
    expect(c.state).toBe('finished');
    expect(withPaid(c, [{ type: 'finished', at: ago(1) }])).not.toHaveProperty('owed');
  });

  it('the same event owed twice (a retried step) is owed once', () => {
    const a = recordStep(undefined, 't/k', { state: 'launched', owe: launched }, NOW);
    expect(recordStep(a, 't/k', { state: 'launched', owe: launched }, NOW).owed).toEqual([launched]);
  });
});
