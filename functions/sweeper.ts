/**
 * Timer trigger: one sweep per tick (default every 5 minutes). A late run (isPastDue) or one that
 * overlaps the previous does no harm: every step tolerates "already done". Errors on single
 * objects are reported and left to the next run; the function fails only if it could not run.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import type { SweepDeps } from '../src/usecases/sweep.js';
import { contextLogger } from './contextLogger.js';

export function makeSweeperHandler(getDeps: () => Promise<SweepDeps>) {
  return async function sweeper(timer: Timer, context: InvocationContext): Promise<void> {
    const log = contextLogger(context);
    if (timer.isPastDue) log.warn('the sweep is running late (isPastDue): it sweeps as usual');
    // Loaded on the first tick, not at indexing (cold start).
    const [{ sweep }, deps] = await Promise.all([import('../src/usecases/sweep.js'), getDeps()]);
    await sweep({ ...deps, log });
  };
}

export const sweeper = makeSweeperHandler(async () => (await import('../src/runtime/functionsRuntime.js')).functionsSweepDeps());

// The schedule is read when the function is registered, before settings are parsed: same variable
// as settings.sweeper.schedule, six-field NCRONTAB.
app.timer('sweeper', {
  schedule: process.env.SPARK_DISPATCH__sweeper__schedule ?? '0 */5 * * * *',
  handler: sweeper,
});
