/**
 * The timer trigger's handler: one sweep per tick. A late run (isPastDue) or one that overlaps the
 * previous does no harm: every step tolerates "already done". Errors on single objects are
 * reported and left to the next run; the function fails only if it could not run.
 * functions/sweeper.ts registers it.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import type { SweepDeps } from '../usecases/sweep.js';
import { contextLogger } from './contextLogger.js';

export function makeSweeperHandler(getDeps: () => Promise<SweepDeps>) {
  return async function sweeper(timer: Timer, context: InvocationContext): Promise<void> {
    const log = contextLogger(context);
    if (timer.isPastDue) log.warn('the sweep is running late (isPastDue): it sweeps as usual');
    // Loaded on the first tick, not at indexing (cold start).
    const [{ sweep }, deps] = await Promise.all([import('../usecases/sweep.js'), getDeps()]);
    await sweep({ ...deps, log });
  };
}
