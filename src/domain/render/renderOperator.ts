/**
 * The operator backend: one SparkApplication (sparkoperator.k8s.io/v1beta2) that makes the Kubeflow
 * Spark Operator launch the driver the native backend would, for clusters that already run it.
 *
 * Followed: kubeflow/spark-operator at 38082f33 (after v2.5.2), the commit of the vendored CRD
 * schema (test/fixtures/crd):
 * - internal/controller/sparkapplication/submission.go (buildSparkSubmitArgs): the operator runs
 *   spark-submit itself with `--name <metadata.name>`, `--conf` for every spec.sparkConf entry, the
 *   spec fields turned into their conf keys, `--py-files` from spec.deps.pyFiles, and a pod
 *   template file from spec.driver.template / spec.executor.template.
 * - internal/webhook/sparkpod_defaulter.go (mutateSparkPod): podSecurityContext, securityContext,
 *   env, priorityClassName and volumes other than spark-local-dir-* reach the pods only through the
 *   operator's mutating webhook, which a cluster may run without (webhook.enable). So pod security,
 *   the driver PriorityClass, the deadline, the job's env and the scratch volumes travel in the pod
 *   templates, which Spark itself applies (as the native backend's executor template does), and no
 *   webhook-only field is set: with the webhook on, it has nothing to change.
 *
 * Every native spark.properties key reaches the SparkApplication: in spec.sparkConf with the same
 * value, or through the field named in CARRIED_BY_FIELDS. Two differ, by the operator's design:
 * spark.app.name is the SparkApplication's name (`--name`, which overrides any spark.app.name in
 * sparkConf) and must be unique per job key, and spark.app.id is Spark's own per submission.
 */
import { DRIVER_CONTAINER, SCRATCH_MOUNTS, SCRATCH_VOLUMES } from './driverLayout.js';
import type { Container, KubeObject, PodSpec } from './kubeObjects.js';
import { ownershipLabels } from './naming.js';
import { containerSecurityContext, podSecurityContext } from './podSecurity.js';
import { executorPodTemplate, jobAnnotations, userEnv } from './renderNative.js';
import type { ResolvedJob } from '../spec/resolveJob.js';
import { executorLabels, sparkProperties } from './sparkProperties.js';

export const SPARK_APPLICATION_API = {
  group: 'sparkoperator.k8s.io',
  version: 'v1beta2',
  plural: 'sparkapplications',
  kind: 'SparkApplication',
} as const;

export interface SparkApplication extends KubeObject {
  readonly spec: Readonly<Record<string, unknown>>;
}

/** A corev1.PodTemplateSpec as the CRD's spec.driver.template / spec.executor.template take it. */
export interface PodTemplateSpec {
  readonly spec: PodSpec;
}

/**
 * The native spark.properties keys that the SparkApplication carries in a field of its own (the
 * operator turns it into the same key), or that the operator or Spark decide. Every other native
 * key goes into spec.sparkConf as it is.
 */
export const CARRIED_BY_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  'spark.master': 'the operator (its in-cluster API server; refused in sparkConf by its webhook)',
  'spark.submit.deployMode': 'spec.mode',
  'spark.app.name': 'metadata.name: the operator passes --name <metadata.name>, which overrides spark.app.name',
  'spark.app.id': 'Spark (a new spark-<uuid> per submission)',
  'spark.kubernetes.namespace': 'metadata.namespace',
  'spark.kubernetes.driver.pod.name': 'spec.driver.podName',
  'spark.kubernetes.submitInDriver': "Spark's cluster-mode submission",
  'spark.kubernetes.memoryOverheadFactor': 'spec.memoryOverheadFactor',
  'spark.driver.host': "the driver Service that the operator's spark-submit creates",
  'spark.submit.pyFiles': 'spec.deps.pyFiles',
  'spark.kubernetes.container.image': 'spec.image',
  'spark.kubernetes.container.image.pullPolicy': 'spec.imagePullPolicy',
  'spark.kubernetes.authenticate.driver.serviceAccountName': 'spec.driver.serviceAccount',
  'spark.kubernetes.executor.podTemplateFile': 'spec.executor.template',
  'spark.kubernetes.executor.podTemplateContainerName': 'spec.executor.template',
  'spark.driver.cores': 'spec.driver.cores',
  'spark.driver.memory': 'spec.driver.memory',
  'spark.driver.memoryOverhead': 'spec.driver.memoryOverhead',
  'spark.executor.cores': 'spec.executor.cores',
  'spark.executor.memory': 'spec.executor.memory',
  'spark.executor.memoryOverhead': 'spec.executor.memoryOverhead',
  'spark.executor.instances': 'spec.executor.instances',
});

/** Native spark.kubernetes.executor.label.<key> entries: spec.executor.labels. */
export const EXECUTOR_LABEL_PREFIX = 'spark.kubernetes.executor.label.';

/**
 * spec.sparkConf: the native spark.properties minus what CARRIED_BY_FIELDS names, plus SPARK_USER,
 * which the native backend sets on the driver container (Spark would take the operator pod's user).
 */
export function operatorSparkConf(job: ResolvedJob): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const [key, value] of Object.entries(sparkProperties(job))) {
    if (Object.hasOwn(CARRIED_BY_FIELDS, key) || key.startsWith(EXECUTOR_LABEL_PREFIX)) continue;
    conf[key] = value;
  }
  conf['spark.kubernetes.driverEnv.SPARK_USER'] = job.sparkUser;
  return conf;
}

/**
 * The driver's pod template: what the native driver pod has beyond Spark's own fields. Spark builds
 * the driver on it (its container found by name) and keeps these fields.
 */
export function operatorDriverTemplate(job: ResolvedJob): PodTemplateSpec {
  const jobVars = userEnv(job);
  const container: Container = {
    name: DRIVER_CONTAINER,
    ...(jobVars.length > 0 ? { env: jobVars } : {}),
    volumeMounts: [...SCRATCH_MOUNTS],
    securityContext: containerSecurityContext(),
  };
  return {
    spec: {
      priorityClassName: job.priorityClassName,
      activeDeadlineSeconds: job.deadlineSeconds,
      securityContext: podSecurityContext(job.profile),
      containers: [container],
      volumes: [...SCRATCH_VOLUMES],
    },
  };
}

/** The executors' pod template: the very spec the native backend gives its executors. */
export function operatorExecutorTemplate(job: ResolvedJob): PodTemplateSpec {
  return { spec: executorPodTemplate(job).spec };
}

export function renderOperator(job: ResolvedJob): SparkApplication {
  const labels = executorLabels(job);
  const props = sparkProperties(job);
  const sparkConf = operatorSparkConf(job);

  return {
    apiVersion: `${SPARK_APPLICATION_API.group}/${SPARK_APPLICATION_API.version}`,
    kind: SPARK_APPLICATION_API.kind,
    metadata: {
      // Unique per job key (its hash): also the app name the operator gives Spark.
      name: job.names.prefix,
      namespace: job.namespace,
      labels: ownershipLabels(job),
      annotations: jobAnnotations(job),
    },
    spec: {
      type: 'Python',
      mode: 'cluster',
      image: job.image.image,
      imagePullPolicy: job.image.imagePullPolicy,
      sparkVersion: job.image.spark,
      mainApplicationFile: job.main,
      ...(job.args.length > 0 ? { arguments: [...job.args] } : {}),
      ...(job.pyFiles.length > 0 ? { deps: { pyFiles: [...job.pyFiles] } } : {}),
      memoryOverheadFactor: props['spark.kubernetes.memoryOverheadFactor'],
      sparkConf,
      // Retries are the dispatcher's decision (deferred / redelivered), never a silent re-run.
      restartPolicy: { type: 'Never' },
      driver: {
        podName: job.names.driverPod,
        cores: job.driver.cores,
        memory: job.driver.memory,
        memoryOverhead: `${job.driver.pod.overheadMiB}m`,
        ...(job.driver.limitCores ? { coreLimit: job.driver.limitCores } : {}),
        serviceAccount: job.serviceAccount,
        labels,
        annotations: jobAnnotations(job),
        template: operatorDriverTemplate(job),
      },
      executor: {
        cores: job.executor.cores,
        instances: job.executor.instances,
        memory: job.executor.memory,
        ...(job.executor.memoryOverhead ? { memoryOverhead: job.executor.memoryOverhead } : {}),
        labels,
        deleteOnTermination: true,
        template: operatorExecutorTemplate(job),
      },
    },
  };
}
