/**
 * spark.properties: the conf the driver's in-pod spark-submit reads. User conf first, then what
 * the dispatcher owns (policy already refused user keys that would collide).
 */
import { IN_CLUSTER_MASTER, POD_TEMPLATE_DIR, POD_TEMPLATE_FILE, EXECUTOR_CONTAINER, PORTS } from './driverLayout.js';
import { LABELS, ownershipLabels } from './naming.js';
import { PYTHON_OVERHEAD_FACTOR } from './memory.js';
import type { ResolvedJob } from '../spec/resolveJob.js';

export function sparkProperties(job: ResolvedJob): Record<string, string> {
  const { names } = job;
  const props = jobSparkConf(job);
  const set = (key: string, value: string | number | undefined) => {
    if (value !== undefined) props[key] = String(value);
  };

  set('spark.master', IN_CLUSTER_MASTER);
  set('spark.submit.deployMode', 'cluster');
  set('spark.app.name', job.name);
  set('spark.app.id', names.appId);
  set('spark.kubernetes.namespace', job.namespace);
  // Required: the driver looks up its own pod by this name to own its executors.
  set('spark.kubernetes.driver.pod.name', names.driverPod);
  set('spark.kubernetes.submitInDriver', 'true');
  set('spark.kubernetes.resource.type', 'python');
  // So executors get the Python factor too, unless the user chose one.
  if (job.conf['spark.kubernetes.memoryOverheadFactor'] === undefined) set('spark.kubernetes.memoryOverheadFactor', PYTHON_OVERHEAD_FACTOR);
  set('spark.driver.host', `${names.service}.${job.namespace}.svc`);
  set('spark.driver.port', PORTS[0].port);
  set('spark.driver.blockManager.port', PORTS[1].port);
  // Executors too: the namespace's NetworkPolicy opens 7079 between driver and executors.
  set('spark.blockManager.port', PORTS[1].port);
  if (job.pyFiles.length > 0) set('spark.submit.pyFiles', job.pyFiles.join(','));
  set('spark.kubernetes.container.image', job.image.image);
  set('spark.kubernetes.container.image.pullPolicy', job.image.imagePullPolicy);
  set('spark.kubernetes.authenticate.driver.serviceAccountName', job.serviceAccount);
  set('spark.kubernetes.executor.podNamePrefix', names.executorPrefix);
  set('spark.kubernetes.executor.podTemplateFile', `${POD_TEMPLATE_DIR}/${POD_TEMPLATE_FILE}`);
  set('spark.kubernetes.executor.podTemplateContainerName', EXECUTOR_CONTAINER);

  set('spark.driver.cores', job.driver.cores);
  set('spark.driver.memory', job.driver.memory);
  set('spark.driver.memoryOverhead', `${job.driver.pod.overheadMiB}m`);
  set('spark.executor.cores', job.executor.cores);
  set('spark.executor.memory', job.executor.memory);
  set('spark.executor.memoryOverhead', job.executor.memoryOverhead);
  set('spark.executor.instances', job.executor.instances);

  for (const [key, value] of Object.entries(executorLabels(job))) set(`spark.kubernetes.executor.label.${key}`, value);
  return props;
}

/**
 * The conf both backends hand to Spark as it is: the user's (after policy), keyless ABFS access,
 * and the image's Python when it is not the default. A new object each call, for the caller to add to.
 */
export function jobSparkConf(job: ResolvedJob): Record<string, string> {
  return {
    ...job.conf,
    ...dynamicAllocationConf(job),
    ...job.storageConf,
    ...(job.image.pythonPath ? { 'spark.pyspark.python': job.image.pythonPath, 'spark.pyspark.driver.python': job.image.pythonPath } : {}),
  };
}

export const SHUFFLE_TRACKING = 'spark.dynamicAllocation.shuffleTracking.enabled';

/**
 * Dynamic allocation on Kubernetes: there is no external shuffle service, so Spark needs shuffle
 * tracking (or shuffle-block decommissioning, which the conf policy asks for when a job turns
 * tracking off); ExecutorAllocationManager.validateSettings refuses to start otherwise. It is on by
 * default in 3.4+, and written here so that the intent does not hang on a default. The bounds
 * (spark.dynamicAllocation.maxExecutors, required, and min/initial within it) are the job's conf,
 * and spark.executor.instances only when the spec gives an initial number.
 */
function dynamicAllocationConf(job: ResolvedJob): Record<string, string> {
  return job.executor.dynamicAllocation && job.conf[SHUFFLE_TRACKING] === undefined ? { [SHUFFLE_TRACKING]: 'true' } : {};
}

/** Labels that executors carry besides Spark's own (spark-app-selector, spark-role, …). */
export function executorLabels(job: ResolvedJob): Record<string, string> {
  return {
    ...job.labels,
    ...ownershipLabels(job),
    ...(job.workloadIdentity ? { [LABELS.workloadIdentity]: 'true' } : {}),
  };
}
