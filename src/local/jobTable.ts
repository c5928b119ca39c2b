/** The live view's table: pure, from ledger records and the clock. */
import type { LedgerRecord } from '../domain/intake/ledgerRecord.js';
import { formatTable } from '../cli/formatTable.js';

export function ageText(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** What a job is doing now: the ledger's state, refined by the driver's phase when it runs. */
export function jobTable(records: readonly LedgerRecord[], phases: ReadonlyMap<string, string>, now: Date): string {
  if (records.length === 0) return 'no jobs yet\n';
  const rows = records.map((r) => {
    const phase = r.driverPod ? phases.get(`${r.namespace}/${r.driverPod}`) : undefined;
    const state = r.final ? `${r.state} (${r.final.phase}${r.final.reason ? `: ${r.final.reason}` : ''})` : phase && (r.state === 'launched' || r.state === 'already-launched') ? `${r.state} (${phase})` : r.state;
    const last = r.history.at(-1);
    const event = last ? `${last.state}${last.detail ? `: ${last.detail}` : ''}` : '';
    return [r.name ?? '-', state, r.namespace ?? '-', r.driverPod ?? '-', ageText(r.createdAt, now), event.length > 70 ? `${event.slice(0, 69)}…` : event];
  });
  return formatTable(['JOB', 'STATE', 'NAMESPACE', 'DRIVER', 'AGE', 'LAST EVENT'], rows);
}
