/**
 * `?watch=true` on a collection: a chunked stream of {"type": ADDED|MODIFIED|DELETED|ERROR, "object": ...}
 * lines, as the watch cache serves it (apiserver/pkg/storage/cacher): without resourceVersion (or
 * with "0") the current objects come first as ADDED; with one, the changes after it; a compacted
 * resourceVersion gets an ERROR event with a 410 Expired Status. Selector transitions are reported
 * as ADDED/DELETED, as the cacher's filtering does.
 */
import type { ServerResponse } from 'node:http';
import { selects, parseSelection, type Selection } from './listing.js';
import { CompactedError, type ObjectStore, type StoreChange } from './objectStore.js';
import { queryInteger } from './queryParams.js';
import type { ResourceType } from './resourceTypes.js';
import { badRequest } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';

export interface WatchHandle {
  stop(): void;
}

/** Starts the stream (throws an ApiError before any byte is written when the request is invalid). */
export function serveWatch(
  store: ObjectStore,
  type: ResourceType,
  namespace: string | undefined,
  query: URLSearchParams,
  res: ServerResponse,
  onEnd: () => void,
): WatchHandle {
  const selection: Selection = parseSelection(type, query);
  const rvText = query.get('resourceVersion') ?? '';
  if (rvText !== '' && !/^\d+$/.test(rvText)) throw badRequest(`invalid resource version "${rvText}"`);
  const timeoutSeconds = queryInteger(query, 'timeoutSeconds', { min: 0 }) ?? 0;

  const inScope = (obj: KubeStoredObject | undefined): obj is KubeStoredObject =>
    obj !== undefined && (namespace === undefined || obj.metadata.namespace === namespace) && selects(type, selection, obj);

  let ended = false;
  let unsubscribe: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
    onEnd();
  };
  const send = (eventType: EventType, object: unknown) => {
    if (!ended) res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  };
  const onChange = (change: StoreChange) => {
    if (change.resource !== type.plural) return;
    const oldMatch = inScope(change.before);
    const newMatch = inScope(change.after);
    if (newMatch && change.after) send(oldMatch ? 'MODIFIED' : 'ADDED', change.after);
    else if (oldMatch && change.before) {
      const gone = structuredClone(change.after ?? change.before);
      gone.metadata.resourceVersion = String(change.revision);
      send('DELETED', gone);
    }
  };

  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  res.on('close', end);

  if (rvText === '' || rvText === '0') {
    for (const obj of store.peekAll(type.plural)) if (inScope(obj)) send('ADDED', obj);
  } else {
    let backlog: StoreChange[];
    try {
      backlog = store.changesSince(Number(rvText));
    } catch (error) {
      if (!(error instanceof CompactedError)) throw error;
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${rvText} (${store.compactedRevision})`,
        reason: 'Expired',
        code: 410,
      });
      end();
      return { stop: end };
    }
    for (const change of backlog) onChange(change);
  }
  unsubscribe = store.subscribe(onChange);
  if (timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
  return { stop: end };
}
