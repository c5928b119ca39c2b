/**
 * Read-only views of what the API server reports about pods and SparkApplications, and the
 * facts the sweeper reads off them. Everything is optional: a real status may lack any field.
 */
import { DRIVER_CONTAINER } from '../render/driverLayout.js';
import { ANNOTATIONS } from '../render/naming.js';

export interface ContainerStateView {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: { readonly exitCode?: number; readonly reason?: string; readonly message?: string; readonly startedAt?: string; readonly finishedAt?: string };
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
    readonly ownerReferences?: readonly { readonly kind: string; readonly name: string; readonly uid: string; readonly apiVersion?: string }[];
  };
  readonly spec?: { readonly activeDeadlineSeconds?: number };
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
 * creation time). A namespace can hold many executors per driver; the rest of each pod is dropped
 * as soon as its list page arrives.
 */
export function executorView(pod: PodView): PodView {
  const { name, creationTimestamp, deletionTimestamp } = pod.metadata;
  const phase = pod.status?.phase;
  return {
    metadata: { name, ...(creationTimestamp !== undefined ? { creationTimestamp } : {}), ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}) },
    ...(phase !== undefined ? { status: { phase } } : {}),
  };
}

export const condition = (pod: PodView, type: string): PodConditionView | undefined => pod.status?.conditions?.find((c) => c.type === type);

/** The driver container's status (Spark's name), else the first container's. */
export function driverContainer(pod: PodView) {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((c) => c.name === DRIVER_CONTAINER) ?? statuses[0];
}

/** The job's deadline from our annotation (pods and SparkApplications of both backends); undefined when absent or not a positive number. */
export function annotatedDeadlineSeconds(metadata: PodView['metadata']): number | undefined {
  const seconds = Number(metadata.annotations?.[ANNOTATIONS.deadlineSeconds]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

export function secondsSince(time: string | undefined, now: Date): number | undefined {
  if (time === undefined) return undefined;
  const t = Date.parse(time);
  return Number.isNaN(t) ? undefined : (now.getTime() - t) / 1000;
}
