/**
 * The operator backend: one SparkApplication (sparkoperator.k8s.io/v1beta2) carrying the same
 * intent as the native objects, for clusters that already run the Kubeflow Spark Operator. The
 * operator runs spark-submit itself, so names, ports and the driver Service are its business;
 * the driver pod name is pinned so the sweeper finds it the same way.
 */
import { SCRATCH_MOUNTS, SCRATCH_VOLUMES } from './driverLayout.js';
import type { KubeObject } from './kubeObjects.js';
import { PYTHON_OVERHEAD_FACTOR } from './memory.js';
import { ownershipLabels } from './naming.js';
import { containerSecurityContext, podSecurityContext } from './podSecurity.js';
import { jobAnnotations, userEnv } from './renderNative.js';
import type { ResolvedJob } from '../spec/resolveJob.js';
import { executorLabels, jobSparkConf } from './sparkProperties.js';

export const SPARK_APPLICATION_API = { group: 'sparkoperator.k8s.io', version: 'v1beta2', plural: 'sparkapplications', kind: 'SparkApplication' } as const;

export interface SparkApplication extends KubeObject {
  readonly spec: Readonly<Record<string, unknown>>;
}

export function renderOperator(job: ResolvedJob): SparkApplication {
  const labels = executorLabels(job);
  const mounts = [...SCRATCH_MOUNTS];
  const sparkConf = jobSparkConf(job);
  const factor = job.conf['spark.kubernetes.memoryOverheadFactor'] ?? String(PYTHON_OVERHEAD_FACTOR);
  delete sparkConf['spark.kubernetes.memoryOverheadFactor'];

  return {
    apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`,
    kind: SPARK_APPLICATION_API.kind,
    metadata: {
      name: job.names.prefix,
      namespace: job.namespace,
      labels: ownershipLabels(job),
      annotations: jobAnnotations(job),
    },
    spec: {
      type: 'Python',
      pythonVersion: '3',
      mode: 'cluster',
      image: job.image.image,
      imagePullPolicy: job.image.imagePullPolicy,
      sparkVersion: job.image.spark,
      mainApplicationFile: job.main,
      ...(job.args.length > 0 ? { arguments: [...job.args] } : {}),
      ...(job.pyFiles.length > 0 ? { deps: { pyFiles: [...job.pyFiles] } } : {}),
      memoryOverheadFactor: factor,
      ...(Object.keys(sparkConf).length > 0 ? { sparkConf } : {}),
      // Retries are the dispatcher's decision (deferred / redelivered), never a silent re-run.
      restartPolicy: { type: 'Never' },
      driver: {
        podName: job.names.driverPod,
        cores: job.driver.cores,
        memory: job.driver.memory,
        memoryOverhead: `${job.driver.pod.overheadMiB}m`,
        ...(job.driver.limitCores ? { coreLimit: job.driver.limitCores } : {}),
        serviceAccount: job.serviceAccount,
        priorityClassName: job.priorityClassName,
        labels,
        annotations: jobAnnotations(job),
        ...(Object.keys(job.env).length > 0 ? { env: userEnv(job) } : {}),
        podSecurityContext: podSecurityContext(job.profile),
        securityContext: containerSecurityContext(),
        volumeMounts: mounts,
      },
      executor: {
        cores: job.executor.cores,
        instances: job.executor.instances,
        memory: job.executor.memory,
        ...(job.executor.memoryOverhead ? { memoryOverhead: job.executor.memoryOverhead } : {}),
        labels,
        podSecurityContext: podSecurityContext(job.profile),
        securityContext: containerSecurityContext(),
        volumeMounts: mounts,
        deleteOnTermination: true,
      },
      volumes: [...SCRATCH_VOLUMES],
    },
  };
}
