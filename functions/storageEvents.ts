/**
 * Event Grid trigger for ADLS Gen2 BlobCreated / BlobRenamed events. The handler is in
 * src/triggers/storageEventsHandler.ts; this file only registers it.
 */
import { app } from '@azure/functions';
import { makeStorageEventsHandler } from '../src/triggers/storageEventsHandler.js';

export const storageEvents = makeStorageEventsHandler(async () => (await import('../src/runtime/functionsRuntime.js')).functionsDeps());

app.eventGrid('storageEvents', { handler: storageEvents });
