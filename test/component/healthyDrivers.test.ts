/**
 * The sweeper over a population of 25 realistic Spark drivers (test/support/healthyDrivers.ts),
 * played by the stand-in for three hours of cluster time with a sweep every five minutes, on the
 * shipped default graces. `npm run soak` prints the same figures.
 */
import { describe, expect, it } from 'vitest';
import { healthyDriversScenario } from '../support/healthyDrivers.js';

describe('healthy and stalled drivers, from Spark’s own behaviour, through the real sweeper', () => {
  it('delete mode: no healthy driver is killed; every stalled one is cleared with its reason, after its grace and within a sweep of it; ends are recorded', async () => {
    const r = await healthyDriversScenario('delete');
    expect(r.errors).toEqual([]);
    expect(r.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(r).toMatchObject({
      drivers: 25,
      healthy: 10,
      ends: 3,
      stalled: 12,
      healthyKilled: 0,
      stalledCleared: 12,
      stalledEarly: 0,
      stalledLate: 0,
      stalledMissed: 0,
      wrongReason: 0,
      endsRecorded: 3,
      deferred: 0,
    });
  });

  it('observe mode: deletes nothing, and would have killed exactly the stalled drivers, each once its grace had passed', async () => {
    const r = await healthyDriversScenario('observe');
    expect(r.errors).toEqual([]);
    expect(r.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(r).toMatchObject({
      podsDeleted: 0,
      wouldHaveKilled: 12,
      healthyKilled: 0,
      stalledCleared: 12,
      stalledEarly: 0,
      stalledMissed: 0,
    });
  });
});
