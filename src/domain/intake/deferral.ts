/**
 * When a deferred job (cluster full) comes back: a growing delay (doubling from the initial one,
 * capped), with ±20 % jitter so that a burst of deferred jobs does not return in lock-step, and a
 * bound on the total wait after which the job is refused with the reason instead of waiting forever.
 */
export interface DeferralPolicy {
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly maxTotalWaitSeconds: number;
}

export type DeferralDecision =
  { readonly kind: 'retry-at'; readonly at: Date; readonly attempt: number } | { readonly kind: 'give-up'; readonly waitedSeconds: number };

/**
 * @param attempt the number of this deferral, 1 for the first
 * @param firstSeen when the job was first received
 */
export function nextDeferral(
  policy: DeferralPolicy,
  attempt: number,
  firstSeen: Date,
  now: Date,
  random: () => number = Math.random,
): DeferralDecision {
  const waitedSeconds = Math.max(0, (now.getTime() - firstSeen.getTime()) / 1000);
  const base = Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * 2 ** Math.max(0, attempt - 1));
  const delay = base * (0.8 + 0.4 * random());
  if (waitedSeconds + delay > policy.maxTotalWaitSeconds) return { kind: 'give-up', waitedSeconds: Math.round(waitedSeconds) };
  return { kind: 'retry-at', at: new Date(now.getTime() + Math.round(delay * 1000)), attempt };
}

export interface DeferralHistory {
  /** Deferrals so far (0 on a first delivery). */
  readonly deferrals: number;
  readonly firstSeen: Date;
  /** Properties that were present but unusable, and were ignored. */
  readonly ignored: readonly string[];
}

/**
 * The deferral bookkeeping a rescheduled message carries (`sd-deferrals`, `sd-first-seen`).
 * Anyone can publish application properties; a value that is not ours is ignored with a note,
 * counting from `fallback` (the message's enqueued time), so a bad property can never lose a job.
 */
export function deferralHistory(deferralsProp: unknown, firstSeenProp: unknown, fallback: Date): DeferralHistory {
  const ignored: string[] = [];
  let deferrals = 0;
  if (deferralsProp !== undefined) {
    const n =
      typeof deferralsProp === 'number'
        ? deferralsProp
        : typeof deferralsProp === 'string' && /^\d+$/.test(deferralsProp)
          ? Number(deferralsProp)
          : Number.NaN;
    if (Number.isSafeInteger(n) && n >= 0) deferrals = n;
    else ignored.push(`sd-deferrals: expected a non-negative integer, found ${JSON.stringify(deferralsProp)}`);
  }
  let firstSeen = fallback;
  if (firstSeenProp !== undefined) {
    const t =
      firstSeenProp instanceof Date ? firstSeenProp.getTime() : typeof firstSeenProp === 'string' ? Date.parse(firstSeenProp) : Number.NaN;
    if (Number.isNaN(t)) ignored.push(`sd-first-seen: expected an ISO 8601 time, found ${JSON.stringify(firstSeenProp)}`);
    else firstSeen = new Date(t);
  }
  return { deferrals, firstSeen, ignored };
}
