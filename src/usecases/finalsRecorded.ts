/**
 * Job keys whose final state the sweeper knows is in the ledger, kept by the process across runs
 * (see SweepDeps.finalsRecorded). Bounded: it starts over when full, and forgetting costs one
 * ledger read per key.
 */
export class FinalsRecorded {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity = 100_000) {}
  has(jobKey: string): boolean {
    return this.keys.has(jobKey);
  }
  add(jobKey: string): void {
    if (this.keys.size >= this.capacity) this.keys.clear();
    this.keys.add(jobKey);
  }
}
