/**
 * Where the real control plane for the real-server tier is (../shared/realkube beside the
 * repository, or SPARK_DISPATCH_REALKUBE), or why the tier does not run. Read by vitest.config.ts
 * (which test files to register) and by realkubeSetup.ts (which starts it once per run).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REALKUBE_ENV = 'SPARK_DISPATCH_REALKUBE';
export const REQUIRE_REALKUBE_ENV = 'SPARK_DISPATCH_REQUIRE_REALKUBE';
/** The files of the tier that only make sense on a real server (RBAC): registered only when it runs. */
export const REALKUBE_ONLY = 'test/realkube/**/*.realkube.test.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type RealkubeLocation = { readonly script: string } | { readonly absent: string };

/** `SPARK_DISPATCH_REALKUBE=off` turns the tier off on purpose; a folder or realkube.mjs path points at it. */
export function locateRealkube(env: NodeJS.ProcessEnv = process.env): RealkubeLocation {
  const configured = env[REALKUBE_ENV];
  if (configured === 'off') return { absent: `${REALKUBE_ENV}=off` };
  const place = configured !== undefined && configured !== '' ? resolve(configured) : join(REPO_ROOT, '..', 'shared', 'realkube');
  const script = existsSync(place) && statSync(place).isDirectory() ? join(place, 'realkube.mjs') : place;
  if (existsSync(script)) return { script };
  return {
    absent: configured
      ? `${REALKUBE_ENV} points at ${script}, which does not exist`
      : `no real control plane at ${script} (set ${REALKUBE_ENV} to its folder)`,
  };
}

export const realkubeRequired = (env: NodeJS.ProcessEnv = process.env): boolean => env[REQUIRE_REALKUBE_ENV] === '1';
