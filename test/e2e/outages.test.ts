/**
 * Outages of one dependency at a time cost no job (test/support/outages.ts; `npm run soak` prints
 * the same figures): a Kubernetes API storm of 60 s and of 15 min, a 60 s storage outage (both on
 * a moved clock), a broker restart, drivers vanishing, and an events topic that refuses publishes.
 */
import { describe, expect, it } from 'vitest';
import {
  apiStormScenario,
  brokerRestartScenario,
  eventsFailingScenario,
  storageOutageScenario,
  vanishingDriversScenario,
} from '../support/outages.js';

describe('outages cost no job', () => {
  it.each([60, 900])(
    'a Kubernetes API storm of %i s: every job launched once, none dead-lettered',
    async (seconds) => {
      const r = await apiStormScenario(20, seconds);
      expect(r).toMatchObject({ jobs: 20, drivers: 20, duplicates: 0, lost: 0, deadLettered: 0 });
    },
    120_000,
  );

  it('a 60 s storage outage: every job launched once and recorded, none dead-lettered', async () => {
    const r = await storageOutageScenario(20, 60);
    expect(r).toMatchObject({ jobs: 20, drivers: 20, duplicates: 0, lost: 0, deadLettered: 0 });
    expect(r.note).toMatch(/; 0 without a launched record afterwards$/);
  }, 120_000);

  it('a broker restart in the middle of a batch: every job launched once', async () => {
    const r = await brokerRestartScenario(20, 2_000);
    expect(r).toMatchObject({ jobs: 20, drivers: 20, duplicates: 0, lost: 0, deadLettered: 0 });
  }, 120_000);

  it('drivers that vanish are found lost, and no other', async () => {
    const r = await vanishingDriversScenario(12, 4);
    expect(r).toMatchObject({ foundLost: 4, wronglyLost: 0, duplicates: 0 });
  }, 120_000);

  it('an events topic that refuses publishes: every event is delivered by the next sweep', async () => {
    const r = await eventsFailingScenario(10);
    expect(r.eventsDelivered).toBe(10);
  }, 120_000);
});
