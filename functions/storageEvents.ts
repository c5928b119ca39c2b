/**
 * Event Grid trigger for ADLS Gen2 BlobCreated / BlobRenamed events. The handler is in
 * src/triggers/storageEventsHandler.ts; this file only registers it.
 */
import { app } from '@azure/functions';
import { makeStorageEventsHandler } from '../src/triggers/storageEventsHandler.js';
import { onceAsync } from '../src/shared/onceAsync.js';

// The runtime loads on the first delivery (cold start) and is held: no import() per invocation.
export const storageEvents = makeStorageEventsHandler(
  onceAsync(async () => (await import('../src/runtime/functionsRuntime.js')).functionsDeps()),
);

app.eventGrid('storageEvents', { handler: storageEvents });
