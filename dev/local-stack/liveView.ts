/**
 * The live view of `npm start` on a terminal: drawn on the alternate screen (as `top` and `less`
 * are), so that the scrollback keeps what was there before and nothing of the redraws; each frame
 * overwrites the last in place, fitted to the terminal's width and height.
 */
import { cut } from './jobTable.js';

/** Switch to the alternate screen buffer and hide the cursor. */
export const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h\x1b[?25l';
/** Show the cursor and switch back to the normal screen, as it was before. */
export const LEAVE_ALTERNATE_SCREEN = '\x1b[?25h\x1b[?1049l';

export interface ScreenSize {
  readonly columns: number;
  readonly rows: number;
}

/**
 * One frame: the cursor home, each line cut to the width and cleared to its end, the rest of the
 * screen cleared. Lines beyond the screen's height are left out, the last row saying how many; no
 * newline after the last row, so the screen never scrolls.
 */
export function frame(lines: readonly string[], size: ScreenSize): string {
  const rows = Math.max(1, size.rows);
  let shown = lines;
  if (lines.length > rows)
    shown = [...lines.slice(0, rows - 1), `… ${lines.length - rows + 1} more lines (spark-dispatch status lists every job)`];
  return `\x1b[H${shown.map((l) => `${cut(l, size.columns)}\x1b[K`).join('\n')}\x1b[J`;
}

/** Where the view hears that the process is ending: the process itself, or a stand-in in tests. */
export interface ProcessEvents {
  on(event: 'exit' | 'uncaughtExceptionMonitor', listener: () => void): unknown;
  off(event: 'exit' | 'uncaughtExceptionMonitor', listener: () => void): unknown;
}

/**
 * Enters the alternate screen and makes sure the normal screen comes back exactly once: when
 * `leave` is called (Ctrl-C, the end of the view), on an uncaught error (before Node prints it, so
 * the error stays on the normal screen, readable) and on any exit of the process.
 */
export function enterAlternateScreen(write: (text: string) => unknown, events: ProcessEvents): { leave(): void } {
  let active = true;
  const leave = () => {
    if (!active) return;
    active = false;
    events.off('uncaughtExceptionMonitor', leave);
    events.off('exit', leave);
    write(LEAVE_ALTERNATE_SCREEN);
  };
  events.on('uncaughtExceptionMonitor', leave);
  events.on('exit', leave);
  write(ENTER_ALTERNATE_SCREEN);
  return { leave };
}
