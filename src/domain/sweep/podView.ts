/**
 * Read-only views of what the API server reports about pods and SparkApplications, and the
 * facts the sweeper reads off them. Everything is optional: a real status may lack any field.
 */
import { DRIVER_CONTAINER } from '../render/driverLayout.js';
import { ANNOTATIONS } from '../render/naming.js';

export interface ContainerStateView {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: {
    readonly exitCode?: number;
    readonly reason?: string;
    readonly message?: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
  };
}

export interface PodConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface PodView {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly {
      readonly kind: string;
      readonly name: string;
      readonly uid: string;
      readonly apiVersion?: string;
    }[];
  };
  readonly spec?: {
    readonly activeDeadlineSeconds?: number;
    readonly nodeName?: string;
    readonly schedulingGates?: readonly { readonly name: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly startTime?: string;
    readonly conditions?: readonly PodConditionView[];
    readonly containerStatuses?: readonly { readonly name: string; readonly state?: ContainerStateView; readonly restartCount?: number }[];
  };
}

/**
 * What the sweeper keeps of an executor pod: the facts classifyDriver reads (phase, deletion,
 * creation time, whether and since when the scheduler cannot place it, why its container waits).
 * A namespace can hold many executors per driver; the rest of each pod is dropped as soon as its
 * list page arrives.
 */
export function executorView(pod: PodView): PodView {
  const { name, creationTimestamp, deletionTimestamp } = pod.metadata;
  const phase = pod.status?.phase;
  const scheduled = condition(pod, 'PodScheduled');
  const waiting = (pod.status?.containerStatuses ?? []).flatMap((c) =>
    c.state?.waiting?.reason ? [{ name: c.name, state: { waiting: { reason: c.state.waiting.reason } } }] : [],
  );
  const status = {
    ...(phase !== undefined ? { phase } : {}),
    ...(scheduled
      ? {
          conditions: [
            {
              type: scheduled.type,
              status: scheduled.status,
              ...(scheduled.reason ? { reason: scheduled.reason } : {}),
              ...(scheduled.lastTransitionTime ? { lastTransitionTime: scheduled.lastTransitionTime } : {}),
            },
          ],
        }
      : {}),
    ...(waiting.length > 0 ? { containerStatuses: waiting } : {}),
  };
  return {
    metadata: {
      name,
      ...(creationTimestamp !== undefined ? { creationTimestamp } : {}),
      ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    },
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

export const condition = (pod: PodView, type: string): PodConditionView | undefined => pod.status?.conditions?.find((c) => c.type === type);

/** The driver container's status (Spark's name), else the first container's. */
export function driverContainer(pod: PodView) {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((c) => c.name === DRIVER_CONTAINER) ?? statuses[0];
}

/**
 * The job's deadline from our annotation (pods and SparkApplications of both backends): the digits
 * the renderer writes and nothing else. `Number()` would read " 3600", "0x10" or "1e3" as numbers;
 * an annotation the sweeper did not write exactly that way is not read at all.
 */
export function annotatedDeadlineSeconds(metadata: PodView['metadata']): number | undefined {
  const text = metadata.annotations?.[ANNOTATIONS.deadlineSeconds];
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The executors annotation as the renderer writes it (`static:<n>` or `dynamic`), read strictly:
 * anything else, such as a value an earlier release derived from a conf of " true", is
 * `unreadable` and is shown as found. The sweeper never decides a deletion on it: it only explains.
 */
export function executorsPlan(metadata: PodView['metadata']): string {
  const text = metadata.annotations?.[ANNOTATIONS.executors];
  if (text === undefined) return 'not annotated';
  if (text === 'dynamic' || /^static:(0|[1-9][0-9]{0,5})$/.test(text)) return text;
  return `unreadable ${JSON.stringify(text.slice(0, 40))}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (as Kubernetes and the kubelet write them) in milliseconds; undefined otherwise. */
export function rfc3339Ms(text: string | undefined): number | undefined {
  if (text === undefined || !RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Clocks of the cluster and of whoever writes a heartbeat may disagree by this much. */
export const CLOCK_SKEW_MS = 120_000;

/**
 * The heartbeat annotation, when it is an RFC 3339 time not in the future (beyond clock skew): a
 * heartbeat from the future would keep a driver alive forever, so it is ignored.
 */
export function heartbeat(metadata: PodView['metadata'], now: Date): string | undefined {
  const text = metadata.annotations?.[ANNOTATIONS.heartbeat];
  const ms = rfc3339Ms(text);
  return ms !== undefined && ms <= now.getTime() + CLOCK_SKEW_MS ? text : undefined;
}

/** The latest of some times (ISO), ignoring unreadable ones. */
export function latest(...times: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const time of times) {
    const ms = time === undefined ? NaN : Date.parse(time);
    if (!Number.isNaN(ms) && ms > bestMs) {
      best = time;
      bestMs = ms;
    }
  }
  return best;
}

export function secondsSince(time: string | undefined, now: Date): number | undefined {
  if (time === undefined) return undefined;
  const t = Date.parse(time);
  return Number.isNaN(t) ? undefined : (now.getTime() - t) / 1000;
}
