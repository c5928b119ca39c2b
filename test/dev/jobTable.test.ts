import { describe, expect, it } from 'vitest';
import { recordStep } from '../../src/domain/intake/ledgerRecord.js';
import type { LedgerRecord } from '../../src/domain/intake/ledgerRecord.js';
import { ageText, jobTable, textWidth } from '../../dev/local-stack/jobTable.js';
import { EventEmitter } from 'node:events';
import { ENTER_ALTERNATE_SCREEN, enterAlternateScreen, frame, LEAVE_ALTERNATE_SCREEN } from '../../dev/local-stack/liveView.js';

const now = new Date('2026-11-23T10:10:00Z');
const at = (iso: string) => new Date(iso);

describe('the live view table', () => {
  it.each([
    ['2026-11-23T10:09:55Z', '5s'],
    ['2026-11-23T10:07:30Z', '2m30s'],
    ['2026-11-23T08:05:00Z', '2h05m'],
  ])('age since %s is %s', (from, text) => expect(ageText(from, now)).toBe(text));

  it('shows state, the driver phase while running, the final state, and the last event', () => {
    const launched = recordStep(
      recordStep(undefined, 'k1', { state: 'received' }, at('2026-11-23T10:09:00Z')),
      'k1',
      { state: 'launched', name: 'wordcount', namespace: 'spark-jobs', driverPod: 'wc-driver' },
      at('2026-11-23T10:09:01Z'),
    );
    const finished = recordStep(
      launched,
      'k2',
      { state: 'finished', final: { phase: 'Failed', reason: 'OOMKilled', exitCode: 137 }, detail: 'Failed (OOMKilled)' },
      at('2026-11-23T10:09:30Z'),
    );
    const rejected = recordStep(
      undefined,
      'k3',
      { state: 'rejected', reasons: ['main: expected abfss://…'], detail: 'x'.repeat(100) },
      at('2026-11-23T10:09:59Z'),
    );
    const out = jobTable(
      [launched, { ...finished, driverPod: 'oom-driver' }, rejected],
      new Map([['spark-jobs/wc-driver', 'Running']]),
      now,
    );
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+STATE\s+NAMESPACE\s+DRIVER\s+AGE\s+LAST EVENT$/);
    expect(lines[1]).toMatch(/^wordcount\s+launched \(Running\)\s+spark-jobs\s+wc-driver\s+1m00s\s+launched$/);
    expect(lines[2]).toMatch(/finished \(Failed: OOMKilled\)\s+spark-jobs\s+oom-driver\s+1m00s\s+finished: Failed \(OOMKilled\)$/);
    expect(lines[3]).toMatch(/^-\s+rejected\s+-\s+-\s+1s\s+rejected: x{59}…$/);
  });

  it('says so when there are no jobs', () => expect(jobTable([], new Map(), now)).toBe('no jobs yet\n'));

  describe('fitted to the terminal', () => {
    const swept = recordStep(
      recordStep(
        undefined,
        'default/hangs/demo',
        { state: 'launched', name: 'hangs', namespace: 'spark-jobs', driverPod: 'hangs-6b2593ab02fe2ef7-driver' },
        at('2026-11-23T10:08:00Z'),
      ),
      'default/hangs/demo',
      {
        state: 'swept',
        detail:
          'no-executors: no executor and no log line or heartbeat for 31 s: its SparkContext never started or the script hangs (cannot read its files over abfss?)',
      },
      at('2026-11-23T10:09:00Z'),
    );
    const running = recordStep(
      undefined,
      'default/upload:x',
      {
        state: 'launched',
        name: 'daily-sales-rollup-for-europe',
        namespace: 'team-sales-analytics',
        driverPod: 'daily-sales-rollup-for-europe-0123456789abcdef-driver',
      },
      at('2026-11-23T10:09:30Z'),
    );
    const records: LedgerRecord[] = [swept, running];
    const phases = new Map([['team-sales-analytics/daily-sales-rollup-for-europe-0123456789abcdef-driver', 'Running']]);
    const columnsOf = (header: string) => ['JOB', 'STATE', 'NAMESPACE', 'DRIVER', 'AGE', 'LAST EVENT'].map((h) => header.indexOf(h));

    it('at 80 columns no line is wider than 80, and every column is still there, aligned', () => {
      const lines = jobTable(records, phases, now, 80).trimEnd().split('\n');
      for (const line of lines) expect(textWidth(line), line).toBeLessThanOrEqual(80);
      expect(lines[0]).toMatch(/^JOB\s+STATE\s+NAMESPACE\s+DRIVER\s+AGE\s+LAST EVENT$/);
      const at = columnsOf(lines[0]!);
      expect(lines[1]!.slice(at[4]!)).toMatch(/^2m00s\s+swept: no-ex/);
      expect(lines[2]!.slice(at[1]!)).toMatch(/^launched \(Running\)\s/); // the state is the last thing cut
      expect(lines[2]!.slice(at[3]!)).toMatch(/^daily-sales…\s/);
      expect(lines[1]!.endsWith('…')).toBe(true);
    });

    it('at 160 columns job and driver names are whole where they fit, and the last event gets the room left, within 160', () => {
      const lines = jobTable(records, phases, now, 160).trimEnd().split('\n');
      for (const line of lines) expect(textWidth(line), line).toBeLessThanOrEqual(160);
      expect(lines[1]).toContain('hangs-6b2593ab02fe2ef7-driver');
      expect(lines[2]).toMatch(/^daily-sales-rollup-for-europe\s/);
      expect(lines[2]).toContain('team-sales-analytics');
      const event = lines[1]!.slice(columnsOf(lines[0]!)[5]);
      expect(event).toMatch(/^swept: no-executors: no executor and no /);
      expect(textWidth(event)).toBeGreaterThan(
        textWidth(
          jobTable(records, phases, now, 80)
            .split('\n')[1]!
            .slice(columnsOf(jobTable(records, phases, now, 80))[5]),
        ),
      );
    });

    it('a frame redraws in place: cursor home, lines cut and cleared to their end, the rest cleared, never a scroll', () => {
      const out = frame(['x'.repeat(100), 'short'], { columns: 80, rows: 24 });
      expect(out).toBe(`\x1b[H${'x'.repeat(79)}…\x1b[K\nshort\x1b[K\x1b[J`);
      expect(out).not.toContain('\x1b[2J'); // no full clear (which some terminals push into the scrollback)
      const tall = frame(
        Array.from({ length: 30 }, (_, i) => `line ${i}`),
        { columns: 80, rows: 10 },
      );
      expect(tall.split('\n')).toHaveLength(10);
      expect(tall).toContain('… 21 more lines');
      expect(tall.endsWith('\x1b[J')).toBe(true);
    });

    it('the alternate screen is entered and left with the xterm sequences (1049), the cursor hidden and shown', () => {
      expect(ENTER_ALTERNATE_SCREEN).toBe('\x1b[?1049h\x1b[?25l');
      expect(LEAVE_ALTERNATE_SCREEN).toBe('\x1b[?25h\x1b[?1049l');
    });

    it.each([['leave (Ctrl-C, the end of the view)'], ['uncaughtExceptionMonitor'], ['exit']])(
      'the normal screen comes back exactly once on %s',
      (how) => {
        const events = new EventEmitter();
        let out = '';
        const screen = enterAlternateScreen((t) => (out += t), events);
        expect(out).toBe(ENTER_ALTERNATE_SCREEN);
        if (how === 'exit' || how === 'uncaughtExceptionMonitor') events.emit(how);
        else screen.leave();
        screen.leave();
        events.emit('exit');
        expect(out).toBe(ENTER_ALTERNATE_SCREEN + LEAVE_ALTERNATE_SCREEN);
        expect(events.listenerCount('exit') + events.listenerCount('uncaughtExceptionMonitor')).toBe(0);
      },
    );
  });
});
