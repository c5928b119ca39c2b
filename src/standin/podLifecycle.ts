/**
 * A simulated kubelet and Spark driver for the stand-in, so that the local stack, the soak run
 * and the capacity tests see drivers live: Pending → Running (with executors, as a real driver
 * creates them once its SparkContext starts) → Succeeded, after configurable times. Failures can
 * be injected per job name: a driver that cannot be scheduled, whose image cannot be pulled, or
 * that never starts its SparkContext.
 */
import type { KubeStoredObject, PodStatusPatch, StandIn } from './standInTypes.js';

export type InjectedFailure = 'unschedulable' | 'image-pull' | 'no-executors' | 'oom';

export interface PodLifecycleOptions {
  /** How long a driver stays Pending before it runs. */
  readonly pendingMs?: number;
  /** How long a driver runs before it succeeds (`Infinity`: runs until deleted). */
  readonly runningMs?: number;
  /** Executors a running driver starts. */
  readonly executors?: number;
  readonly tickMs?: number;
  /** Failures by `spark-app-name` label (the sanitized job name). */
  readonly failures?: Readonly<Record<string, InjectedFailure>>;
  /** Only pods in these namespaces (default all). */
  readonly namespaces?: readonly string[];
}

export interface PodLifecycle {
  stop(): void;
  /** Injects a failure for jobs with this name from now on. */
  inject(appName: string, failure: InjectedFailure): void;
}

const DRIVER = 'spark-kubernetes-driver';

export function startPodLifecycle(standIn: StandIn, options: PodLifecycleOptions = {}): PodLifecycle {
  const pendingMs = options.pendingMs ?? 1_000;
  const runningMs = options.runningMs ?? 5_000;
  const executorCount = options.executors ?? 2;
  const failures = new Map(Object.entries(options.failures ?? {}));
  const started = new Map<string, number>(); // pod uid → when it started running (ms)

  const tick = () => {
    const now = Date.now();
    const iso = new Date(now).toISOString();
    // only drivers are copied: this runs every tick, and executors far outnumber them
    for (const pod of standIn.objects('pods', undefined, { labelSelector: 'spark-role=driver' })) {
      const ns = pod.metadata.namespace ?? '';
      if (options.namespaces && !options.namespaces.includes(ns)) continue;
      const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
      if (pod.metadata.deletionTimestamp) continue;
      const phase = phaseOf(pod);
      const uid = pod.metadata.uid ?? '';
      const age = now - Date.parse(pod.metadata.creationTimestamp ?? iso);
      const failure = failures.get(labels['spark-app-name'] ?? '');
      try {
        if (phase === 'Pending' && age >= pendingMs) {
          if (failure === 'unschedulable') {
            if (!hasCondition(pod, 'PodScheduled')) set(standIn, ns, pod, { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.', lastTransitionTime: iso }] });
            continue;
          }
          if (failure === 'image-pull') {
            if (!hasCondition(pod, 'PodScheduled')) {
              set(standIn, ns, pod, {
                conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso }],
                containerStatuses: [{ name: DRIVER, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
              });
            }
            continue;
          }
          set(standIn, ns, pod, {
            phase: 'Running',
            startTime: iso,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: iso },
              { type: 'Ready', status: 'True', lastTransitionTime: iso },
            ],
            containerStatuses: [{ name: DRIVER, state: { running: { startedAt: iso } } }],
          });
          started.set(uid, now);
          standIn.setPodLog(ns, pod.metadata.name, `${iso} INFO SparkContext: Running Spark version (simulated by the stand-in)\n`);
          if (failure !== 'no-executors' && executorCount > 0) standIn.spawnExecutors(ns, pod.metadata.name, executorCount, 'Running');
          continue;
        }
        if (phase === 'Running') {
          const since = started.get(uid) ?? now;
          if (!started.has(uid)) started.set(uid, now);
          if (now - since >= runningMs) {
            const oom = failure === 'oom';
            set(standIn, ns, pod, {
              phase: oom ? 'Failed' : 'Succeeded',
              containerStatuses: [{ name: DRIVER, state: { terminated: { exitCode: oom ? 137 : 0, reason: oom ? 'OOMKilled' : 'Completed', startedAt: new Date(since).toISOString(), finishedAt: iso } } }],
            });
            started.delete(uid);
          }
        }
      } catch {
        // The pod went away between the listing and the update (deleted, swept): nothing to simulate.
      }
    }
  };

  const timer = setInterval(tick, options.tickMs ?? 100);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    inject: (appName, failure) => void failures.set(appName, failure),
  };
}

function phaseOf(pod: KubeStoredObject): string {
  const status = pod.status as { phase?: string } | undefined;
  return status?.phase ?? 'Pending';
}

function hasCondition(pod: KubeStoredObject, type: string): boolean {
  const status = pod.status as { conditions?: { type: string }[] } | undefined;
  return (status?.conditions ?? []).some((c) => c.type === type);
}

function set(standIn: StandIn, namespace: string, pod: KubeStoredObject, status: PodStatusPatch): void {
  standIn.setPodStatus(namespace, pod.metadata.name, status);
}
