/**
 * Tenant boundaries on the local stack: two teams, each trying to cross into the other's
 * namespace, storage, keys, staged scripts and ledger records through every intake path (its own
 * queue, its own uploads, its templates, conf and env, forged pods for the sweeper). Every attempt
 * is refused and recorded, or stays the attacker's own job, or is ignored; both teams' own jobs
 * launch as if nothing happened. The scenario lives in test/support/tenancy.ts (`npm run soak`
 * prints the same counts).
 */
import { describe, expect, it } from 'vitest';
import { tenancyScenario } from '../support/tenancy.js';

describe('tenancy', () => {
  it("100+ cross-tenant attempts across every intake path: each refused, contained or ignored; both teams' jobs launched", async () => {
    const r = await tenancyScenario();
    expect(r.breaches).toEqual([]);
    expect(r.attempts).toBeGreaterThanOrEqual(100);
    expect(r.byPath.message).toBeGreaterThan(0);
    expect(r.byPath.upload).toBeGreaterThan(0);
    expect(r.byPath['forged pod']).toBeGreaterThan(0);
    expect(r.victimJobsLaunched).toBe(r.victimJobs);
  }, 120_000);
});
