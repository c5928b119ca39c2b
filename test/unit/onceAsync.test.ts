/** Values made on first use: shared by concurrent first callers, failures not kept. */
import { describe, expect, it } from 'vitest';
import { onceAsync } from '../../src/shared/onceAsync.js';

describe('onceAsync', () => {
  it('makes the value once for concurrent first callers and every caller after', async () => {
    let made = 0;
    const get = onceAsync(async () => {
      made++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { id: made };
    });
    const [a, b, c] = await Promise.all([get(), get(), get()]);
    expect(made).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(await get()).toBe(a);
  });

  it('does not keep a failure: the next call tries again, and concurrent callers of the failed attempt all see it', async () => {
    let attempts = 0;
    const get = onceAsync(async () => {
      attempts++;
      if (attempts === 1) throw new Error('unreachable for now');
      return 'connected';
    });
    const first = await Promise.allSettled([get(), get()]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await get()).toBe('connected');
    expect(await get()).toBe('connected');
    expect(attempts).toBe(2);
  });
});
