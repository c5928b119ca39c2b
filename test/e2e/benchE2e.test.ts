/**
 * The wiring of the bench's end-to-end section (npm run bench -- --only e2e), on a few jobs: every
 * job ends launched with one driver, and the operation counts it reports agree with what each job
 * must cost. No timing: speed belongs to the bench.
 */
import { describe, expect, it } from 'vitest';
import { e2eRun } from '../../bench/e2e.js';
import { e2eTeamsRun } from '../../bench/e2eTeams.js';

describe('bench e2e wiring', () => {
  it('job messages: each is received, recorded, launched and settled once', async () => {
    const r = await e2eRun('messages', 12, 4, 0, { prefix: 'wiring' });
    expect({ launched: r.launched, drivers: r.drivers }).toEqual({ launched: 12, drivers: 12 });
    // One completion per message; one job message plus one lifecycle event (launched) sent per job.
    expect(r.brokerCompletedPerJob).toBe(1);
    expect(r.brokerSentPerJob).toBe(2);
    // The ledger: no read, a conditional create that claims the key and a conditional update at
    // launch; and, once, the ledger's container (created on first use).
    expect(r.storageRequestsByMethod.GET ?? 0).toBe(0);
    expect(Math.round((r.storageRequestsByMethod.PUT ?? 0) * 12)).toBe(2 * 12 + 1);
    expect(r.kubeRequestsPerJob).toBe(3);
    expect(r.rssMiB.samples.length).toBeGreaterThan(0);
    // What Blob storage holds per job: a record of its claim and launch, with where the driver runs.
    expect(r.ledgerBytesPerRecord).toBeGreaterThan(300);
    expect(r.ledgerBytesPerRecord).toBeLessThan(4096);
  });

  it('storage events: each upload of a landing marker launches one job', async () => {
    const r = await e2eRun('storage-events', 8, 4, 0, { prefix: 'wiring' });
    expect({ launched: r.launched, drivers: r.drivers }).toEqual({ launched: 8, drivers: 8 });
    expect(r.kubeRequestsPerJob).toBe(3);
    // A landing rule's job costs what a message's does: the claim's conditional create, the update
    // at launch, and once the ledger's container; no read (the producer's uploads are not counted).
    expect(r.storageRequestsByMethod.GET ?? 0).toBe(0);
    expect(Math.round((r.storageRequestsByMethod.PUT ?? 0) * 8)).toBe(2 * 8 + 1);
  });

  it("many teams: the flood and the other teams' jobs each launched once, in their own namespaces, before and during the flood", async () => {
    const r = await e2eTeamsRun({
      teams: 3,
      floodJobs: 40,
      quietPerMinute: 600,
      latencyMs: 5,
      concurrencyPerTeam: 4,
      quietAloneMs: 500,
      prefix: 'wiring',
    });
    expect(r.flood.jobs).toBe(40);
    expect(r.quietBefore?.jobs).toBeGreaterThan(0);
    expect(r.jobs).toBeGreaterThanOrEqual(40 + (r.quietBefore?.jobs ?? 0) + (r.quietDuring?.jobs ?? 0));
    expect(r.launched).toBe(r.jobs);
  });

  it("many teams, all flooding at once: each team's burst launched, each team done at its own time", async () => {
    const r = await e2eTeamsRun({
      teams: 3,
      flooders: 3,
      floodJobs: 15,
      quietPerMinute: 600,
      latencyMs: 0,
      concurrencyPerTeam: 4,
      prefix: 'wiring',
    });
    expect({ jobs: r.jobs, launched: r.launched, flood: r.flood.jobs }).toEqual({ jobs: 45, launched: 45, flood: 45 });
    expect(r.quietBefore).toBeUndefined();
    expect(r.floodTeamDoneMs.first).toBeGreaterThan(0);
    expect(r.floodTeamDoneMs.last).toBeGreaterThanOrEqual(r.floodTeamDoneMs.first);
  });
});
