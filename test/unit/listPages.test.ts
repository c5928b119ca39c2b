/**
 * Paging through a list: pages in order, the next one already asked for while the caller works on
 * the current one, each page retried on its own, and a failed prefetch reported where the page is
 * read (never as an unhandled rejection). The cluster here is a scripted ClusterPort: what is
 * tested is the order of calls, which a real server cannot be made to show deterministically.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DispatchError } from '../../src/shared/errors.js';
import type { ClusterPort, ListPage, ListQuery, StoredObject } from '../../src/usecases/clusterPort.js';
import { listAll, pagesOf, PAGE_SIZE } from '../../src/usecases/listPages.js';

const QUERY: ListQuery = { apiVersion: 'v1', kind: 'Pod', namespace: 'spark-jobs', labelSelector: 'spark-role=driver' };
const item = (name: string): StoredObject => ({ metadata: { name } }) as StoredObject;
const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 };

/** Pages "p0", "p1", … of two items each; `fail(page, attempt)` may throw instead of answering. */
function scripted(pages: number, fail: (page: number, attempt: number) => DispatchError | undefined = () => undefined) {
  const events: string[] = [];
  const queries: ListQuery[] = [];
  const attempts = new Map<number, number>();
  const list = async (query: ListQuery): Promise<ListPage> => {
    queries.push(query);
    const page = query.continueToken ? Number(query.continueToken.slice(1)) : 0;
    const attempt = (attempts.get(page) ?? 0) + 1;
    attempts.set(page, attempt);
    events.push(`request p${page}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const error = fail(page, attempt);
    if (error) throw error;
    return { items: [item(`p${page}-a`), item(`p${page}-b`)], ...(page + 1 < pages ? { continueToken: `p${page + 1}` } : {}) };
  };
  const unused = () => Promise.reject(new Error('not used by paging'));
  const cluster: ClusterPort = { list, create: unused, read: unused, remove: unused, readLog: unused };
  return { cluster, events, queries };
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('pagesOf', () => {
  it('yields every page in order, with the query, the page size and each continue token', async () => {
    const { cluster, queries } = scripted(3);
    const names: string[] = [];
    for await (const page of pagesOf(cluster, QUERY)) names.push(...page.map((o) => o.metadata.name));
    expect(names).toEqual(['p0-a', 'p0-b', 'p1-a', 'p1-b', 'p2-a', 'p2-b']);
    expect(queries).toEqual([
      { ...QUERY, limit: PAGE_SIZE },
      { ...QUERY, limit: PAGE_SIZE, continueToken: 'p1' },
      { ...QUERY, limit: PAGE_SIZE, continueToken: 'p2' },
    ]);
  });

  it('asks for the first page at once, and for the next page before the caller is done with the current one', async () => {
    const { cluster, events } = scripted(3);
    const pages = pagesOf(cluster, QUERY);
    expect(events).toEqual(['request p0']);
    for await (const page of pages) {
      events.push(`judge ${page[0]!.metadata.name.slice(0, 2)}`);
      await settle();
    }
    expect(events).toEqual(['request p0', 'request p1', 'judge p0', 'request p2', 'judge p1', 'judge p2']);
  });

  it('retries a page that fails transiently, and only that page', async () => {
    const { cluster, events } = scripted(3, (page, attempt) =>
      page === 1 && attempt === 1 ? new DispatchError('unavailable', 'list pods: HTTP 503') : undefined,
    );
    const names: string[] = [];
    for await (const page of pagesOf(cluster, QUERY, FAST)) names.push(...page.map((o) => o.metadata.name));
    expect(names).toHaveLength(6);
    expect(events).toEqual(['request p0', 'request p1', 'request p1', 'request p2']);
  });

  it('a page that keeps failing is reported where it is read, after the pages before it', async () => {
    const { cluster } = scripted(3, (page) => (page === 1 ? new DispatchError('forbidden', 'list pods: forbidden') : undefined));
    const seen: string[] = [];
    const read = async () => {
      for await (const page of pagesOf(cluster, QUERY, FAST)) seen.push(...page.map((o) => o.metadata.name));
    };
    await expect(read()).rejects.toMatchObject({ kind: 'forbidden', message: 'list pods: forbidden' });
    expect(seen).toEqual(['p0-a', 'p0-b']);
  });

  it('a prefetched page that fails after the caller stopped reading is not an unhandled rejection', async () => {
    const { cluster, events } = scripted(3, (page) => (page === 1 ? new DispatchError('unavailable', 'list pods: HTTP 500') : undefined));
    for await (const page of pagesOf(cluster, QUERY, { ...FAST, maxAttempts: 1 })) {
      expect(page).toHaveLength(2);
      break;
    }
    await settle();
    expect(events).toEqual(['request p0', 'request p1']);
    expect(unhandled).toEqual([]);
  });

  it('a first page that fails while the caller is busy elsewhere is not an unhandled rejection either', async () => {
    const { cluster } = scripted(1, () => new DispatchError('unavailable', 'list pods: HTTP 500'));
    const pages = pagesOf(cluster, { ...QUERY }, { ...FAST, maxAttempts: 1 });
    await settle();
    expect(unhandled).toEqual([]);
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toMatchObject({ kind: 'unavailable' });
  });
});

describe('listAll', () => {
  it('keeps what the caller asks for of every item of every page', async () => {
    const { cluster } = scripted(2);
    expect(await listAll(cluster, QUERY, (o) => o.metadata.name.toUpperCase())).toEqual(['P0-A', 'P0-B', 'P1-A', 'P1-B']);
  });

  it('honours a page size given in the query', async () => {
    const { cluster, queries } = scripted(1);
    await listAll(cluster, { ...QUERY, limit: 7 }, (o) => o);
    expect(queries[0]?.limit).toBe(7);
  });
});
