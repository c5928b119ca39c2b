/** Files a running local stack leaves in `.spark-dispatch/` while it runs (and removes on stop). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const STATE_DIR = '.spark-dispatch';
export const LOCAL_SETTINGS_FILE = 'local-settings.json';
export const PID_FILE = 'local.pid';
export const LOG_FILE = 'local.log';
export const STANDIN_KUBECONFIG = 'standin.kubeconfig';
/** Written by `spark-dispatch cluster start` while it serves the stand-in of `STANDIN_KUBECONFIG`. */
export const CLUSTER_PID_FILE = 'cluster.pid';

/** `cwd` and each folder above it, up to the file system's root. */
function* upwards(cwd: string): Generator<string> {
  for (let dir = cwd; ; dir = dirname(dir)) {
    yield dir;
    if (dirname(dir) === dir) return;
  }
}

/** Whether a pid file names a live process (a file left by a process that did not stop cleanly does not). */
function alive(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local stack running from this folder or one above it (a command run from a subfolder of the
 * repository finds the stack started at its root), if its pid file names a live process: the
 * folder it runs from and its settings file.
 */
export function runningLocalStack(cwd: string): { readonly dir: string; readonly settingsFile: string } | undefined {
  for (const dir of upwards(cwd)) {
    const state = join(dir, STATE_DIR);
    const settingsFile = join(state, LOCAL_SETTINGS_FILE);
    // a pid file left by a stack that did not stop cleanly is ignored, and replaced by the next start
    if (existsSync(settingsFile) && alive(join(state, PID_FILE))) return { dir, settingsFile };
  }
  return undefined;
}

/** The settings file of a local stack running from this folder or one above it. */
export function runningLocalSettings(cwd: string): string | undefined {
  return runningLocalStack(cwd)?.settingsFile;
}

/** Whether `spark-dispatch cluster start` runs from this folder, serving the stand-in of its `.spark-dispatch/standin.kubeconfig`. */
export function runningClusterStandIn(cwd: string): boolean {
  return alive(join(cwd, STATE_DIR, CLUSTER_PID_FILE));
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
