import { describe, expect, it } from 'vitest';
import { deferralHistory, nextDeferral } from '../../src/domain/intake/deferral.js';

const policy = { initialDelaySeconds: 30, maxDelaySeconds: 600, maxTotalWaitSeconds: 3600 };
const t0 = new Date('2026-11-23T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('nextDeferral', () => {
  it.each([
    // attempt, random, expected delay in s (base × (0.8 + 0.4 × random))
    [1, 0.5, 30],
    [2, 0.5, 60],
    [3, 0.5, 120],
    [5, 0.5, 480],
    [6, 0.5, 600], // capped
    [10, 0.5, 600],
    [1, 0, 24], // -20 %
    [1, 1, 36], // +20 %
  ])('attempt %i (random %d) waits %i s', (attempt, random, delay) => {
    const decision = nextDeferral(policy, attempt, t0, t0, () => random);
    expect(decision).toEqual({ kind: 'retry-at', at: at(delay), attempt });
  });

  it('gives up when the next wait would pass the total bound, and says how long it waited', () => {
    expect(nextDeferral(policy, 3, t0, at(3000), () => 0.5)).toEqual({ kind: 'retry-at', at: at(3120), attempt: 3 });
    expect(nextDeferral(policy, 4, t0, at(3500), () => 0.5)).toEqual({ kind: 'give-up', waitedSeconds: 3500 });
  });
});

describe('deferralHistory', () => {
  it.each([
    { deferrals: undefined, firstSeen: undefined, expected: { deferrals: 0, firstSeen: t0, ignored: [] } },
    { deferrals: 3, firstSeen: '2026-11-23T09:00:00.000Z', expected: { deferrals: 3, firstSeen: at(-3600), ignored: [] } },
    { deferrals: '2', firstSeen: at(-60), expected: { deferrals: 2, firstSeen: at(-60), ignored: [] } },
    {
      deferrals: 'many',
      firstSeen: 'garbage',
      expected: {
        deferrals: 0,
        firstSeen: t0,
        ignored: [
          'sd-deferrals: expected a non-negative integer, found "many"',
          'sd-first-seen: expected an ISO 8601 time, found "garbage"',
        ],
      },
    },
    {
      deferrals: -1,
      firstSeen: 12,
      expected: {
        deferrals: 0,
        firstSeen: t0,
        ignored: ['sd-deferrals: expected a non-negative integer, found -1', 'sd-first-seen: expected an ISO 8601 time, found 12'],
      },
    },
    {
      deferrals: 1.5,
      firstSeen: undefined,
      expected: { deferrals: 0, firstSeen: t0, ignored: ['sd-deferrals: expected a non-negative integer, found 1.5'] },
    },
  ])('sd-deferrals $deferrals, sd-first-seen $firstSeen', ({ deferrals, firstSeen, expected }) => {
    expect(deferralHistory(deferrals, firstSeen, t0)).toEqual(expected);
  });
});
