/**
 * What real Spark drivers do over their life on Kubernetes, as the stand-in's SparkDriverSimulation
 * plays it: healthy drivers that look stalled to a naive rule, stalled drivers that look busy,
 * and drivers that end on their own. Each is taken from Spark's or Kubernetes' own behaviour,
 * named where it is modelled. Times are seconds since the driver pod was created.
 */
import type { Behaviour, DriverContext } from './sparkDrivers.js';

const SPARK_VERSION = '3.5.3';

/** The image is pulled and the container starts; spark-submit in the container logs its start. */
async function starts(d: DriverContext, at = 20): Promise<void> {
  await d.once('start', d.t >= at, () => {
    d.run();
    d.spark('INFO', 'SparkContext', `Running Spark version ${SPARK_VERSION}`);
  });
}

/** The SparkSession exists: the scheduler backend starts and asks for executors. */
function sessionLines(d: DriverContext): void {
  d.spark('INFO', 'SparkContext', `Submitted application: ${d.pod.replace(/-[0-9a-f]{16}-driver$/, '')}`);
  d.spark('INFO', 'Utils', "Successfully started service 'sparkDriver' on port 7078.");
  d.spark(
    'INFO',
    'KubernetesClusterSchedulerBackend',
    'SchedulerBackend is ready for scheduling beginning after reached minRegisteredResourcesRatio: 0.8',
  );
}

/** TaskSetManager's line for each finished task: the driver's steady sign of progress. */
function taskProgress(d: DriverContext, every = 60): void {
  d.every('tasks', every, () => {
    const n = ((d.state.get('tid') as number | undefined) ?? 0) + 1;
    d.state.set('tid', n);
    d.spark(
      'INFO',
      'TaskSetManager',
      `Finished task ${n % 200}.0 in stage ${Math.floor(n / 200)}.0 (TID ${n}) in 4213 ms on 10.244.1.${(n % 200) + 2} (executor 1) (${n % 200}/200)`,
    );
  });
}

/** SparkContext.stop: its lines, then ExecutorPodsAllocator.stop deletes the executors by label. */
async function stopsSpark(d: DriverContext): Promise<void> {
  d.spark('INFO', 'SparkContext', 'SparkContext is stopping with exitCode 0 from stop at NativeMethodAccessorImpl.java:0.');
  d.spark('INFO', 'SparkUI', `Stopped Spark web UI at http://${d.pod}-svc.${d.namespace}.svc:4040`);
  d.spark('INFO', 'KubernetesClusterSchedulerBackend', 'Shutting down all executors');
  d.spark('INFO', 'KubernetesClusterSchedulerBackend$KubernetesDriverEndpoint', 'Asking each executor to shut down');
  await d.deleteExecutors();
  d.spark('INFO', 'SparkContext', 'Successfully stopped SparkContext');
}

/** The Python script returns: PythonRunner exits, the shutdown hook runs, the container ends with 0. */
async function finishes(d: DriverContext, at: number): Promise<void> {
  await d.once('finish', d.t >= at, async () => {
    if (!d.state.get('stopped')) await stopsSpark(d);
    d.spark('INFO', 'ShutdownHookManager', 'Shutdown hook called');
    d.exit(0);
  });
}

/** A driver with executors from `from` that keeps finishing tasks: the common healthy case. */
async function works(d: DriverContext, from: number, executors = 2): Promise<void> {
  await d.once('session', d.t >= from, () => {
    sessionLines(d);
    d.requestExecutors(executors);
  });
  if (d.t >= from) taskProgress(d);
}

/**
 * A compute ResourceQuota refuses the executors: Spark's ExecutorPodsAllocator gets 403
 * "exceeded quota" on each create, the snapshot subscriber logs it, and the allocator tries again
 * on the next snapshot (spark.kubernetes.allocation.batch.delay, executor polling); meanwhile
 * TaskSchedulerImpl warns "Initial job has not accepted any resources" every 15 s. Once other
 * jobs free the quota the executors are admitted and the job runs. Healthy: it waits.
 */
export function quotaWaiting(runSeconds = 900): Behaviour {
  return {
    name: 'executors refused by a compute ResourceQuota until other jobs free it',
    async tick(d) {
      await starts(d);
      await d.once('session', d.t >= 30, () => sessionLines(d));
      if (d.t < 30 || d.state.get('finishAt') !== undefined) {
        if (d.state.get('finishAt') !== undefined) {
          taskProgress(d);
          await finishes(d, d.state.get('finishAt') as number);
        }
        return;
      }
      d.every('allocate', 30, () => {
        // The allocator asks for what is missing; what the quota admitted stays.
        const live = d.executors().filter((e) => !e.deleting).length;
        if (live < 2) d.requestExecutors(2 - live);
        if (d.executors().filter((e) => !e.deleting).length >= 2) d.state.set('finishAt', d.t + runSeconds);
      });
      d.every('starving', 15, () =>
        d.spark(
          'WARN',
          'TaskSchedulerImpl',
          'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources',
        ),
      );
    },
  };
}

/** Another job in the same namespace holding the quota until it finishes. */
export function quotaNeighbour(executors: number, finishAt: number): Behaviour {
  return {
    name: 'a job holding the namespace quota until it finishes',
    async tick(d) {
      await starts(d, 5);
      await works(d, 10, executors);
      await finishes(d, finishAt);
    },
  };
}

/**
 * Ten minutes of Python before the SparkSession exists (pandas, downloads), printing as it goes:
 * no executor can exist yet, the log shows progress. Then an ordinary Spark job.
 */
export function pythonFirst(pythonSeconds = 600, finishAt = 2400): Behaviour {
  return {
    name: 'ten minutes of Python before the SparkSession, printing progress',
    async tick(d) {
      await starts(d);
      if (d.t < pythonSeconds)
        d.every('python', 60, () =>
          d.log(`step ${Math.round(d.t / 60)}: loading reference tables (${Math.round((100 * d.t) / pythonSeconds)} %)`),
        );
      await works(d, pythonSeconds);
      await finishes(d, finishAt);
    },
  };
}

/** Python computing silently (no output at all) for less than the no-executors grace, then Spark. */
export function quietPython(silentSeconds = 1500, finishAt = 3000): Behaviour {
  return {
    name: 'twenty-five silent minutes of Python before the SparkSession',
    async tick(d) {
      await starts(d);
      await works(d, silentSeconds);
      await finishes(d, finishAt);
    },
  };
}

/**
 * spark.stop() half-way: Spark deletes its executors; the Python script goes on (writing a report,
 * uploading files) and prints as it goes, then exits. Healthy: no executors by design.
 */
export function afterStop(stopAt = 1200, exitAt = 3000): Behaviour {
  return {
    name: 'spark.stop(), then thirty minutes of Python writing a report',
    async tick(d) {
      await starts(d);
      if (d.t < stopAt) await works(d, 40);
      await d.once('stop', d.t >= stopAt, async () => {
        await stopsSpark(d);
        d.state.set('stopped', true);
      });
      if (d.t >= stopAt) d.every('report', 180, () => d.log(`uploading report part ${Math.round((d.t - stopAt) / 180)}`));
      await finishes(d, exitAt);
    },
  };
}

/**
 * Kueue's webhook gates the pod (kueue.x-k8s.io/admission) until its ClusterQueue admits the
 * workload; the scheduler reports PodScheduled=False SchedulingGated meanwhile. Then it runs.
 */
export function kueueGated(admittedAt = 2700, finishAt = 4500): Behaviour {
  return {
    name: 'held by a Kueue scheduling gate for 45 minutes, then admitted',
    async tick(d) {
      if (d.t < admittedAt) {
        await d.once('gate', true, () => d.gated());
        return;
      }
      await starts(d, admittedAt);
      await works(d, admittedAt + 20);
      await finishes(d, finishAt);
    },
  };
}

/**
 * Dynamic allocation on (the conf said " true": Spark trims it, an earlier dispatcher did not and
 * annotated static executors): ExecutorAllocationManager removes executors idle for
 * spark.dynamicAllocation.executorIdleTimeout (60 s) between stages, the driver runs Python at
 * zero executors, then asks again.
 */
export function dynamicAtZero(finishAt = 3400): Behaviour {
  const bursts = [
    [40, 600],
    [1800, 2460],
  ] as const;
  return {
    name: 'dynamic allocation scaling to zero between stages',
    async tick(d) {
      await starts(d);
      for (const [i, [from, to]] of bursts.entries()) {
        await d.once(`up${i}`, d.t >= from, () => {
          if (i === 0) sessionLines(d);
          d.spark(
            'INFO',
            'ExecutorAllocationManager',
            'Requesting 2 new executors because tasks are backlogged (new desired total will be 2 for resource profile id: 0)',
          );
          d.requestExecutors(2);
        });
        if (d.t >= from && d.t < to) taskProgress(d);
        await d.once(`down${i}`, d.t >= to, async () => {
          for (const e of d.executors())
            d.spark(
              'INFO',
              'ExecutorAllocationManager',
              `Removing executor ${e.name.replace(/.*-exec-/, '')} because it has been idle for 60 seconds (new desired total will be 0)`,
            );
          await d.deleteExecutors();
        });
      }
      if (d.executors().every((e) => e.deleting)) d.every('python', 240, () => d.log('preparing the next batch in pandas'));
      await finishes(d, finishAt);
    },
  };
}

/**
 * Executors Pending while the cluster autoscaler adds a node: the first node group it tries fails
 * and is backed off (NotTriggerScaleUp "in backoff after failed scale-up"), a second scale-up, in
 * another group, lands after a few minutes. The events say so.
 */
export function slowScaleUp(nodeAt = 1140, finishAt = 2400): Behaviour {
  return {
    name: 'executors Pending while the autoscaler adds a node (one failed attempt first)',
    async tick(d) {
      await starts(d);
      await d.once('ask', d.t >= 40, () => {
        sessionLines(d);
        for (const name of d.requestExecutors(2, 'Pending')) {
          d.setExecutor(name, {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/3 nodes are available: 3 Insufficient memory.',
              },
            ],
          });
          d.event(
            {
              type: 'Warning',
              reason: 'FailedScheduling',
              message: '0/3 nodes are available: 3 Insufficient memory.',
              component: 'default-scheduler',
            },
            name,
          );
          d.event(
            {
              type: 'Normal',
              reason: 'TriggeredScaleUp',
              message: 'pod triggered scale-up: [{aks-spark-a-vmss 3->4 (max: 6)}]',
              component: 'cluster-autoscaler',
            },
            name,
          );
        }
      });
      // The first node group fails to provide a node: the autoscaler backs it off and says so.
      await d.once('backoff', d.t >= 480, () => {
        for (const e of d.executors())
          d.event(
            {
              type: 'Normal',
              reason: 'NotTriggerScaleUp',
              message: "pod didn't trigger scale-up: 1 in backoff after failed scale-up, 1 max node group size reached",
              component: 'cluster-autoscaler',
            },
            e.name,
          );
      });
      await d.once('retry', d.t >= 720, () => {
        for (const e of d.executors())
          d.event(
            {
              type: 'Normal',
              reason: 'TriggeredScaleUp',
              message: 'pod triggered scale-up: [{aks-spark-b-vmss 1->2 (max: 6)}]',
              component: 'cluster-autoscaler',
            },
            e.name,
          );
      });
      if (d.t < nodeAt)
        d.every('starving', 15, () =>
          d.spark(
            'WARN',
            'TaskSchedulerImpl',
            'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources',
          ),
        );
      await d.once('node', d.t >= nodeAt, () => {
        for (const e of d.executors())
          d.setExecutor(e.name, {
            phase: 'Running',
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: 'True' },
            ],
            containerStatuses: [{ name: 'spark-kubernetes-executor', state: { running: {} } }],
          });
      });
      if (d.t >= nodeAt) taskProgress(d);
      await finishes(d, finishAt);
    },
  };
}

/** A 6 GB image pulled over a congested link: ContainerCreating for 14 minutes, Pulling reported. */
export function bigImage(pulledAt = 840, finishAt = 2400): Behaviour {
  return {
    name: 'a large image pulled for 14 minutes',
    async tick(d) {
      await d.once('pulling', d.t >= 5, () => {
        d.waiting('ContainerCreating');
        d.event({
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${d.namespace}/${d.pod} to a node`,
          component: 'default-scheduler',
        });
        d.event({
          type: 'Normal',
          reason: 'Pulling',
          message: 'Pulling image "sparkdispatch.azurecr.io/spark-py:3.5.3-hadoop3.3.4"',
          component: 'kubelet',
        });
      });
      await d.once('pulled', d.t >= pulledAt, () =>
        d.event({
          type: 'Normal',
          reason: 'Pulled',
          message: 'Successfully pulled image "sparkdispatch.azurecr.io/spark-py:3.5.3-hadoop3.3.4" in 13m54s',
          component: 'kubelet',
        }),
      );
      await starts(d, pulledAt);
      await works(d, pulledAt + 30);
      await finishes(d, finishAt);
    },
  };
}

/**
 * Executors killed by the OOM killer, again and again: Spark replaces each; past
 * spark.executor.maxNumFailures (3.5+: max(2 × max executors, 3)) the driver exits with 11.
 * Spark ends it itself: not the sweeper's to kill.
 */
export function crashLoopingExecutors(maxFailures = 4): Behaviour {
  return {
    name: 'executors OOMKilled again and again until Spark gives up (exit 11)',
    async tick(d) {
      await starts(d);
      await d.once('session', d.t >= 40, () => {
        sessionLines(d);
        d.requestExecutors(2);
      });
      if (d.t < 40 || d.state.get('ended')) return;
      d.every('crash', 90, () => {
        const live = d.executors().filter((e) => e.phase === 'Running' && !e.deleting);
        const victim = live[0];
        if (!victim || d.t < 100) return;
        d.setExecutor(victim.name, {
          phase: 'Failed',
          containerStatuses: [{ name: 'spark-kubernetes-executor', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
        });
        const failures = ((d.state.get('failures') as number | undefined) ?? 0) + 1;
        d.state.set('failures', failures);
        d.spark(
          'ERROR',
          'TaskSchedulerImpl',
          `Lost executor ${victim.name.replace(/.*-exec-/, '')} on 10.244.2.7: The executor with id ${victim.name.replace(/.*-exec-/, '')} exited with exit code 137(SIGKILL, possible container OOM).`,
        );
        if (failures >= maxFailures) {
          d.spark('ERROR', 'ExecutorPodsAllocator', `Max number of executor failures (${maxFailures}) reached`);
          d.state.set('ended', true);
          d.exit(11);
          return;
        }
        d.requestExecutors(1);
      });
    },
  };
}

/** A long job, well inside its deadline, finishing tasks all along. */
export function longRunner(finishAt = 9000): Behaviour {
  return {
    name: 'two and a half hours of tasks, inside its deadline',
    async tick(d) {
      await starts(d);
      await works(d, 40, 4);
      await finishes(d, finishAt);
    },
  };
}

/** The driver's JVM and Python share the container: past its memory limit the kernel kills it (exit 137, OOMKilled). */
export function driverOomKilled(at = 900): Behaviour {
  return {
    name: 'the driver is OOMKilled',
    async tick(d) {
      await starts(d);
      if (d.t < at) await works(d, 40);
      await d.once('oom', d.t >= at, () => d.exit(137, 'OOMKilled'));
    },
  };
}

/** The kubelet evicts the driver under node memory pressure: pod Failed, reason Evicted. */
export function driverEvicted(at = 1200): Behaviour {
  return {
    name: 'the driver is evicted (node memory pressure)',
    async tick(d) {
      await starts(d);
      if (d.t < at) await works(d, 40);
      await d.once('evict', d.t >= at, () =>
        d.fail('Evicted', 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi.'),
      );
    },
  };
}

// ── stalled ───────────────────────────────────────────────────────────────────────────────────────

/** A typo in the image tag: ErrImagePull, then ImagePullBackOff with back-off, forever. */
export function badImageTag(): Behaviour {
  return {
    name: 'a typo in the image tag (ImagePullBackOff)',
    async tick(d) {
      await d.once('pull', d.t >= 2, () => {
        d.waiting(
          'ErrImagePull',
          'rpc error: code = NotFound desc = failed to pull and unpack image "sparkdispatch.azurecr.io/spark-py:3.5.33": not found',
        );
        d.event({
          type: 'Warning',
          reason: 'Failed',
          message: 'Failed to pull image "sparkdispatch.azurecr.io/spark-py:3.5.33": not found',
          component: 'kubelet',
        });
      });
      if (d.t >= 30)
        d.every('backoff', 60, () => {
          d.waiting('ImagePullBackOff', 'Back-off pulling image "sparkdispatch.azurecr.io/spark-py:3.5.33"');
          d.event({
            type: 'Normal',
            reason: 'BackOff',
            message: 'Back-off pulling image "sparkdispatch.azurecr.io/spark-py:3.5.33"',
            component: 'kubelet',
          });
        });
    },
  };
}

/** runAsNonRoot with the image's named user and no runAsUser: the kubelet refuses to start it. */
export function containerConfigError(): Behaviour {
  return {
    name: 'runAsNonRoot with a named user (CreateContainerConfigError)',
    async tick(d) {
      await d.once('refuse', d.t >= 3, () =>
        d.waiting(
          'CreateContainerConfigError',
          'container has runAsNonRoot and image has non-numeric user (spark), cannot verify user is non-root',
        ),
      );
    },
  };
}

/** A driver no node can hold, and an autoscaler that will not help: Unschedulable for good. */
export function driverNeverFits(): Behaviour {
  return {
    name: 'a driver no node can hold (the autoscaler will not help)',
    async tick(d) {
      await d.once('unschedulable', d.t >= 1, () =>
        d.unschedulable(
          '0/4 nodes are available: 4 Insufficient memory. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.',
        ),
      );
      if (d.t >= 10)
        d.every('autoscaler', 120, () =>
          d.event({
            type: 'Normal',
            reason: 'NotTriggerScaleUp',
            message: "pod didn't trigger scale-up: 2 Insufficient memory, 1 max node group size reached",
            component: 'cluster-autoscaler',
          }),
        );
    },
  };
}

/** The conf ConfigMap cannot be mounted: ContainerCreating, FailedMount events from the kubelet. */
export function mountFails(): Behaviour {
  return {
    name: 'a volume that cannot be mounted (FailedMount)',
    async tick(d) {
      await d.once('creating', d.t >= 2, () => d.waiting('ContainerCreating'));
      if (d.t >= 4)
        d.every('mount', 120, () =>
          d.event({
            type: 'Warning',
            reason: 'FailedMount',
            message: 'MountVolume.SetUp failed for volume "spark-conf-volume-driver" : configmap "spark-drv-conf-map" not found',
            component: 'kubelet',
          }),
        );
    },
  };
}

/** No scheduler looks at the pod (none running, or a schedulerName nobody serves): no PodScheduled at all. */
export function noScheduler(): Behaviour {
  return { name: 'no scheduler ever looks at it', tick: () => undefined };
}

/**
 * The script hangs before its SparkSession: it logs that it reads its config over abfss, the
 * ABFS client retries for a while, then nothing (a blocked socket read). No executor, no log.
 */
export function hangsBeforeSession(silentFrom = 150): Behaviour {
  return {
    name: 'hangs before its SparkSession (a blocked abfss read), log silent',
    async tick(d) {
      await starts(d);
      await d.once('config', d.t >= 25, () => d.log('reading abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/etl/config.json'));
      if (d.t >= 60 && d.t < silentFrom)
        d.every('retry', 30, () =>
          d.spark(
            'WARN',
            'AbfsRestOperation',
            'Retrying request: GetPathStatus, attempt 3, error: java.net.SocketTimeoutException: Read timed out',
          ),
        );
    },
  };
}

/**
 * spark.stop() returns, but the process never exits: a non-daemon thread (a client library's pool,
 * a Kubernetes client watch) keeps the JVM up, as Spark's issue tracker reports. Executors gone, log silent.
 */
export function hungAfterStop(stopAt = 900): Behaviour {
  return {
    name: 'spark.stop() done, the process never exits (a non-daemon thread), log silent',
    async tick(d) {
      await starts(d);
      if (d.t < stopAt) await works(d, 40);
      await d.once('stop', d.t >= stopAt, async () => {
        await stopsSpark(d);
        d.state.set('stopped', true);
      });
    },
  };
}

/** Executors asking for more CPU than the namespace's whole compute quota: refused for ever, the allocator retrying. */
export function executorsNeverFitQuota(): Behaviour {
  return {
    name: 'executors larger than the whole compute quota (refused for ever)',
    async tick(d) {
      await starts(d);
      await d.once('session', d.t >= 30, () => sessionLines(d));
      if (d.t < 30) return;
      d.every('allocate', 30, () => d.requestExecutors(1));
      d.every('starving', 15, () =>
        d.spark(
          'WARN',
          'TaskSchedulerImpl',
          'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources',
        ),
      );
    },
  };
}

/** Executors no node can hold (64 GiB each), and no node group that could: Pending for good. */
export function executorsNeverScheduled(): Behaviour {
  return {
    name: 'executors no node can hold (Unschedulable, NotTriggerScaleUp)',
    async tick(d) {
      await starts(d);
      await d.once('ask', d.t >= 60, () => {
        sessionLines(d);
        for (const name of d.requestExecutors(2, 'Pending')) {
          d.setExecutor(name, {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/4 nodes are available: 4 Insufficient memory.',
              },
            ],
          });
          d.event(
            {
              type: 'Normal',
              reason: 'NotTriggerScaleUp',
              message: "pod didn't trigger scale-up: 2 Insufficient memory",
              component: 'cluster-autoscaler',
            },
            name,
          );
        }
      });
      if (d.t >= 60)
        d.every('starving', 15, () =>
          d.spark(
            'WARN',
            'TaskSchedulerImpl',
            'Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources',
          ),
        );
    },
  };
}

/** The driver's node stops reporting: its pod marked not ready, its kubelet unreachable, its executors lose it and exit. */
export function nodeLost(at = 1200): Behaviour {
  return {
    name: "the driver's node is lost",
    async tick(d) {
      await starts(d);
      if (d.t < at) await works(d, 40);
      await d.once('lost', d.t >= at, () => d.loseNode());
      await d.once('executors', d.t >= at + 120, () => {
        for (const e of d.executors())
          d.setExecutor(e.name, {
            phase: 'Failed',
            containerStatuses: [
              {
                name: 'spark-kubernetes-executor',
                state: { terminated: { exitCode: 1, reason: 'Error', message: 'Driver 10.244.0.9:7078 disassociated! Shutting down.' } },
              },
            ],
          });
      });
    },
  };
}

/** A job that loops (a retry loop that never succeeds) and logs all along: alive, but past its deadline. */
export function loopsPastDeadline(): Behaviour {
  return {
    name: 'loops and logs for ever, past its deadline',
    async tick(d) {
      await starts(d);
      await works(d, 40);
    },
  };
}

/**
 * Dynamic allocation releases the idle executors, then the Python main thread deadlocks (a py4j
 * callback waiting on itself): no executor and no log line from then on.
 */
export function deadlocksAtZero(at = 700): Behaviour {
  return {
    name: 'executors released, then the Python main thread deadlocks (log stops)',
    async tick(d) {
      await starts(d);
      if (d.t < at) await works(d, 40);
      await d.once('idle', d.t >= at, async () => {
        for (const e of d.executors())
          d.spark(
            'INFO',
            'ExecutorAllocationManager',
            `Removing executor ${e.name.replace(/.*-exec-/, '')} because it has been idle for 60 seconds (new desired total will be 0)`,
          );
        await d.deleteExecutors();
      });
    },
  };
}
