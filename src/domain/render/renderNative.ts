/**
 * The native backend: the three objects `spark-submit --deploy-mode cluster` would create, built
 * without a JVM. The launcher creates the Pod first, then the ConfigMap and Service with an
 * ownerReference to it (see `ownedBy`), so deleting the driver pod garbage-collects the rest.
 */
import { stringify as toYaml } from 'yaml';
import {
  DRIVER_CONTAINER,
  DRIVER_SERVICE_IP_FAMILIES,
  DRIVER_SERVICE_IP_FAMILIES_SINCE,
  EXECUTOR_CONTAINER,
  LOCAL_DIR,
  POD_TEMPLATE_DIR,
  POD_TEMPLATE_FILE,
  PORTS,
  PROPERTIES_FILE,
  SCRATCH_MOUNTS,
  SCRATCH_VOLUMES,
  SPARK_CONF_DIR,
  VOLUMES,
} from './driverLayout.js';
import { toJavaProperties } from './javaProperties.js';
import { compareVersions } from './abfsAuth.js';
import type { ConfigMap, EnvVar, KubeObject, OwnerReference, Pod, Service, Volume } from './kubeObjects.js';
import { mebibytes } from '../spec/quantity.js';
import { ANNOTATIONS, LABELS, ownershipLabels } from './naming.js';
import { containerSecurityContext, podSecurityContext } from './podSecurity.js';
import type { ResolvedJob } from '../spec/resolveJob.js';
import { sparkProperties } from './sparkProperties.js';

export interface NativeObjects {
  readonly pod: Pod;
  readonly configMap: ConfigMap;
  readonly service: Service;
}

const MAX_SOURCE_ANNOTATION = 1024;

export function driverLabels(job: ResolvedJob): Record<string, string> {
  return {
    ...job.labels,
    [LABELS.appSelector]: job.names.appId,
    [LABELS.role]: 'driver',
    [LABELS.appName]: job.names.appNameLabel,
    [LABELS.version]: job.image.spark,
    ...ownershipLabels(job),
    ...(job.workloadIdentity ? { [LABELS.workloadIdentity]: 'true' } : {}),
  };
}

export function jobAnnotations(job: ResolvedJob): Record<string, string> {
  return {
    [ANNOTATIONS.jobKey]: job.jobKey,
    [ANNOTATIONS.jobName]: job.name,
    [ANNOTATIONS.source]: `${job.source.kind}:${job.source.ref}`.slice(0, MAX_SOURCE_ANNOTATION),
    [ANNOTATIONS.deadlineSeconds]: String(job.deadlineSeconds),
    [ANNOTATIONS.executors]: job.executor.dynamicAllocation ? 'dynamic' : `static:${job.executor.instances ?? 0}`,
  };
}

/** The job's own environment variables, sorted by name (the same job always renders the same pod). */
export function userEnv(job: ResolvedJob): EnvVar[] {
  return Object.keys(job.env)
    .sort()
    .map((name) => ({ name, value: job.env[name]! }));
}

/** Labels on the ConfigMap and Service: enough for Spark's clean-up (by app selector) and ours. */
function companionLabels(job: ResolvedJob): Record<string, string> {
  return { [LABELS.appSelector]: job.names.appId, ...ownershipLabels(job) };
}

export function renderNative(job: ResolvedJob): NativeObjects {
  const { names, namespace } = job;
  const labels = driverLabels(job);
  const annotations = jobAnnotations(job);

  const configMap: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.configMap, namespace, labels: companionLabels(job), annotations },
    immutable: true,
    data: {
      [PROPERTIES_FILE]: toJavaProperties(sparkProperties(job), `Spark conf of job ${names.appId}, written by spark-dispatch`),
      [POD_TEMPLATE_FILE]: executorPodTemplateYaml(job),
    },
  };

  const env: EnvVar[] = [
    { name: 'SPARK_USER', value: job.sparkUser },
    { name: 'SPARK_APPLICATION_ID', value: names.appId },
    { name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'SPARK_LOCAL_DIRS', value: LOCAL_DIR },
    { name: 'SPARK_CONF_DIR', value: SPARK_CONF_DIR },
    ...(job.image.pythonPath
      ? [
          { name: 'PYSPARK_PYTHON', value: job.image.pythonPath },
          { name: 'PYSPARK_DRIVER_PYTHON', value: job.image.pythonPath },
        ]
      : []),
    ...userEnv(job),
  ];

  const memory = mebibytes(job.driver.pod.totalMiB);
  const volumes: Volume[] = [
    { name: VOLUMES.localDir, emptyDir: {} },
    { name: VOLUMES.conf, configMap: { name: names.configMap, items: [{ key: PROPERTIES_FILE, path: PROPERTIES_FILE, mode: 0o644 }] } },
    {
      name: VOLUMES.podTemplate,
      configMap: { name: names.configMap, items: [{ key: POD_TEMPLATE_FILE, path: POD_TEMPLATE_FILE, mode: 0o644 }] },
    },
    ...SCRATCH_VOLUMES,
  ];

  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: names.driverPod, namespace, labels, annotations },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: job.serviceAccount,
      priorityClassName: job.priorityClassName,
      activeDeadlineSeconds: job.deadlineSeconds,
      securityContext: podSecurityContext(job.profile),
      containers: [
        {
          name: DRIVER_CONTAINER,
          image: job.image.image,
          imagePullPolicy: job.image.imagePullPolicy,
          // No `command`: the image entrypoint turns `driver` into an in-pod spark-submit.
          args: [
            'driver',
            '--properties-file',
            `${SPARK_CONF_DIR}/${PROPERTIES_FILE}`,
            '--class',
            'org.apache.spark.deploy.PythonRunner',
            job.main,
            ...job.args,
          ],
          env,
          ports: PORTS.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' as const })),
          resources: {
            requests: { cpu: String(job.driver.cores), memory },
            limits: { memory, ...(job.driver.limitCores ? { cpu: job.driver.limitCores } : {}) },
          },
          volumeMounts: [
            { name: VOLUMES.localDir, mountPath: LOCAL_DIR },
            { name: VOLUMES.conf, mountPath: SPARK_CONF_DIR },
            { name: VOLUMES.podTemplate, mountPath: POD_TEMPLATE_DIR },
            ...SCRATCH_MOUNTS,
          ],
          securityContext: containerSecurityContext(),
        },
      ],
      volumes,
    },
  };

  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.service, namespace, labels: companionLabels(job), annotations },
    spec: {
      clusterIP: 'None',
      ...driverServiceIpFamilies(job.image.spark),
      selector: labels,
      ports: PORTS.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' as const })),
    },
  };

  return { pod, configMap, service };
}

/**
 * `ipFamilyPolicy: SingleStack` and `ipFamilies: [IPv4]`, as DriverServiceFeatureStep renders them
 * from Spark 3.4.0 on (driverLayout.ts); nothing for older images, as their Spark sets neither.
 */
export function driverServiceIpFamilies(sparkVersion: string): Pick<Service['spec'], 'ipFamilyPolicy' | 'ipFamilies'> {
  if (compareVersions(sparkVersion, DRIVER_SERVICE_IP_FAMILIES_SINCE) < 0) return {};
  return { ipFamilyPolicy: DRIVER_SERVICE_IP_FAMILIES.ipFamilyPolicy, ipFamilies: DRIVER_SERVICE_IP_FAMILIES.ipFamilies };
}

const EXECUTOR_TEMPLATE_NAME = 'spark-executor-template';

/**
 * The template file, written once per cluster profile: YAML stringification was 4 % of a job's CPU
 * end to end, for a text that differs only by profile.
 */
const templateYaml = new Map<ResolvedJob['profile'], string>();
function executorPodTemplateYaml(job: ResolvedJob): string {
  let text = templateYaml.get(job.profile);
  if (text === undefined) templateYaml.set(job.profile, (text = toYaml(executorPodTemplate(job), { aliasDuplicateObjects: false })));
  return text;
}

/**
 * Executors get the same restricted security through a pod template (Spark keeps
 * securityContext, volumes and priorityClassName from it). No priorityClassName here: the
 * driver quota counts pods of the driver PriorityClass, and executors must not use it up.
 */
export function executorPodTemplate(job: ResolvedJob): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    // Spark names executor pods itself and ignores the template's name ("The executor pod names
    // will be unaffected", Pod Template Properties in docs/running-on-kubernetes.md), so the name
    // is the same for every job and the file depends on the cluster profile alone.
    metadata: { name: EXECUTOR_TEMPLATE_NAME },
    spec: {
      securityContext: podSecurityContext(job.profile),
      containers: [
        {
          name: EXECUTOR_CONTAINER,
          volumeMounts: [...SCRATCH_MOUNTS],
          securityContext: containerSecurityContext(),
        },
      ],
      volumes: [...SCRATCH_VOLUMES],
    },
  };
}

/**
 * Marks an object as owned by the created driver, exactly as Spark does (controller: true): the
 * driver pod, or with the operator backend the SparkApplication.
 */
export function ownedBy<T extends KubeObject>(
  object: T,
  driver: {
    readonly apiVersion?: string;
    readonly kind?: string;
    readonly metadata: { readonly name: string; readonly uid?: string | undefined };
  },
): T {
  if (!driver.metadata.uid) throw new Error(`driver ${driver.metadata.name} has no uid: it must be created before its companions`);
  const owner: OwnerReference = {
    apiVersion: driver.apiVersion ?? 'v1',
    kind: driver.kind ?? 'Pod',
    name: driver.metadata.name,
    uid: driver.metadata.uid,
    controller: true,
  };
  return { ...object, metadata: { ...object.metadata, ownerReferences: [owner] } };
}

/**
 * The operator backend's hold on the job key in the cluster: an empty ConfigMap under the name
 * the native backend's conf ConfigMap has (it comes from the key alone), owned by the
 * SparkApplication. A second launch of the key under another name finds it held and withdraws.
 * (The operator's own spark-submit names its ConfigMaps at random, so they never collide.)
 */
export function keyClaim(job: ResolvedJob): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: job.names.configMap, namespace: job.namespace, labels: companionLabels(job), annotations: jobAnnotations(job) },
    immutable: true,
    data: {},
  };
}
