/**
 * The evidence the sweeper reads only for drivers a cheap rule already suspects, and what it shows:
 *  - the driver's log tail, read with `timestamps=true` (k8s.io/api core/v1 PodLogOptions: "add an
 *    RFC3339 or RFC3339Nano timestamp at the beginning of every line"): the kubelet stamps each line
 *    when the runtime received it, whatever the program printed, so the newest line is the driver's
 *    last sign of life, Spark's log4j lines and bare Python prints alike;
 *  - the Events of one pod (the scheduler, the kubelet and the cluster autoscaler report there).
 * Pure: the use case reads, these functions judge.
 */
import { CLOCK_SKEW_MS, rfc3339Ms } from './podView.js';

/** One line of the log tail: when the kubelet received it (if the prefix was readable) and its text. */
export interface LogLine {
  readonly at?: string;
  readonly text: string;
}

/** Splits `timestamps=true` output into lines; a line without a readable time keeps its text only. */
export function parseTimestampedLog(text: string): LogLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => {
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : line;
    return rfc3339Ms(stamp) === undefined ? { text: line } : { at: stamp, text: space > 0 ? line.slice(space + 1) : '' };
  });
}

/** The newest line with a time no later than now (plus clock skew): the driver's last sign of life in its log. */
export function newestLine(lines: readonly LogLine[], now: Date): (LogLine & { readonly at: string }) | undefined {
  let best: (LogLine & { readonly at: string }) | undefined;
  let bestMs = -Infinity;
  for (const line of lines) {
    const ms = rfc3339Ms(line.at);
    if (ms === undefined || ms > now.getTime() + CLOCK_SKEW_MS || ms < bestMs) continue;
    best = { ...line, at: line.at! };
    bestMs = ms;
  }
  return best;
}

/**
 * SparkContext.stop logs "SparkContext is stopping with exitCode …" (3.5+) and, once done,
 * "Successfully stopped SparkContext" (core/src/main/scala/org/apache/spark/SparkContext.scala), and
 * KubernetesClusterSchedulerBackend.stop deletes the executor pods (ExecutorPodsAllocator.stop). A
 * driver past these lines has no executors by design: its Python may run on (PythonRunner waits for it).
 */
const SPARK_STOPPED = /SparkContext: (Successfully stopped SparkContext|SparkContext is stopping with exitCode)/;

export function sparkStopped(lines: readonly LogLine[]): boolean {
  return lines.some((l) => SPARK_STOPPED.test(l.text));
}

/** A ResourceQuota's refusal as the API server words it (quota admission, controller.go CheckRequest). */
export interface QuotaRefusal {
  readonly at?: string;
  readonly quota: string;
  readonly text: string;
  /** Resources whose request alone is above the quota's hard limit: no amount of waiting lets the pod in. */
  readonly neverFits: readonly string[];
}

const EXCEEDED = /exceeded quota: ([^,]+), requested: (\S+), used: (\S+), limited: (\S+?)(?:\.(?=\s|$)|\s|$)/;

/**
 * The newest quota refusal in the log. Spark's ExecutorPodsAllocator creates executors itself
 * (requestNewExecutors → pods().create()); a quota refuses the create with 403 "exceeded quota",
 * the exception is logged by the snapshot subscriber ("Exception when notifying snapshot
 * subscriber", ExecutorPodsSnapshotsStoreImpl) and the allocator tries again on the next snapshot,
 * every spark.kubernetes.allocation.batch.delay or executor poll: the driver waits, it is not stuck.
 * No Event records the refusal (admission denials create none): the driver's log is the evidence.
 */
export function quotaRefusal(lines: readonly LogLine[]): QuotaRefusal | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const match = EXCEEDED.exec(line.text);
    if (!match) continue;
    const requested = pairs(match[2]!);
    const limited = pairs(match[4]!);
    const neverFits = Object.keys(requested).filter((name) => {
      const want = quantity(requested[name]);
      const hard = quantity(limited[name]);
      return want !== undefined && hard !== undefined && want > hard;
    });
    return {
      ...(line.at ? { at: line.at } : {}),
      quota: match[1]!,
      text: line.text.slice(line.text.indexOf('exceeded quota')).slice(0, 300),
      neverFits,
    };
  }
  return undefined;
}

/** The first line of a never-fitting refusal still in the tail: how long the driver has at least been refused. */
export function firstNeverFits(lines: readonly LogLine[]): string | undefined {
  for (const line of lines) {
    if (!line.at) continue;
    const refusal = quotaRefusal([line]);
    if (refusal && refusal.neverFits.length > 0) return line.at;
  }
  return undefined;
}

function pairs(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .map((p) => p.split('='))
      .filter((p): p is [string, string] => p.length === 2),
  );
}

const SUFFIX: Readonly<Record<string, number>> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A resource.Quantity as a number (enough to compare a request with a limit); undefined when unreadable. */
export function quantity(text: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text ?? '');
  if (!match) return undefined;
  return Number(match[1]) * (SUFFIX[match[2] ?? ''] ?? 1);
}

/** What the sweeper reads of an Event. */
export interface EventView {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly component?: string;
  readonly count?: number;
  /** lastTimestamp, else series.lastObservedTime or eventTime (events.k8s.io writers), else firstTimestamp. */
  readonly lastSeen?: string;
}

export function eventView(event: Readonly<Record<string, unknown>>): EventView {
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const record = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const series = record(event.series);
  const lastSeen =
    str(event.lastTimestamp) ??
    str(series?.lastObservedTime) ??
    str(event.eventTime) ??
    str(event.firstTimestamp) ??
    str(record(event.metadata)?.creationTimestamp);
  const component = str(record(event.source)?.component) ?? str(event.reportingComponent);
  const type = str(event.type);
  const reason = str(event.reason);
  const message = str(event.message);
  return {
    ...(type ? { type } : {}),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    ...(component ? { component } : {}),
    ...(typeof event.count === 'number' ? { count: event.count } : {}),
    ...(lastSeen ? { lastSeen } : {}),
  };
}

/** Newest first, by lastSeen. */
export function byNewest(events: readonly EventView[]): EventView[] {
  return [...events].sort((a, b) => (Date.parse(b.lastSeen ?? '') || 0) - (Date.parse(a.lastSeen ?? '') || 0));
}

/** "Warning FailedMount (kubelet, ×12, 40 s before): MountVolume.SetUp failed…", as the ledger keeps it. */
export function describeEvent(event: EventView, now: Date): string {
  const ms = rfc3339Ms(event.lastSeen);
  const ago = ms === undefined ? '' : `, ${Math.max(0, Math.round((now.getTime() - ms) / 1000))} s before`;
  const count = event.count !== undefined && event.count > 1 ? `, ×${event.count}` : '';
  return `${event.type ?? '?'} ${event.reason ?? '?'} (${event.component ?? '?'}${count}${ago}): ${(event.message ?? '').slice(0, 200)}`;
}
