/**
 * A simulated kubelet and Spark driver for the stand-in, so that the local stack, the soak run
 * and the capacity tests see drivers live: Pending → Running (with executors, as a real driver
 * creates them once its SparkContext starts) → Succeeded, after configurable times. Failures can
 * be injected per job name: a driver that cannot be scheduled, whose image cannot be pulled, that
 * hangs without executors (Running and silent until something deletes it), or that is OOMKilled.
 *
 * With `scripts`, a driver first reads its main script, as the real one downloads it: a script that
 * is not there fails the driver (exit 1, spark-submit's FileNotFoundException), and a script that
 * declares its arguments (`# spark-dispatch-example: args=2`) fails it with its usage line and
 * exit code 2 when the job gives another number of them (scriptArguments.ts).
 */
import { arrayAt } from './jsonValues.js';
import { driverCommand, driverFate, type DriverFate, type ScriptRead } from './scriptArguments.js';
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
  /** Reads a driver's main script (its URI) before the driver runs; without it, scripts are not judged. */
  readonly scripts?: (mainUri: string) => Promise<ScriptRead>;
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
  const fates = new Map<string, DriverFate | 'reading'>(); // pod uid → what its script makes it do
  // A script that fails the driver does so before any SparkContext: within a second or so.
  const exitAfterMs = Math.min(runningMs, 1_000);

  /** undefined while the script is being read; then what the driver does. */
  const fateOf = (pod: KubeStoredObject, uid: string): DriverFate | undefined => {
    const known = fates.get(uid);
    if (known !== undefined) return known === 'reading' ? undefined : known;
    const command = driverCommand(
      (arrayAt((arrayAt(pod, 'spec', 'containers') ?? [])[0], 'args') ?? []).map((a) => (typeof a === 'string' ? a : '')),
    );
    if (!options.scripts || !command) {
      fates.set(uid, { kind: 'runs' });
      return { kind: 'runs' };
    }
    fates.set(uid, 'reading');
    options
      .scripts(command.main)
      .then((read) => fates.set(uid, driverFate(read, command.main, command.args)))
      .catch(() => fates.set(uid, { kind: 'runs' })); // storage unreachable: not judged
    return undefined;
  };

  const tick = () => {
    const now = Date.now();
    const iso = new Date(now).toISOString();
    const live = new Set<string>();
    // only drivers are copied: this runs every tick, and executors far outnumber them
    for (const pod of standIn.objects('pods', undefined, { labelSelector: 'spark-role=driver' })) {
      live.add(pod.metadata.uid ?? '');
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
            if (!hasCondition(pod, 'PodScheduled'))
              set(standIn, ns, pod, {
                conditions: [
                  {
                    type: 'PodScheduled',
                    status: 'False',
                    reason: 'Unschedulable',
                    message: '0/3 nodes are available: 3 Insufficient memory.',
                    lastTransitionTime: iso,
                  },
                ],
              });
            continue;
          }
          if (failure === 'image-pull') {
            if (!hasCondition(pod, 'PodScheduled')) {
              set(standIn, ns, pod, {
                conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso }],
                containerStatuses: [
                  { name: DRIVER, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } },
                ],
              });
            }
            continue;
          }
          const fate = fateOf(pod, uid);
          if (fate === undefined) continue; // still reading its script
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
          if (fate.kind === 'exits') {
            standIn.setPodLog(
              ns,
              pod.metadata.name,
              `${fate.lines.join('\n')}\n${sparkTime(now)} INFO ShutdownHookManager: Shutdown hook called\n`,
            );
            continue;
          }
          standIn.setPodLog(
            ns,
            pod.metadata.name,
            `${sparkTime(now)} INFO SparkContext: Running Spark version (simulated by the stand-in)\n`,
          );
          if (failure !== 'no-executors' && executorCount > 0) standIn.spawnExecutors(ns, pod.metadata.name, executorCount, 'Running');
          continue;
        }
        if (phase === 'Running') {
          const since = started.get(uid) ?? now;
          if (!started.has(uid)) started.set(uid, now);
          const fate = fates.get(uid);
          if (fate !== undefined && fate !== 'reading' && fate.kind === 'exits') {
            if (now - since >= exitAfterMs) {
              set(standIn, ns, pod, {
                phase: 'Failed',
                conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed', lastTransitionTime: iso }],
                containerStatuses: [
                  {
                    name: DRIVER,
                    state: {
                      terminated: { exitCode: fate.exitCode, reason: 'Error', startedAt: new Date(since).toISOString(), finishedAt: iso },
                    },
                  },
                ],
              });
              started.delete(uid);
              fates.delete(uid);
            }
            continue;
          }
          // A hung driver has no end of its own: it runs, silent, until the sweeper (or anyone) deletes it.
          if (failure === 'no-executors') continue;
          if (now - since >= runningMs) {
            const oom = failure === 'oom';
            set(standIn, ns, pod, {
              phase: oom ? 'Failed' : 'Succeeded',
              containerStatuses: [
                {
                  name: DRIVER,
                  state: {
                    terminated: {
                      exitCode: oom ? 137 : 0,
                      reason: oom ? 'OOMKilled' : 'Completed',
                      startedAt: new Date(since).toISOString(),
                      finishedAt: iso,
                    },
                  },
                },
              ],
            });
            started.delete(uid);
            fates.delete(uid);
          }
        }
      } catch {
        // The pod went away between the listing and the update (deleted, swept): nothing to simulate.
      }
    }
    // Drivers deleted while running (swept, hung ones included) are forgotten.
    for (const uid of started.keys()) if (!live.has(uid)) started.delete(uid);
    for (const uid of fates.keys()) if (!live.has(uid) && fates.get(uid) !== 'reading') fates.delete(uid);
  };

  const timer = setInterval(tick, options.tickMs ?? 100);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    inject: (appName, failure) => void failures.set(appName, failure),
  };
}

/** Spark's log4j2 time stamp, `yy/MM/dd HH:mm:ss`. */
function sparkTime(ms: number): string {
  return new Date(ms).toISOString().slice(2, 19).replace(/-/g, '/').replace('T', ' ');
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
