/**
 * Deep and oversized inputs against a cold worker: each case in a freshly started Node process
 * (test/support/freshInputs.ts), running the exported function handler with a real
 * InvocationContext on in-memory ports. A warm process would hide the failure that matters: a
 * stack overflow while V8 compiles a regular expression for the first time kills the process
 * (exit 134) instead of throwing, and it does so again on every redelivery.
 */
import { describe, expect, it } from 'vitest';
import { FRESH_CASES, freshInputsScenario } from '../support/freshInputs.js';

describe('deep and oversized inputs, each in a fresh process', () => {
  it('every one is recorded as rejected with a reason naming the limit; no process dies, no handler throws', async () => {
    const r = await freshInputsScenario(3);
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ inputs: FRESH_CASES.length, rejectedWithReason: FRESH_CASES.length, crashes: 0, lost: 0 });
    // Each process exited on its own, having written its report.
    expect(r.outcomes.map((o) => [o.id, o.exitCode])).toEqual(FRESH_CASES.map((c) => [c.id, 0]));
  }, 120_000);

  it('covers messages (text, bytes, decoded), storage events and job.yaml uploads, deep and wide', () => {
    const vias = new Set(FRESH_CASES.map((c) => c.via));
    expect([...vias].sort()).toEqual(['event', 'message', 'upload']);
    const ids = FRESH_CASES.map((c) => c.id);
    for (const kind of [
      'json-text',
      'json-bytes',
      'yaml-flow',
      'yaml-block',
      'decoded',
      'wide',
      'event-deep',
      'event-wide',
      'sidecar-flow',
      'sidecar-block',
      'alias-bomb',
      'sidecar-large',
    ]) {
      expect(
        ids.some((id) => id.includes(kind)),
        kind,
      ).toBe(true);
    }
  });
});
