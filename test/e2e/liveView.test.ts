/**
 * `npm start` on a real terminal (a pseudo-terminal through util-linux `script`, 100 × 30): the
 * live table is drawn on the alternate screen, in place, within the terminal's width, and Ctrl-C
 * typed at the terminal brings the normal screen back with the last table and stops everything.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const bin = resolve('bin/spark-dispatch.js');
const ENTER = '\x1b[?1049h';
const LEAVE = '\x1b[?1049l';

describe.skipIf(!hasScript)('the live table on a terminal', () => {
  it('alternate screen, redrawn in place within 100 columns, normal screen back on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-tty-'));
    const child = spawn(
      'script',
      [
        '-qfec',
        `stty cols 100 rows 30; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} start --pending-ms 200 --running-ms 60000`,
        '/dev/null',
      ],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((done) => child.on('close', done));
    try {
      await eventually(() => expect(out).toContain('no jobs yet'), 30_000);
      const upload = spawnSync(process.execPath, [bin, 'upload', resolve('examples/wordcount/main.py')], { cwd: dir, encoding: 'utf8' });
      expect(upload.status).toBe(0);
      await eventually(() => expect(out).toMatch(/wordcount\s+launched \(Running\)/), 30_000);
      child.stdin.write('\x03'); // Ctrl-C, typed at the terminal
      expect(await closed).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const entered = out.indexOf(ENTER);
    const left = out.lastIndexOf(LEAVE);
    expect(entered).toBeGreaterThan(out.indexOf('ready'));
    expect(left).toBeGreaterThan(out.lastIndexOf('\x1b[H'));
    const view = out.slice(entered, left);
    expect(view).not.toContain('\x1b[2J'); // frames overwrite in place: nothing for the scrollback
    for (const line of view.split('\x1b[H').flatMap((f) => f.split('\r\n')))
      expect([...line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')].length, line).toBeLessThanOrEqual(100);
    const after = out.slice(left);
    expect(after).toMatch(/JOB\s+STATE/); // the last table stays in the scrollback
    expect(after).toContain('stopped: nothing left running');
  });
});
