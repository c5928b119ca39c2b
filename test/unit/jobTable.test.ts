import { describe, expect, it } from 'vitest';
import { recordStep } from '../../src/domain/intake/ledgerRecord.js';
import { ageText, jobTable } from '../../src/local/jobTable.js';

const now = new Date('2026-11-23T10:10:00Z');
const at = (iso: string) => new Date(iso);

describe('the live view table', () => {
  it.each([
    ['2026-11-23T10:09:55Z', '5s'],
    ['2026-11-23T10:07:30Z', '2m30s'],
    ['2026-11-23T08:05:00Z', '2h05m'],
  ])('age since %s is %s', (from, text) => expect(ageText(from, now)).toBe(text));

  it('shows state, the driver phase while running, the final state, and the last event', () => {
    const launched = recordStep(recordStep(undefined, 'k1', { state: 'received' }, at('2026-11-23T10:09:00Z')), 'k1', { state: 'launched', name: 'wordcount', namespace: 'spark-jobs', driverPod: 'wc-driver' }, at('2026-11-23T10:09:01Z'));
    const finished = recordStep(launched, 'k2', { state: 'finished', final: { phase: 'Failed', reason: 'OOMKilled', exitCode: 137 }, detail: 'Failed (OOMKilled)' }, at('2026-11-23T10:09:30Z'));
    const rejected = recordStep(undefined, 'k3', { state: 'rejected', reasons: ['main: expected abfss://…'], detail: 'x'.repeat(100) }, at('2026-11-23T10:09:59Z'));
    const out = jobTable([launched, { ...finished, driverPod: 'oom-driver' }, rejected], new Map([['spark-jobs/wc-driver', 'Running']]), now);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+STATE\s+NAMESPACE\s+DRIVER\s+AGE\s+LAST EVENT$/);
    expect(lines[1]).toMatch(/^wordcount\s+launched \(Running\)\s+spark-jobs\s+wc-driver\s+1m00s\s+launched$/);
    expect(lines[2]).toMatch(/finished \(Failed: OOMKilled\)\s+spark-jobs\s+oom-driver\s+1m00s\s+finished: Failed \(OOMKilled\)$/);
    expect(lines[3]).toMatch(/^-\s+rejected\s+-\s+-\s+1s\s+rejected: x{59}…$/);
  });

  it('says so when there are no jobs', () => expect(jobTable([], new Map(), now)).toBe('no jobs yet\n'));
});
