/**
 * Spark drivers that live in the stand-in's clock: each runs a behaviour (sparkBehaviours.ts) that
 * writes, tick by tick, what the kubelet, the scheduler, the cluster autoscaler and Spark itself
 * would write about it: pod status, Events, log lines (stamped when received), executor pods
 * created through the API server's admission (so a ResourceQuota refuses them as it refuses
 * Spark) and deleted as Spark deletes them. `advance` lets hours of cluster time pass in moments,
 * so a test can run the real sweeper over a population of drivers at the times it would run.
 */
import type { PodEvent, PodStatusPatch, StandIn } from './standInTypes.js';

const DRIVER = 'spark-kubernetes-driver';

export interface DriverContext {
  readonly namespace: string;
  readonly pod: string;
  /** Seconds of cluster time since the driver was added (its pod's creation). */
  readonly t: number;
  /** The cluster's time now (RFC 3339). */
  now(): string;
  /** Per-driver memory for the behaviour. */
  readonly state: Map<string, unknown>;
  /** The scheduler binds the pod to a node (PodScheduled=True, spec.nodeName). */
  schedule(node?: string): void;
  /** The scheduler cannot place it: PodScheduled=False Unschedulable, and its FailedScheduling event. */
  unschedulable(message: string): void;
  /** Held by a scheduling gate (Kueue): PodScheduled=False SchedulingGated. */
  gated(): void;
  /** The driver container waits (ContainerCreating, ErrImagePull, …); the pod is scheduled first. */
  waiting(reason: string, message?: string): void;
  /** The driver container runs (Ready, ContainersReady). */
  run(): void;
  /** A line the driver prints (Python's stdout, or anything), received now. */
  log(text: string): void;
  /** A line of Spark's log4j2 layout: `yy/MM/dd HH:mm:ss LEVEL Logger: message`. */
  spark(level: 'INFO' | 'WARN' | 'ERROR', logger: string, message: string): void;
  /** An Event about the driver pod, or about another pod (an executor). */
  event(event: Omit<PodEvent, 'at'>, pod?: string): void;
  /**
   * Spark's ExecutorPodsAllocator asks for executors: each goes through the API server; a refusal
   * (a quota) is logged as Spark logs it and ends the batch, as the exception does in Spark.
   * Returns the executors created.
   */
  requestExecutors(count: number, phase?: 'Pending' | 'Running'): string[];
  /** The executors of this driver that still exist, by name, with their phase. */
  executors(): { readonly name: string; readonly phase: string; readonly deleting: boolean }[];
  setExecutor(name: string, status: PodStatusPatch): void;
  /** KubernetesClusterSchedulerBackend / ExecutorPodsAllocator.stop: deletes its executors by label. */
  deleteExecutors(names?: readonly string[]): Promise<void>;
  /** The driver process ends: the container terminates with this exit code (Succeeded on 0). */
  exit(exitCode: number, reason?: string): void;
  /** The pod fails as a whole (Evicted, …) with its container killed. */
  fail(reason: string, message: string, exitCode?: number): void;
  /** The driver's node stops reporting: its kubelet does not answer and the node controller marks the pod not ready. */
  loseNode(): void;
  /** Runs `fn` every `seconds` (the first time at once). */
  every(key: string, seconds: number, fn: () => void): void;
  /** Runs `fn` the first time `when` holds. */
  once(key: string, when: boolean, fn: () => void | Promise<void>): Promise<void>;
}

export interface Behaviour {
  readonly name: string;
  tick(d: DriverContext): void | Promise<void>;
}

interface Simulated {
  readonly namespace: string;
  readonly pod: string;
  readonly behaviour: Behaviour;
  readonly startMs: number;
  readonly state: Map<string, unknown>;
  readonly lastRun: Map<string, number>;
  readonly done: Set<string>;
  readonly node: string;
  gone: boolean;
}

let nextNode = 1;

export class SparkDriverSimulation {
  private readonly drivers: Simulated[] = [];

  constructor(private readonly standIn: StandIn) {}

  /** Simulates the driver pod `pod` (already created) from now on. */
  add(namespace: string, pod: string, behaviour: Behaviour): void {
    this.drivers.push({
      namespace,
      pod,
      behaviour,
      startMs: this.standIn.now().getTime(),
      state: new Map(),
      lastRun: new Map(),
      done: new Set(),
      node: `standin-node-${nextNode++}`,
      gone: false,
    });
  }

  /** Lets `seconds` of cluster time pass in steps of `step` seconds, every driver acting at each step. */
  async advance(seconds: number, step = 15): Promise<void> {
    for (let passed = 0; passed < seconds; passed += step) {
      this.standIn.advanceClock(Math.min(step, seconds - passed) * 1000);
      for (const driver of this.drivers) {
        if (driver.gone) continue;
        try {
          await driver.behaviour.tick(this.context(driver));
        } catch (error) {
          // The sweeper (or anyone) deleted the driver pod: there is nothing left to simulate.
          if (error instanceof Error && /not found/.test(error.message)) driver.gone = true;
          else throw error;
        }
      }
    }
  }

  private context(d: Simulated): DriverContext {
    const standIn = this.standIn;
    const nowMs = standIn.now().getTime();
    const now = () => standIn.now().toISOString();
    const status = (patch: PodStatusPatch) => standIn.setPodStatus(d.namespace, d.pod, patch);
    const running = { type: 'Ready', status: 'True' } as const;
    const ownExecutors = () => {
      let app = d.state.get('appSelector');
      if (typeof app !== 'string') {
        const driver = standIn.objects('pods', d.namespace, { labelSelector: 'spark-role=driver' }).find((p) => p.metadata.name === d.pod);
        if (!driver) throw new Error(`pods "${d.pod}" not found`);
        app = driver.metadata.labels?.['spark-app-selector'] ?? '';
        d.state.set('appSelector', app);
      }
      return standIn.objects('pods', d.namespace, { labelSelector: `spark-role=executor,spark-app-selector=${String(app)}` });
    };
    const ctx: DriverContext = {
      namespace: d.namespace,
      pod: d.pod,
      t: Math.round((nowMs - d.startMs) / 1000),
      now,
      state: d.state,
      schedule: (node = d.node) => status({ conditions: [{ type: 'PodScheduled', status: 'True' }], nodeName: node }),
      unschedulable: (message) => {
        status({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
        ctx.event({ type: 'Warning', reason: 'FailedScheduling', message, component: 'default-scheduler' });
      },
      gated: () =>
        status({
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'SchedulingGated',
              message: 'Scheduling is blocked due to non-empty scheduling gates',
            },
          ],
        }),
      waiting: (reason, message) => {
        ctx.schedule();
        status({ containerStatuses: [{ name: DRIVER, state: { waiting: { reason, ...(message ? { message } : {}) } } }] });
      },
      run: () => {
        ctx.schedule();
        d.state.set('startedAt', now());
        status({
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }, { type: 'ContainersReady', status: 'True' }, running],
          containerStatuses: [{ name: DRIVER, state: { running: { startedAt: now() } }, ready: true, started: true }],
        });
      },
      log: (text) => standIn.appendPodLog(d.namespace, d.pod, [{ text, at: now() }]),
      spark: (level, logger, message) => {
        const time = now().slice(2, 19).replace(/-/g, '/').replace('T', ' ');
        ctx.log(`${time} ${level} ${logger}: ${message}`);
      },
      event: (event, pod = d.pod) => standIn.recordPodEvent(d.namespace, pod, { ...event, at: now() }),
      requestExecutors: (count, phase = 'Running') => {
        const created: string[] = [];
        for (let i = 0; i < count; i++) {
          try {
            created.push(...standIn.spawnExecutors(d.namespace, d.pod, 1, phase));
          } catch (error) {
            const message = error instanceof Error ? error.message.replace(/^executor [^:]+: /, '') : String(error);
            if (!/forbidden/.test(message)) throw error;
            // ExecutorPodsSnapshotsStoreImpl.processSnapshotsInternal catches what onNewSnapshots throws.
            ctx.spark('WARN', 'ExecutorPodsSnapshotsStoreImpl', 'Exception when notifying snapshot subscriber.');
            ctx.log(
              `io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: https://kubernetes.default.svc/api/v1/namespaces/${d.namespace}/pods. Message: ${message}. Received status: Status(apiVersion=v1, code=403, kind=Status, reason=Forbidden).`,
            );
            break;
          }
        }
        if (created.length > 0)
          ctx.spark(
            'INFO',
            'ExecutorPodsAllocator',
            `Going to request ${count} executors from Kubernetes for ResourceProfile Id: 0, target: ${count}.`,
          );
        return created;
      },
      executors: () =>
        ownExecutors().map((p) => ({
          name: p.metadata.name,
          phase: (p.status as { phase?: string } | undefined)?.phase ?? 'Pending',
          deleting: p.metadata.deletionTimestamp !== undefined,
        })),
      setExecutor: (name, patch) => standIn.setPodStatus(d.namespace, name, patch),
      deleteExecutors: async (names) => {
        const targets = ownExecutors().filter(
          (p) => !p.metadata.deletionTimestamp && (names === undefined || names.includes(p.metadata.name)),
        );
        await Promise.all(
          targets.map((p) =>
            fetch(`${standIn.url}/api/v1/namespaces/${d.namespace}/pods/${p.metadata.name}`, { method: 'DELETE' }).then((r) => r.text()),
          ),
        );
      },
      exit: (exitCode, reason) => {
        const startedAt = d.state.get('startedAt');
        status({
          phase: exitCode === 0 ? 'Succeeded' : 'Failed',
          conditions: [
            { type: 'Ready', status: 'False', reason: exitCode === 0 ? 'PodCompleted' : 'PodFailed' },
            { type: 'ContainersReady', status: 'False', reason: exitCode === 0 ? 'PodCompleted' : 'PodFailed' },
          ],
          containerStatuses: [
            {
              name: DRIVER,
              state: {
                terminated: {
                  exitCode,
                  reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
                  finishedAt: now(),
                  ...(typeof startedAt === 'string' ? { startedAt } : {}),
                },
              },
              ready: false,
            },
          ],
        });
      },
      fail: (reason, message, exitCode = 137) => {
        status({
          phase: 'Failed',
          reason,
          message,
          conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed' }],
          containerStatuses: [{ name: DRIVER, state: { terminated: { exitCode, reason: 'Error', finishedAt: now() } }, ready: false }],
        });
      },
      loseNode: () => {
        standIn.setNodeReachable(d.node, false);
        // MarkPodsNotReady: Ready=False; ContainersReady stays as the kubelet last wrote it.
        status({ conditions: [{ type: 'Ready', status: 'False' }] });
      },
      every: (key, seconds, fn) => {
        const last = d.lastRun.get(key);
        if (last !== undefined && nowMs - last < seconds * 1000) return;
        d.lastRun.set(key, nowMs);
        fn();
      },
      once: async (key, when, fn) => {
        if (!when || d.done.has(key)) return;
        d.done.add(key);
        await fn();
      },
    };
    return ctx;
  }
}
