/**
 * The Event Grid trigger's handler for ADLS Gen2 BlobCreated / BlobRenamed events (Event Grid or
 * CloudEvents schema). Resolving acknowledges the delivery; throwing makes Event Grid deliver it
 * again. functions/storageEvents.ts registers it.
 */
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import type { IntakeDeps } from '../usecases/intakeDeps.js';
import { onceAsync } from '../shared/onceAsync.js';
import { contextLogger } from './contextLogger.js';

// Loaded on the first delivery, not at indexing (cold start); held after that (see jobMessagesHandler).
const loadUseCase = onceAsync(() => import('../usecases/handleStorageEvents.js'));

export function makeStorageEventsHandler(getDeps: () => Promise<IntakeDeps>) {
  return async function storageEvents(event: EventGridEvent | readonly EventGridEvent[], context: InvocationContext): Promise<void> {
    const [{ handleStorageEvents }, deps] = await Promise.all([loadUseCase(), getDeps()]);
    const events = Array.isArray(event) ? event : [event];
    const results = await handleStorageEvents(events, { ...deps, log: contextLogger(context) }, context.invocationId);
    context.info(
      JSON.stringify({ message: 'storage events handled', outcomes: results.map((r) => r.outcome), invocationId: context.invocationId }),
    );
  };
}
