/**
 * Timer trigger: one sweep per tick (default every 5 minutes). The handler is in
 * src/triggers/sweeperHandler.ts; this file only registers it.
 */
import { app } from '@azure/functions';
import { makeSweeperHandler } from '../src/triggers/sweeperHandler.js';

export const sweeper = makeSweeperHandler(async () => (await import('../src/runtime/functionsRuntime.js')).functionsSweepDeps());

// The schedule is read when the function is registered, before settings are parsed: same variable
// as settings.sweeper.schedule, six-field NCRONTAB.
app.timer('sweeper', {
  schedule: process.env.SPARK_DISPATCH__sweeper__schedule ?? '0 */5 * * * *',
  handler: sweeper,
});
