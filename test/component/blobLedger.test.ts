import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobServiceFor, type BlobServiceFor } from '../../src/adapters/blob/blobServiceFor.js';
import { createBlobLedger, ledgerBlobName } from '../../src/adapters/blob/blobLedger.js';
import { recordStep, type LedgerEvent } from '../../src/domain/intake/ledgerRecord.js';
import { DispatchError } from '../../src/shared/errors.js';
import { LedgerSettingsSchema } from '../../src/settings/settingsSchema.js';
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { NO_CREDENTIAL } from '../support/credentials.js';

// A logical account name, mapped onto Azurite's devstoreaccount1 by the connection string.
const ACCOUNT = 'sparkdispatchdemo';

let azurite: Azurite;
let service: BlobServiceFor;
let containers = 0;

/** A ledger in a container of its own, so tests do not see each other's records. */
function ledger(now?: () => Date): LedgerPort {
  const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
  return createBlobLedger({ service, settings, ...(now ? { now } : {}) });
}

const step = (jobKey: string, event: LedgerEvent, maxPayloadBytes?: number) => (current: Parameters<typeof recordStep>[0]) =>
  recordStep(current, jobKey, event, new Date(), maxPayloadBytes);

/** The real clients against Azurite, with each blob download counted on its way. */
function countingReads(reads: { count: number }): BlobServiceFor {
  return async (account) => {
    const real = await service(account);
    return new Proxy(real, {
      get: (target, prop, receiver) =>
        prop === 'getContainerClient'
          ? (name: string) => {
              const container = target.getContainerClient(name);
              return new Proxy(container, {
                get: (c, p, r) =>
                  p === 'getBlockBlobClient'
                    ? (blobName: string) => {
                        const blob = c.getBlockBlobClient(blobName);
                        return new Proxy(blob, {
                          get: (b, q, rb) =>
                            q === 'download'
                              ? (...args: Parameters<typeof blob.download>) => (reads.count++, b.download(...args))
                              : Reflect.get(b, q, rb),
                        });
                      }
                    : Reflect.get(c, p, r),
              });
            }
          : Reflect.get(target, prop, receiver),
    });
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
  service = blobServiceFor({ accounts: { [ACCOUNT]: { connectionString: azurite.connectionString } } }, NO_CREDENTIAL);
});
afterAll(async () => {
  await azurite?.close();
});

describe('blob ledger', () => {
  it('stores a record and reads it back; an unknown key has none', async () => {
    const l = ledger();
    expect(await l.get('nope')).toBeUndefined();
    const stored = await l.update('orders/2026-01-01', step('orders/2026-01-01', { state: 'received', ids: { messageId: 'm-1' } }));
    expect(stored).toMatchObject({
      jobKey: 'orders/2026-01-01',
      state: 'received',
      history: [{ state: 'received', ids: { messageId: 'm-1' } }],
    });
    expect(await l.get('orders/2026-01-01')).toEqual(stored);
  });

  it('stores JSON with content type and metadata under a hashed name', async () => {
    const l = ledger();
    await l.update('a b/c', step('a b/c', { state: 'launched', driverPod: 'job-driver' }));
    const container = (await service(ACCOUNT)).getContainerClient(`ledger-${containers}`);
    const name = ledgerBlobName('a b/c');
    expect(name).toMatch(/^jobs\/[0-9a-f]{40}\.json$/);
    const props = await container.getBlockBlobClient(name).getProperties();
    expect(props.contentType).toBe('application/json');
    expect(props.metadata).toMatchObject({ state: 'launched', jobkey: 'a%20b%2Fc' });
    expect(Date.parse(props.metadata?.['updated'] ?? '')).not.toBeNaN();
  });

  it('appends history through recordStep', async () => {
    const l = ledger();
    const key = 'job-history';
    await l.update(key, step(key, { state: 'received' }));
    await l.update(key, step(key, { state: 'deferred', deferredUntil: '2026-01-01T00:05:00.000Z' }));
    const launched = await l.update(key, step(key, { state: 'launched', driverPod: 'p-driver' }));
    expect(launched.state).toBe('launched');
    expect(launched.deferrals).toBe(1);
    expect(launched.history.map((h) => h.state)).toEqual(['received', 'deferred', 'launched']);
    expect(await l.get(key)).toEqual(launched);
  });

  it('loses no update when 50 handlers change one record at once, each appending its own step', async () => {
    const l = ledger();
    const key = 'contended-50';
    // Each of the 50 concurrent calls appends a distinct step (the first creates the record).
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => l.update(key, step(key, { state: 'retrying', detail: `step-${i}` }))),
    );
    expect(results).toHaveLength(50);
    const final = await l.get(key);
    expect(final?.history).toHaveLength(50);
    expect(new Set(final?.history.map((h) => h.detail))).toEqual(new Set(Array.from({ length: 50 }, (_, i) => `step-${i}`)));
    // Each caller got back the record it stored: its own step is the last one.
    results.forEach((r, i) => expect(r.history.at(-1)?.detail).toBe(`step-${i}`));
  });

  it("a job's next step starts from the version this process wrote: one read for received → launched → finished, not one per step", async () => {
    const reads = { count: 0 };
    const counted = countingReads(reads);
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const l = createBlobLedger({ service: counted, settings });
    const key = 'steps-in-one-process';
    await l.update(key, step(key, { state: 'received' }));
    await l.update(key, step(key, { state: 'launched', driverPod: 'p-driver' }));
    const finished = await l.update(key, step(key, { state: 'finished' }));
    expect(reads.count).toBe(1);
    expect(finished.history.map((h) => h.state)).toEqual(['received', 'launched', 'finished']);
  });

  it('a job read and found absent is created without reading again: one read for get → received → launched', async () => {
    const reads = { count: 0 };
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const l = createBlobLedger({ service: countingReads(reads), settings });
    const key = 'absent-then-created';
    expect(await l.get(key)).toBeUndefined();
    await l.update(key, step(key, { state: 'received' }));
    const launched = await l.update(key, step(key, { state: 'launched', driverPod: 'p-driver' }));
    expect(reads.count).toBe(1);
    expect(launched.history.map((h) => h.state)).toEqual(['received', 'launched']);
  });

  it('a record created elsewhere after this process found it absent is not overwritten: the create fails its condition and the record is read', async () => {
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const here = createBlobLedger({ service, settings });
    const elsewhere = createBlobLedger({ service, settings });
    const key = 'absent-here-created-elsewhere';
    expect(await here.get(key)).toBeUndefined();
    await elsewhere.update(key, step(key, { state: 'received', detail: 'from elsewhere' }));
    const seen: (string | undefined)[] = [];
    const stored = await here.update(key, (current) => {
      seen.push(current?.state);
      return step(key, { state: 'launched', driverPod: 'p-driver' })(current);
    });
    expect(seen).toEqual([undefined, 'received']);
    expect(stored.history.map((h) => h.detail ?? h.state)).toEqual(['from elsewhere', 'launched']);
    expect(await elsewhere.get(key)).toEqual(stored);
  });

  it('a step written by another process in between is not lost: the stale version fails its condition and is read again', async () => {
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const here = createBlobLedger({ service, settings });
    const elsewhere = createBlobLedger({ service, settings });
    const key = 'two-processes';
    await here.update(key, step(key, { state: 'received' }));
    await elsewhere.update(key, step(key, { state: 'retrying', detail: 'from elsewhere' }));
    const stored = await here.update(key, step(key, { state: 'launched', driverPod: 'p-driver' }));
    expect(stored.history.map((h) => h.detail ?? h.state)).toEqual(['received', 'from elsewhere', 'launched']);
    expect(await elsewhere.get(key)).toEqual(stored);
  });

  it("create: a key's first record with no read, and its next step with none either (one conditional create, one conditional update)", async () => {
    const reads = { count: 0 };
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const l = createBlobLedger({ service: countingReads(reads), settings });
    const key = 'created-first';
    const first = step(key, { state: 'launching', fingerprint: 'f1' })(undefined);
    expect(await l.create(key, first)).toBeUndefined();
    const launched = await l.update(key, step(key, { state: 'launched', driverPod: 'p-driver' }));
    expect(reads.count).toBe(0);
    expect(launched.history.map((h) => h.state)).toEqual(['launching', 'launched']);
  });

  it('create on a taken key writes nothing and returns what holds it, also when another process created it', async () => {
    const settings = LedgerSettingsSchema.parse({ account: ACCOUNT, container: `ledger-${++containers}` });
    const here = createBlobLedger({ service, settings });
    const elsewhere = createBlobLedger({ service, settings });
    const key = 'taken-key';
    await elsewhere.update(key, step(key, { state: 'launched', fingerprint: 'theirs', driverPod: 'theirs-driver' }));
    const holder = await here.create(key, step(key, { state: 'launching', fingerprint: 'mine' })(undefined));
    expect(holder).toMatchObject({ state: 'launched', fingerprint: 'theirs' });
    expect(await elsewhere.get(key)).toEqual(holder);
    // The holder's version is remembered: the next step here is a conditional update, not lost.
    const next = await here.update(key, step(key, { state: 'already-launched' }));
    expect(next.history.map((h) => h.state)).toEqual(['launched', 'already-launched']);
  });

  it('makes one record when 10 callers create it at once: one is created, nine are told who holds it', async () => {
    const l = ledger();
    const key = 'created-at-once';
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => l.create(key, step(key, { state: 'launching', detail: `caller-${i}` })(undefined))),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    const stored = await l.get(key);
    for (const holder of results.filter((r) => r !== undefined)) expect(holder).toEqual(stored);
  });

  it('makes one record when 10 callers create it at once', async () => {
    const l = ledger();
    const key = 'created-by-many';
    await Promise.all(Array.from({ length: 10 }, (_, i) => l.update(key, step(key, { state: 'received', detail: `caller-${i}` }))));
    const final = await l.get(key);
    expect(final?.history).toHaveLength(10);
    expect(new Set(final?.history.map((h) => h.detail)).size).toBe(10);
    expect(final?.createdAt).toBe(final?.history[0]?.at);
    const container = (await service(ACCOUNT)).getContainerClient(`ledger-${containers}`);
    const names: string[] = [];
    for await (const item of container.listBlobsFlat({ prefix: 'jobs/' })) names.push(item.name);
    expect(names).toEqual([ledgerBlobName(key)]);
  });

  it('lists the most recently updated records, newest first', async () => {
    let tick = Date.parse('2026-03-01T00:00:00.000Z');
    const l = ledger(() => new Date((tick += 1000)));
    expect(await l.latest(3)).toEqual([]);
    for (const key of ['one', 'two', 'three', 'four', 'five']) await l.update(key, step(key, { state: 'received' }));
    await l.update('two', step('two', { state: 'launched' }));
    const latest = await l.latest(3);
    expect(latest.map((r) => r.jobKey)).toEqual(['two', 'five', 'four']);
    expect(latest[0]?.state).toBe('launched');
    expect((await l.latest(10)).map((r) => r.jobKey)).toEqual(['two', 'five', 'four', 'three', 'one']);
    expect(await l.latest(0)).toEqual([]);
  });

  it("lists the open records for the reconciler: still moving, owing events or a second driver's removal, updated before the cutoff, oldest first", async () => {
    let t = Date.parse('2026-11-23T10:00:00Z');
    const l = ledger(() => new Date(t));
    const at = (s: number) => new Date(Date.parse('2026-11-23T10:00:00Z') + s * 1000);
    const write = async (key: string, s: number, event: LedgerEvent) => {
      t = at(s).getTime();
      await l.update(key, (c) => recordStep(c, key, event, at(s)));
    };
    await write('launched-old', 1, { state: 'launched' });
    await write('finished', 2, { state: 'finished' });
    await write('finished-owing', 3, { state: 'finished', owe: { type: 'finished', at: at(3).toISOString() } });
    await write('retrying', 4, { state: 'retrying' });
    const stray = { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'drv', uid: 'uid-b', at: at(5).toISOString() };
    await write('finished-stray', 5, { state: 'finished', stray });
    await write('finished-stray-gone', 6, { state: 'finished', stray });
    await write('finished-stray-gone', 7, { state: 'finished', straysGone: ['uid-b'] });
    await write('launched-new', 100, { state: 'launched' });
    expect((await l.open(at(50), 10)).map((r) => r.jobKey)).toEqual(['launched-old', 'finished-owing', 'retrying', 'finished-stray']);
    expect((await l.open(at(50), 2)).map((r) => r.jobKey)).toEqual(['launched-old', 'finished-owing']);
    expect((await l.open(at(500), 10)).map((r) => r.jobKey)).toContain('launched-new');
  });

  it('takes any job key: unicode, 600 characters', async () => {
    const l = ledger();
    const key = `ジョブ/données été 🚀 ${'ü'.repeat(600)}`.slice(0, 600);
    expect(key.length).toBe(600);
    const stored = await l.update(key, step(key, { state: 'received' }));
    expect((await l.get(key))?.jobKey).toBe(key);
    expect(stored.jobKey).toBe(key);
    const container = (await service(ACCOUNT)).getContainerClient(`ledger-${containers}`);
    const props = await container.getBlockBlobClient(ledgerBlobName(key)).getProperties();
    const jobkey = props.metadata?.['jobkey'] ?? '';
    expect(jobkey.length).toBeLessThanOrEqual(1024);
    expect(key.startsWith(decodeURIComponent(jobkey))).toBe(true);
    expect(await l.get(key.slice(0, 599))).toBeUndefined();
  });

  it('keeps a rejected payload cut to maxPayloadBytes', async () => {
    const l = ledger();
    const key = 'too-big';
    const stored = await l.update(
      key,
      step(key, { state: 'rejected', reasons: ['bad spec'], payload: `{"x":"${'é'.repeat(3000)}"}` }, 1024),
    );
    expect(stored.payloadTruncated).toBe(true);
    expect(Buffer.byteLength(stored.payload ?? '')).toBeLessThanOrEqual(1024);
    expect(await l.get(key)).toMatchObject({ state: 'rejected', payloadTruncated: true, payload: stored.payload });
  });

  it('saves and reads a driver log, overwriting', async () => {
    const l = ledger();
    expect(await l.readLog('job-x')).toBeUndefined();
    await l.saveLog('job-x', 'line 1\nline 2 ✓\n');
    expect(await l.readLog('job-x')).toBe('line 1\nline 2 ✓\n');
    await l.saveLog('job-x', 'tail only\n');
    expect(await l.readLog('job-x')).toBe('tail only\n');
    expect(await l.get('job-x')).toBeUndefined();
  });

  it('refuses settings without a ledger account', () => {
    const settings = LedgerSettingsSchema.parse({});
    let caught: unknown;
    try {
      createBlobLedger({ service, settings });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DispatchError);
    expect(caught).toMatchObject({ kind: 'configuration', retryable: false, message: expect.stringContaining('ledger.account') });
  });

  it('reports an unreachable storage endpoint as a retryable error', async () => {
    const port = await closedPort();
    const unreachable = blobServiceFor(
      { accounts: { [ACCOUNT]: { connectionString: azurite.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`) } } },
      NO_CREDENTIAL,
      { retryOptions: { maxTries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 5 } },
    );
    const l = createBlobLedger({ service: unreachable, settings: LedgerSettingsSchema.parse({ account: ACCOUNT }) });
    await expect(l.get('k')).rejects.toMatchObject({ name: 'DispatchError', kind: 'network', retryable: true });
    await expect(l.update('k', step('k', { state: 'received' }))).rejects.toMatchObject({ kind: 'network', retryable: true });
    await expect(l.latest(5)).rejects.toMatchObject({ retryable: true });
  });
});

/** A port nothing listens on: bound once to learn a free one, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
