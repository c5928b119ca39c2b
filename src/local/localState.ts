/** Files a running local stack leaves in `.spark-dispatch/` while it runs (and removes on stop). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const STATE_DIR = '.spark-dispatch';
export const LOCAL_SETTINGS_FILE = 'local-settings.json';
export const PID_FILE = 'local.pid';
export const LOG_FILE = 'local.log';
export const STANDIN_KUBECONFIG = 'standin.kubeconfig';

/** `cwd` and each folder above it, up to the file system's root. */
function* upwards(cwd: string): Generator<string> {
  for (let dir = cwd; ; dir = dirname(dir)) {
    yield dir;
    if (dirname(dir) === dir) return;
  }
}

/**
 * The settings file of a local stack running from this folder or one above it (a command run from
 * a subfolder of the repository finds the stack started at its root), if its pid file names a live process.
 */
export function runningLocalSettings(cwd: string): string | undefined {
  for (const dir of upwards(cwd)) {
    const state = join(dir, STATE_DIR);
    const pidFile = join(state, PID_FILE);
    const settingsFile = join(state, LOCAL_SETTINGS_FILE);
    if (!existsSync(pidFile) || !existsSync(settingsFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return settingsFile;
    } catch {
      // left by a stack that did not stop cleanly: ignored, and replaced by the next start
    }
  }
  return undefined;
}

/** The spark-dispatch checkout this folder is in (the folder of its package.json), if any: where `npm start` runs. */
export function repositoryRoot(cwd: string): string | undefined {
  for (const dir of upwards(cwd)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'spark-dispatch') return dir;
    } catch {
      // no package.json here, or not ours
    }
  }
  return undefined;
}
