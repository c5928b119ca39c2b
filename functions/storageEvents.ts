/**
 * Event Grid trigger for ADLS Gen2 BlobCreated / BlobRenamed events (Event Grid or CloudEvents
 * schema). Resolving acknowledges the delivery; throwing makes Event Grid deliver it again.
 */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { functionsDeps } from '../src/runtime/functionsRuntime.js';
import { handleStorageEvents } from '../src/usecases/handleStorageEvents.js';
import type { IntakeDeps } from '../src/usecases/intakeDeps.js';
import { contextLogger } from './contextLogger.js';

export function makeStorageEventsHandler(getDeps: () => Promise<IntakeDeps>) {
  return async function storageEvents(event: EventGridEvent | readonly EventGridEvent[], context: InvocationContext): Promise<void> {
    const deps = await getDeps();
    const events = Array.isArray(event) ? event : [event];
    const results = await handleStorageEvents(events, { ...deps, log: contextLogger(context) }, context.invocationId);
    context.info(JSON.stringify({ message: 'storage events handled', outcomes: results.map((r) => r.outcome), invocationId: context.invocationId }));
  };
}

export const storageEvents = makeStorageEventsHandler(functionsDeps);

app.eventGrid('storageEvents', { handler: storageEvents });
