/**
 * Time that a test can move forward: the broker's schedule and locks, the dispatcher's `now`, and
 * the scenario's own outage windows read it, so a 15-minute outage takes seconds of real time.
 */
export class MovedClock {
  private offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  readonly date = (): Date => new Date(this.now());

  /** Moves to `at` (epoch ms) if that is later than now. */
  advanceTo(at: number): void {
    const now = this.now();
    if (at > now) this.offset += at - now;
  }

  advanceBy(ms: number): void {
    this.offset += ms;
  }
}
