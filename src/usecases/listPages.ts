/**
 * Reading a whole collection through the API server's pagination (limit + continue), without
 * holding more of it than the caller needs: a namespace can hold tens of thousands of pods.
 */
import { withRetry, type RetryPolicy } from '../shared/withRetry.js';
import type { ClusterPort, ListPage, ListQuery, StoredObject } from './clusterPort.js';

/** client-go's pager default (and kubectl's --chunk-size): few round trips, bounded pages. */
export const PAGE_SIZE = 500;

/**
 * The pages of a list, one at a time. The first request goes out at once, and each next page is
 * asked for as soon as the previous one arrives, so the API server works while the caller judges
 * the current page. Each page is retried on its own (a transient failure on page 20 does not
 * cost the first 19). Iterate once.
 */
export function pagesOf(cluster: ClusterPort, query: ListQuery, retry?: RetryPolicy): AsyncIterable<readonly StoredObject[]> {
  const request = (continueToken?: string): Promise<ListPage> => {
    const page = withRetry(
      () => cluster.list({ ...query, limit: query.limit ?? PAGE_SIZE, ...(continueToken ? { continueToken } : {}) }),
      retry,
    );
    // A prefetched page may fail while nobody awaits it yet (or after the caller gave up):
    // the failure is seen when the page is awaited, not reported as an unhandled rejection.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<ListPage> | undefined = request();
  return {
    async *[Symbol.asyncIterator]() {
      while (next) {
        const page: ListPage = await next;
        next = page.continueToken ? request(page.continueToken) : undefined;
        yield page.items;
      }
    },
  };
}

/** Every item of a list, each turned into what the caller keeps as soon as its page arrives. */
export async function listAll<T>(
  cluster: ClusterPort,
  query: ListQuery,
  keep: (item: StoredObject) => T,
  retry?: RetryPolicy,
): Promise<T[]> {
  const kept: T[] = [];
  for await (const items of pagesOf(cluster, query, retry)) for (const item of items) kept.push(keep(item));
  return kept;
}
