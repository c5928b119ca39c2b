/**
 * The reliability proofs (issue 6): duplicates, bursts against a driver cap, API faults,
 * hostile input and hostile globs, each end to end with real parts (deep and oversized inputs in
 * fresh processes: freshProcess.test.ts). `npm run soak` runs the same scenarios and
 * prints their figures.
 */
import { describe, expect, it } from 'vitest';
import { hostileGlobsScenario } from '../support/hostileGlobs.js';
import { badInputScenario, burstScenario, duplicatesScenario, faultsScenario } from '../support/reliability.js';

describe('reliability', () => {
  it('duplicates: 300 jobs, each delivered 3 times to 4 concurrent consumers → exactly 300 drivers', async () => {
    const r = await duplicatesScenario(300, 3, 4);
    expect(r).toMatchObject({ jobs: 300, messages: 900, drivers: 300, duplicates: 0, lost: 0, deadLettered: 0 });
  }, 180_000);

  it('burst: 500 jobs, cap 20, 4 consumers, drivers finishing → never more than 20 at once, all 500 launched once', async () => {
    const r = await burstScenario(500, 20, 4);
    expect(r.maxConcurrentDrivers).toBeGreaterThan(0);
    expect(r.maxConcurrentDrivers).toBeLessThanOrEqual(20);
    expect(r).toMatchObject({ jobs: 500, drivers: 500, duplicates: 0, lost: 0, deadLettered: 0 });
  }, 360_000);

  it('faults: 20 % of API calls fail (500, 429, reset, timeout) → every job launched exactly once', async () => {
    const r = await faultsScenario(200, 0.2, 4);
    expect(r.faultsInjected).toBeGreaterThan(50);
    expect(r).toMatchObject({ jobs: 200, drivers: 200, duplicates: 0, lost: 0, deadLettered: 0 });
  }, 240_000);

  it('bad input: 60+ hostile messages and events → each rejected with a reason in the ledger, none launched, no crash, the good ones launched', async () => {
    const r = await badInputScenario(20, 4);
    expect(r.hostileInputs).toBeGreaterThanOrEqual(60);
    expect(r.unrecorded).toEqual([]);
    expect(r.keysTaken).toEqual([]);
    expect(r.rejectedWithReason).toBe(r.hostileInputs);
    expect(r.launchedHostile).toBe(0);
    expect(r).toMatchObject({ jobs: 20, drivers: 20, duplicates: 0, lost: 0, abandoned: 0, deadLettered: 0 });
  }, 180_000);

  it('hostile globs: near misses of 1,000 characters ignored with the reason, matches launched once, malformed globs refused by the settings, every match within its step bound', async () => {
    const r = await hostileGlobsScenario();
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ inputs: 16, events: 12, rejectedWithReason: 10, crashes: 0, lost: 0, drivers: 6 });
    expect(r.maxSteps).toBeLessThanOrEqual(r.maxStepsBound);
  }, 60_000);
});
