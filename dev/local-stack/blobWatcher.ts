/**
 * Stands in for Event Grid on one machine: polls the watched filesystems (blob containers) and
 * turns every new or changed blob into the Microsoft.Storage.BlobCreated event Event Grid would
 * deliver (Event Grid schema, blob-host URL, the blob's eTag and length, an increasing sequencer),
 * handed to the same storage-event function. A batch the function fails is delivered again on
 * the next poll, as Event Grid redelivers.
 */
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { BlobServiceFor } from '../../src/adapters/blob/blobServiceFor.js';
import { isStorageNotFound } from '../../src/adapters/blob/storageErrors.js';
import type { Logger } from '../../src/shared/logger.js';

export interface WatchTarget {
  readonly account: string;
  readonly filesystem: string;
}

export interface BlobWatcher {
  stop(): Promise<void>;
  /** Polls once now (tests and the first start). */
  poll(): Promise<void>;
}

export interface BlobWatcherOptions {
  readonly service: BlobServiceFor;
  readonly targets: readonly WatchTarget[];
  readonly intervalMs?: number;
  readonly deliver: (events: readonly unknown[]) => Promise<void>;
  readonly log: Logger;
}

export function startBlobWatcher(options: BlobWatcherOptions): BlobWatcher {
  const seen = new Map<string, string>(); // account/filesystem/name → eTag delivered
  let sequence = 0n;
  let running: Promise<void> | undefined;

  const pollOnce = async (): Promise<void> => {
    const events: unknown[] = [];
    const pending: [string, string][] = [];
    for (const target of options.targets) {
      const container = (await options.service(target.account)).getContainerClient(target.filesystem);
      for await (const blob of listOrNothing(container)) {
        const key = `${target.account}/${target.filesystem}/${blob.name}`;
        const eTag = blob.properties.etag ?? '';
        if (seen.get(key) === eTag) continue;
        pending.push([key, eTag]);
        sequence++;
        const path = blob.name.split('/').map(encodeURIComponent).join('/');
        events.push({
          id: `local-${sequence.toString(16)}`,
          topic: `/subscriptions/local/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${target.account}`,
          subject: `/blobServices/default/containers/${target.filesystem}/blobs/${blob.name}`,
          eventType: 'Microsoft.Storage.BlobCreated',
          eventTime: (blob.properties.lastModified ?? new Date()).toISOString(),
          dataVersion: '',
          metadataVersion: '1',
          data: {
            api: blob.properties.copyId ? 'CopyBlob' : 'PutBlob',
            eTag: eTag.replace(/"/g, ''),
            contentType: blob.properties.contentType ?? 'application/octet-stream',
            contentLength: blob.properties.contentLength ?? 0,
            blobType: 'BlockBlob',
            url: `https://${target.account}.blob.core.windows.net/${target.filesystem}/${path}`,
            sequencer: sequence.toString(16).padStart(48, '0'),
          },
        });
      }
    }
    if (events.length === 0) return;
    try {
      await options.deliver(events);
      for (const [key, eTag] of pending) seen.set(key, eTag);
    } catch (error) {
      // Not marked as seen: the next poll delivers the batch again, as Event Grid would.
      options.log.warn('storage events failed; delivering again on the next poll', { error: String(error) });
    }
  };

  const poll = () => (running ??= pollOnce().finally(() => (running = undefined)));
  const timer = setInterval(
    () => void poll().catch((error: unknown) => options.log.error('blob watch failed', { error: String(error) })),
    options.intervalMs ?? 1_000,
  );
  return {
    poll,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

/** The container's blobs; none while it does not exist yet (one request per poll, not an exists() first). */
async function* listOrNothing(container: ContainerClient): AsyncGenerator<BlobItem> {
  try {
    yield* container.listBlobsFlat({ includeCopy: true });
  } catch (error) {
    if (!isStorageNotFound(error)) throw error;
  }
}
