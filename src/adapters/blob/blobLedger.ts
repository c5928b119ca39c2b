/**
 * The job ledger in Blob storage: one JSON blob per job key, updated with optimistic concurrency
 * (ETag conditions), so concurrent handlers of the same job never lose each other's steps.
 *
 * Layout in the ledger container:
 *   jobs/<sha256(jobKey), 40 hex>.json   the LedgerRecord; metadata state, jobkey, updated
 *   logs/<same hash>.log                 the driver log tail saved by the sweeper
 * Job keys are free text, hence the hash; the metadata keeps the key readable in the portal and
 * lets `latest()` sort from one listing without downloading every record.
 */
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { OPEN_STATES, type LedgerRecord, type LedgerState } from '../../domain/intake/ledgerRecord.js';
import { DispatchError } from '../../shared/errors.js';
import type { LedgerSettings } from '../../settings/settingsSchema.js';
import type { LedgerPort } from '../../usecases/ledgerPort.js';
import { sleep } from '../../shared/withRetry.js';
import { isStorageNotFound, storageErrorCode, storageStatus, toStorageError } from './storageErrors.js';
import { ledgerKeyHash } from '../../domain/tenant/jobIdentity.js';

export interface BlobLedgerOptions {
  readonly service: (account: string) => Promise<BlobServiceClient>;
  readonly settings: LedgerSettings;
  readonly now?: () => Date;
}

/** Rounds of read–change–conditional-write before giving up on a contended record. */
export const MAX_UPDATE_ROUNDS = 30;
/** Metadata values travel as headers (ASCII); the whole metadata set is limited to 8 KiB. */
const MAX_METADATA_KEY_CHARS = 1024;

export const ledgerBlobName = (jobKey: string): string => `jobs/${ledgerKeyHash(jobKey)}.json`;
export const logBlobName = (jobKey: string): string => `logs/${ledgerKeyHash(jobKey)}.log`;

/** The job key as ASCII for metadata: percent-encoded, cut without splitting an escape. */
export function metadataJobKey(jobKey: string): string {
  const encoded = encodeURIComponent(jobKey);
  if (encoded.length <= MAX_METADATA_KEY_CHARS) return encoded;
  return encoded.slice(0, MAX_METADATA_KEY_CHARS).replace(/%[0-9A-F]?$/, '');
}

/** Someone else wrote between our read and our write: 412 on If-Match, 409 BlobAlreadyExists on If-None-Match: *. */
const isLostRace = (error: unknown) =>
  storageStatus(error) === 412 || (storageStatus(error) === 409 && storageErrorCode(error) === 'BlobAlreadyExists');

async function readBody(blob: BlockBlobClient): Promise<{ readonly body: Buffer; readonly etag: string } | undefined> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return { body: Buffer.concat(chunks), etag: response.etag ?? '' };
  } catch (error) {
    if (isStorageNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Random backoff between rounds (full jitter), its ceiling doubling from 2 ms to 250 ms. Rounds
 * cost little under light contention (two writers: 1–2 ms); under heavy contention the ceiling
 * must grow past the time of one read–write round, or most contenders keep colliding: with a
 * 20 ms ceiling, 50 writers on one record on a loaded 2-core machine needed all 30 rounds, with
 * 250 ms at most 17 (and the same total time, about 20 ms per successful write).
 */
export const MAX_BACKOFF_MS = 250;

/**
 * Records whose last version a ledger keeps. A record with its history and ids is a few KiB, and
 * what the cache saves is the read between a job's steps in one invocation (received, then
 * launched), so it needs to hold the jobs in flight, not every job of the day: at 10,000 a long
 * burst grew the process by about 7 KiB per job until the bound was reached. A miss costs one read.
 */
const LAST_SEEN_MAX = 1_000;

function backoffMs(round: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 2 ** round);
  return 1 + Math.floor(Math.random() * ceiling);
}

export function createBlobLedger(options: BlobLedgerOptions): LedgerPort {
  const { settings } = options;
  const account = settings.account;
  if (account === undefined) {
    throw new DispatchError(
      'configuration',
      'ledger.account is not set: the job ledger needs a storage account (setting ledger.account, app setting SPARK_DISPATCH__ledger__account)',
    );
  }
  const now = options.now ?? (() => new Date());
  const where = `ledger ${account}/${settings.container}`;

  let containerClient: Promise<ContainerClient> | undefined;
  const container = (): Promise<ContainerClient> => {
    containerClient ??= options.service(account).then((service) => service.getContainerClient(settings.container));
    containerClient.catch(() => (containerClient = undefined));
    return containerClient;
  };

  // Created once per ledger (one per process) before the first write; reads of a missing container find nothing.
  let ensured: Promise<void> | undefined;
  const ensureContainer = (): Promise<void> => {
    ensured ??= (async () => {
      const client = await container();
      try {
        await client.createIfNotExists();
      } catch (error) {
        // An identity with data access only may not create containers; one provisioned with the
        // infrastructure is fine, and a missing one shows up as not-found on the write.
        if (storageStatus(error) === 403) return;
        throw error;
      }
    })();
    ensured.catch(() => (ensured = undefined));
    return ensured;
  };

  const blobFor = async (name: string): Promise<BlockBlobClient> => (await container()).getBlockBlobClient(name);

  const read = async (jobKey: string): Promise<{ readonly record: LedgerRecord; readonly etag: string } | undefined> => {
    const name = ledgerBlobName(jobKey);
    const found = await readBody(await blobFor(name));
    if (found === undefined) return undefined;
    return { record: parseRecord(found.body, name), etag: found.etag };
  };

  const parseRecord = (body: Buffer, name: string): LedgerRecord => {
    try {
      return JSON.parse(body.toString('utf8')) as LedgerRecord;
    } catch (error) {
      throw new DispatchError(
        'invalid',
        `${where}: ${name} is not a JSON ledger record (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  };

  const write = async (jobKey: string, record: LedgerRecord, conditions: { ifMatch: string } | { ifNoneMatch: '*' }): Promise<string> => {
    const body = Buffer.from(JSON.stringify(record), 'utf8');
    const response = await (
      await blobFor(ledgerBlobName(jobKey))
    ).upload(body, body.length, {
      conditions,
      blobHTTPHeaders: { blobContentType: 'application/json' },
      metadata: {
        state: record.state,
        jobkey: metadataJobKey(jobKey),
        updated: now().toISOString(),
        ...(record.owed?.length ? { owed: String(record.owed.length) } : {}),
        ...(record.strays?.length ? { strays: String(record.strays.length) } : {}),
      },
    });
    return response.etag ?? '';
  };

  // The last version of each record this process read or wrote. A job's steps follow each other
  // in one process (received, then launched), so an update starts from it with If-Match instead
  // of reading first; if another writer got there in between, the write fails (412) and the next
  // round reads as before. Bounded: the oldest entries go first.
  const lastSeen = new Map<string, { readonly record: LedgerRecord; readonly etag: string }>();
  const remember = (jobKey: string, version: { readonly record: LedgerRecord; readonly etag: string }): void => {
    lastSeen.delete(jobKey);
    lastSeen.set(jobKey, version);
    if (lastSeen.size > LAST_SEEN_MAX) lastSeen.delete(lastSeen.keys().next().value as string);
    absent.delete(jobKey);
  };
  // Keys this process just read and found no record for: a job's first step follows its read, so
  // its update creates the record at once (If-None-Match: *) instead of reading the absence again;
  // a record created in between fails that create (409/412) and the next round reads it.
  const absent = new Set<string>();
  const rememberAbsent = (jobKey: string): void => {
    lastSeen.delete(jobKey);
    absent.delete(jobKey);
    absent.add(jobKey);
    if (absent.size > LAST_SEEN_MAX) absent.delete(absent.values().next().value as string);
  };

  /**
   * Records chosen from one listing of `jobs/` by their metadata (state, owed, strays, updated), sorted by
   * their update time, at most `limit`, then downloaded: a record deleted in between is left out.
   */
  const listRecords = async (
    limit: number,
    order: 'newest' | 'oldest',
    keep: (metadata: Readonly<Record<string, string>>, updated: string) => boolean,
    doing: string,
    prefix = 'jobs/',
  ): Promise<LedgerRecord[]> => {
    if (limit <= 0) return [];
    try {
      const client = await container();
      const listed: { readonly name: string; readonly updated: string }[] = [];
      try {
        for await (const item of client.listBlobsFlat({ prefix, includeMetadata: true })) {
          const metadata = item.metadata ?? {};
          const updated = metadata['updated'] ?? item.properties.lastModified.toISOString();
          if (keep(metadata, updated)) listed.push({ name: item.name, updated });
        }
      } catch (error) {
        if (isStorageNotFound(error)) return [];
        throw error;
      }
      const sign = order === 'newest' ? 1 : -1;
      listed.sort((a, b) => (a.updated === b.updated ? a.name.localeCompare(b.name) : a.updated < b.updated ? sign : -sign));
      const records = await Promise.all(
        listed.slice(0, limit).map(async ({ name }) => {
          const found = await readBody(client.getBlockBlobClient(name));
          return found === undefined ? undefined : parseRecord(found.body, name);
        }),
      );
      return records.filter((r): r is LedgerRecord => r !== undefined);
    } catch (error) {
      throw toStorageError(error, `${where}: ${doing}`);
    }
  };

  return {
    async get(jobKey) {
      try {
        const found = await read(jobKey);
        if (found === undefined) rememberAbsent(jobKey);
        else if (found.etag) remember(jobKey, found);
        else lastSeen.delete(jobKey);
        return found?.record;
      } catch (error) {
        throw toStorageError(error, `${where}: read the record of ${JSON.stringify(jobKey)}`);
      }
    },

    async update(jobKey, change) {
      const doing = `${where}: update the record of ${JSON.stringify(jobKey)}`;
      const storage = async <T>(operation: () => Promise<T>): Promise<T> => {
        try {
          return await operation();
        } catch (error) {
          throw toStorageError(error, doing);
        }
      };
      await storage(ensureContainer);
      for (let round = 1; round <= MAX_UPDATE_ROUNDS; round++) {
        const known = round === 1 ? lastSeen.get(jobKey) : undefined;
        const knownAbsent = round === 1 && known === undefined && absent.has(jobKey);
        const current = known ?? (knownAbsent ? undefined : await storage(() => read(jobKey)));
        // Outside the error mapping: a failing `change` is the caller's error, not a storage one.
        const next = change(current?.record);
        const etag = await storage(async () => {
          try {
            return await write(jobKey, next, current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag });
          } catch (error) {
            if (isLostRace(error)) return undefined;
            throw error;
          }
        });
        if (etag !== undefined) {
          absent.delete(jobKey);
          if (etag) remember(jobKey, { record: next, etag });
          return next;
        }
        lastSeen.delete(jobKey);
        absent.delete(jobKey);
        // A stale version of our own costs no wait: read the current one at once.
        if (known || knownAbsent) continue;
        await sleep(backoffMs(round));
      }
      throw new DispatchError(
        'conflict',
        `${doing}: the record is contended, other writers changed it before each of ${MAX_UPDATE_ROUNDS} attempts`,
      );
    },

    async create(jobKey, first) {
      const doing = `${where}: create the record of ${JSON.stringify(jobKey)}`;
      try {
        await ensureContainer();
        for (let round = 1; round <= MAX_UPDATE_ROUNDS; round++) {
          try {
            const etag = await write(jobKey, first, { ifNoneMatch: '*' });
            if (etag) remember(jobKey, { record: first, etag });
            else absent.delete(jobKey);
            return undefined;
          } catch (error) {
            if (!isLostRace(error)) throw error;
          }
          // The key is taken: what holds it decides. A record deleted in between frees the key again.
          const found = await read(jobKey);
          if (found !== undefined) {
            if (found.etag) remember(jobKey, found);
            return found.record;
          }
        }
      } catch (error) {
        throw toStorageError(error, doing);
      }
      throw new DispatchError(
        'conflict',
        `${doing}: the record was created and deleted again before each of ${MAX_UPDATE_ROUNDS} attempts`,
      );
    },

    async byId(prefix) {
      // The record's blob name starts with the same sha256 as the job id: one listing by prefix.
      if (!/^[0-9a-f]{8,40}$/.test(prefix)) return [];
      return listRecords(100, 'newest', () => true, `find the records of job id ${prefix}`, `jobs/${prefix}`);
    },

    async latest(limit) {
      return listRecords(limit, 'newest', () => true, 'list the latest records');
    },

    async open(before, limit) {
      const cutoff = before.toISOString();
      const open = (metadata: Readonly<Record<string, string>>, updated: string) =>
        updated < cutoff &&
        (Number(metadata['owed'] ?? 0) > 0 || Number(metadata['strays'] ?? 0) > 0 || OPEN_STATES.has(metadata['state'] as LedgerState));
      return listRecords(limit, 'oldest', open, 'list the open records');
    },

    async saveLog(jobKey, text) {
      try {
        await ensureContainer();
        const body = Buffer.from(text, 'utf8');
        await (
          await blobFor(logBlobName(jobKey))
        ).upload(body, body.length, {
          blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
          metadata: { jobkey: metadataJobKey(jobKey), updated: now().toISOString() },
        });
      } catch (error) {
        throw toStorageError(error, `${where}: save the log of ${JSON.stringify(jobKey)}`);
      }
    },

    async readLog(jobKey) {
      try {
        return (await readBody(await blobFor(logBlobName(jobKey))))?.body.toString('utf8');
      } catch (error) {
        throw toStorageError(error, `${where}: read the log of ${JSON.stringify(jobKey)}`);
      }
    },
  };
}
