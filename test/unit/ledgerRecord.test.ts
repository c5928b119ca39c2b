import { describe, expect, it } from 'vitest';
import { DriverTaken, MAX_HISTORY, recordStep, type LedgerRecord, type LedgerState } from '../../src/domain/intake/ledgerRecord.js';

const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s));
const steps = (states: LedgerState[]): LedgerRecord =>
  states.reduce<LedgerRecord | undefined>((r, state, i) => recordStep(r, 'k', { state }, t(i)), undefined)!;

describe('recordStep', () => {
  it('starts a record and keeps when it was created', () => {
    const r = recordStep(undefined, 'job-1', { state: 'received', source: { kind: 'message', ref: 'm1' }, ids: { messageId: 'm1' } }, t(0));
    expect(r).toEqual({
      jobKey: 'job-1',
      state: 'received',
      createdAt: t(0).toISOString(),
      updatedAt: t(0).toISOString(),
      source: { kind: 'message', ref: 'm1' },
      history: [{ at: t(0).toISOString(), state: 'received', ids: { messageId: 'm1' } }],
    });
  });

  it.each([
    [['received', 'launched'], 'launched'],
    [['received', 'launched', 'already-launched'], 'launched'], // a redelivery does not demote a launch
    [['received', 'launched', 'received'], 'launched'],
    [['received', 'deferred', 'deferred', 'launched'], 'launched'],
    [['received', 'retrying', 'retrying', 'dead-lettered'], 'dead-lettered'],
    [['received', 'launched', 'finished', 'swept'], 'finished'], // the final state stays
    [['received', 'rejected', 'received'], 'rejected'],
    [['received', 'queued', 'launched'], 'launched'],
    // The sweeper in observe mode adds history, never a state: the job still says what it said.
    [['received', 'launched', 'would-clear'], 'launched'],
    [['received', 'launched', 'would-clear', 'swept'], 'swept'],
    [['received', 'launched', 'finished', 'would-clear'], 'finished'],
  ] as [LedgerState[], LedgerState][])('%j ends %s, with every step in the history', (states, final) => {
    const r = steps(states);
    expect(r.state).toBe(final);
    expect(r.history.map((h) => h.state)).toEqual(states);
  });

  describe('one driver per key: a newly created driver is recorded only where no other was', () => {
    const launchedWith = (uid: string) => recordStep(steps(['launching']), 'k', { state: 'launched', driverUid: uid }, t(5));
    it.each([
      ['the same driver again (a retried write)', 'uid-a', 'launched', false],
      ['another driver, created now', 'uid-b', 'launched', true],
      // Adopting (already-launched) is never refused: only the launch that created a second driver withdraws it.
      ['another driver, adopted', 'uid-b', 'already-launched', false],
    ] as const)('%s', (_, uid, state, refused) => {
      const step = () => recordStep(launchedWith('uid-a'), 'k', { state, driverUid: uid }, t(6));
      if (refused) expect(step).toThrow(DriverTaken);
      // The record keeps naming the first driver.
      else expect(step().driverUid).toBe('uid-a');
    });
    it('names both drivers, and a record without a driver yet takes the first', () => {
      expect(() => recordStep(launchedWith('uid-a'), 'k', { state: 'launched', driverUid: 'uid-b' }, t(6))).toThrow(
        /launched already \(driver uid uid-a, launched\); the driver this request created \(uid uid-b\) is a second one/,
      );
      expect(launchedWith('uid-a').driverUid).toBe('uid-a');
    });
  });

  describe('second drivers left to remove (strays)', () => {
    const stray = (uid: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'drv', uid, at: t(1).toISOString() });
    const launched = recordStep(steps(['launching']), 'k', { state: 'launched', driverUid: 'uid-a' }, t(5));
    it.each([
      ['kept by the step that could not remove it', [{ stray: stray('uid-b') }], ['uid-b']],
      ['kept once when the same one is added again', [{ stray: stray('uid-b') }, { stray: stray('uid-b') }], ['uid-b']],
      ['kept across later steps that do not mention it', [{ stray: stray('uid-b') }, {}], ['uid-b']],
      ['let go once gone, the others kept', [{ stray: stray('uid-b') }, { stray: stray('uid-c') }, { straysGone: ['uid-b'] }], ['uid-c']],
      ['no field once none is left', [{ stray: stray('uid-b') }, { straysGone: ['uid-b'] }], undefined],
    ] as const)('%s', (_, changes, uids) => {
      const r = changes.reduce<LedgerRecord>(
        (rec, change, i) => recordStep(rec, 'k', { state: 'already-launched', ...change }, t(6 + i)),
        launched,
      );
      expect(r.strays?.map((s) => s.uid)).toEqual(uids);
      if (uids === undefined) expect(r).not.toHaveProperty('strays');
      // The job's own driver and state stay what they were.
      expect(r).toMatchObject({ state: 'launched', driverUid: 'uid-a' });
    });
  });

  it('counts deferrals and keeps the time it is deferred until', () => {
    const r1 = recordStep(undefined, 'k', { state: 'deferred', deferredUntil: 'T1' }, t(0));
    const r2 = recordStep(r1, 'k', { state: 'deferred', deferredUntil: 'T2' }, t(1));
    expect(r2).toMatchObject({ deferrals: 2, deferredUntil: 'T2' });
  });

  it('caps the history, always keeping the first step', () => {
    const r = steps(['received', ...Array.from({ length: 100 }, () => 'retrying' as const)]);
    expect(r.history).toHaveLength(MAX_HISTORY);
    expect(r.history[0]?.state).toBe('received');
    expect(r.history.at(-1)?.at).toBe(t(100).toISOString());
  });

  it('caps the payload on a character boundary and says so', () => {
    const r = recordStep(undefined, 'k', { state: 'rejected', payload: 'é'.repeat(100) }, t(0), 51);
    expect(r.payloadTruncated).toBe(true);
    expect(r.payload).toBe('é'.repeat(25));
    expect(recordStep(undefined, 'k', { state: 'rejected', payload: 'ok' }, t(0)).payloadTruncated).toBe(false);
  });

  it('keeps the first source', () => {
    const r1 = recordStep(undefined, 'k', { state: 'received', source: { kind: 'message', ref: 'm1' } }, t(0));
    expect(recordStep(r1, 'k', { state: 'received', source: { kind: 'message', ref: 'm2' } }, t(1)).source?.ref).toBe('m1');
  });
});
