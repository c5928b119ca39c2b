/**
 * Reads the evidence a suspect needs, and nothing for anyone else: the driver's log tail (one
 * pods/log request, with the kubelet's timestamps) or the Events of one pod (one list request with
 * a field selector). Each read is retried as every API call is; a read that still fails is handed
 * to the verdict as unreadable, which decides what that means for its reason.
 */
import type { Gathered, Suspect } from '../domain/sweep/classifyDriver.js';
import { eventView, parseTimestampedLog } from '../domain/sweep/evidence.js';
import { withRetry, type RetryPolicy } from '../shared/withRetry.js';
import type { ClusterPort, ObjectRef } from './clusterPort.js';

/** Evidence reads in flight at once: a page's suspects are independent, and each read waits on the API server. */
export const EVIDENCE_CONCURRENCY = 8;

/** `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => R | Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Lines of the log tail read for a verdict: enough to find the newest line, Spark's stop and a quota refusal. */
export const EVIDENCE_LOG_LINES = 200;
const EVIDENCE_LOG_BYTES = 256 * 1024;
/** Events of one pod, newest kept: the reporters aggregate repeats into one event with a count. */
const EVIDENCE_EVENTS = 200;

export async function gatherEvidence(cluster: ClusterPort, pod: ObjectRef, suspect: Suspect, retry: RetryPolicy): Promise<Gathered> {
  if ('log' in suspect.needs) return { log: await readLogTail(cluster, pod, retry) };
  const name = suspect.needs.eventsOf;
  try {
    const page = await withRetry(
      () =>
        cluster.list({
          apiVersion: 'v1',
          kind: 'Event',
          namespace: pod.namespace,
          fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}`,
          limit: EVIDENCE_EVENTS,
        }),
      retry,
    );
    return { events: { ok: true, events: page.items.map((e) => eventView(e as Readonly<Record<string, unknown>>)) } };
  } catch (error) {
    // An installation whose Role predates the events rule answers 403: the verdict falls back on the pod's status.
    return { events: { ok: false, error: error instanceof Error ? error.message : String(error) } };
  }
}

async function readLogTail(cluster: ClusterPort, pod: ObjectRef, retry: RetryPolicy): Promise<NonNullable<Gathered['log']>> {
  try {
    const text = await withRetry(
      () => cluster.readLog(pod, { tailLines: EVIDENCE_LOG_LINES, limitBytes: EVIDENCE_LOG_BYTES, timestamps: true }),
      retry,
    );
    if (text === undefined) return { ok: false, error: 'the pod is gone', gone: true };
    const lines = parseTimestampedLog(text);
    // limitBytes cuts the end of the tail: when it did, the newest line is read on its own.
    if (Buffer.byteLength(text, 'utf8') >= EVIDENCE_LOG_BYTES) {
      const last = await withRetry(() => cluster.readLog(pod, { tailLines: 1, limitBytes: EVIDENCE_LOG_BYTES, timestamps: true }), retry);
      if (last) lines.push(...parseTimestampedLog(last));
    }
    return { ok: true, lines };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
