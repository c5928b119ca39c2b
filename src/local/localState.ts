/** Files a running local stack leaves in `.spark-dispatch/` while it runs (and removes on stop). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_DIR = '.spark-dispatch';
export const LOCAL_SETTINGS_FILE = 'local-settings.json';
export const PID_FILE = 'local.pid';
export const LOG_FILE = 'local.log';
export const STANDIN_KUBECONFIG = 'standin.kubeconfig';

/** The settings file of a local stack running from this folder, if its pid file names a live process. */
export function runningLocalSettings(cwd: string): string | undefined {
  const dir = join(cwd, STATE_DIR);
  const pidFile = join(dir, PID_FILE);
  const settingsFile = join(dir, LOCAL_SETTINGS_FILE);
  if (!existsSync(pidFile) || !existsSync(settingsFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return settingsFile;
  } catch {
    return undefined; // left by a stack that did not stop cleanly: ignored, and replaced by the next start
  }
}
