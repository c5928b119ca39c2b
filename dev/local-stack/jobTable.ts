/** The live view's table: pure, from ledger records and the clock, fitted to the terminal's width. */
import type { LedgerRecord } from '../../src/domain/intake/ledgerRecord.js';

export function ageText(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const HEADERS = ['JOB', 'STATE', 'NAMESPACE', 'DRIVER', 'AGE', 'LAST EVENT'] as const;
/** Without a width (plain output, a pipe): the last event is cut here. */
const EVENT_WIDTH = 70;
/**
 * The order in which columns give up width when the table is wider than the terminal, and how
 * narrow each step lets them get: the last event first (it is the longest), the driver's name
 * before the job's (its hash and `-driver` tell a person less), the short columns last.
 */
const SHRINK: readonly (readonly [column: number, min: number])[] = [
  [5, 48], // LAST EVENT
  [3, 36], // DRIVER
  [5, 32],
  [0, 24], // JOB
  [5, 24],
  [2, 12], // NAMESPACE
  [1, 20], // STATE
  [0, 12],
  [3, 16],
  [5, 16],
  [2, 9],
  [3, 12],
  [0, 10],
  [5, 12],
  [1, 14],
  [3, 8],
  [0, 6],
];
const GAP = 2;

/** Characters as a terminal shows them (code points; the view's text has no wide characters of its own). */
export const textWidth = (s: string): number => [...s].length;

/** `s` in at most `width` columns, `…` marking a cut. */
export function cut(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

/** What a job is doing now: the ledger's state, refined by the driver's phase when it runs. */
export function jobTable(records: readonly LedgerRecord[], phases: ReadonlyMap<string, string>, now: Date, width?: number): string {
  if (records.length === 0) return 'no jobs yet\n';
  const rows = records.map((r) => {
    const phase = r.driverPod ? phases.get(`${r.namespace}/${r.driverPod}`) : undefined;
    const state = r.final
      ? `${r.state} (${r.final.phase}${r.final.reason ? `: ${r.final.reason}` : ''})`
      : phase && (r.state === 'launched' || r.state === 'already-launched')
        ? `${r.state} (${phase})`
        : r.state;
    const last = r.history.at(-1);
    const event = last ? `${last.state}${last.detail ? `: ${last.detail}` : ''}` : '';
    return [
      r.name ?? '-',
      state,
      r.namespace ?? '-',
      r.driverPod ?? '-',
      ageText(r.createdAt, now),
      width === undefined ? cut(event, EVENT_WIDTH) : event,
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(textWidth(h), ...rows.map((row) => textWidth(row[i] ?? ''))));
  if (width !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
    for (const [column, min] of SHRINK) {
      const over = total() - width;
      if (over <= 0) break;
      // A heading is never cut: the narrowest a column gets is its heading.
      const floor = Math.max(min, textWidth(HEADERS[column]!));
      widths[column] = Math.max(Math.min(widths[column]!, floor), widths[column]! - over);
    }
  }
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? cut(c, widths[i]!) : cut(c, widths[i]!).padEnd(widths[i]!)))
      .join(' '.repeat(GAP))
      .trimEnd();
  return `${[line(HEADERS), ...rows.map(line)].join('\n')}\n`;
}
