import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry, type RetryPolicy } from '../../src/shared/withRetry.js';
import { DispatchError } from '../../src/shared/errors.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

function failing(errors: DispatchError[], result = 'done') {
  let calls = 0;
  return {
    op: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return result;
    },
    calls: () => calls,
  };
}

describe('withRetry', () => {
  it('retries retryable errors and returns the first success', async () => {
    const sleeps: number[] = [];
    const f = failing([new DispatchError('unavailable', '500'), new DispatchError('network', 'reset')]);
    await expect(withRetry(f.op, policy, { sleep: async (ms) => void sleeps.push(ms), random: () => 1 })).resolves.toBe('done');
    expect(f.calls()).toBe(3);
    expect(sleeps).toEqual([100, 200]); // full jitter with random()=1: the exponential ceiling
  });

  it('honours Retry-After, capped', async () => {
    const sleeps: number[] = [];
    const f = failing([
      new DispatchError('throttled', '429', { retryAfterMs: 2_000 }),
      new DispatchError('throttled', '429', { retryAfterMs: 60_000 }),
    ]);
    await withRetry(f.op, policy, { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    expect(sleeps).toEqual([2_000, 5_000]);
  });

  it('gives up after maxAttempts with the last error, still marked retryable', async () => {
    const f = failing(Array.from({ length: 10 }, (_, i) => new DispatchError('timeout', `t${i}`)));
    const error = await withRetry(f.op, policy, { sleep: async () => {} }).catch((e: unknown) => e);
    expect(f.calls()).toBe(4);
    expect(error).toBeInstanceOf(DispatchError);
    expect((error as DispatchError).message).toBe('t3');
    expect((error as DispatchError).retryable).toBe(true);
  });

  it.each(['invalid', 'forbidden', 'quota-exceeded', 'already-exists', 'conflict', 'not-found', 'configuration'] as const)(
    'does not retry %s',
    async (kind) => {
      const f = failing([new DispatchError(kind, kind)]);
      await expect(withRetry(f.op, policy, { sleep: async () => {} })).rejects.toMatchObject({ kind });
      expect(f.calls()).toBe(1);
    },
  );

  it('does not retry errors that are not DispatchErrors (bugs surface at once)', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new TypeError('bug');
        },
        policy,
        { sleep: async () => {} },
      ),
    ).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });

  it('backoff grows exponentially up to the cap', () => {
    const e = new DispatchError('unavailable', 'x');
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a, e, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
  });
});
