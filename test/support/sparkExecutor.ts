/**
 * The objects a Spark driver creates for a job rendered by spark-dispatch, built the way Spark 3.5/4.0
 * build them (resource-managers/kubernetes/core/src/main/scala/org/apache/spark/…), from what the
 * driver really gets: its spark.properties and the executor pod template in the job's ConfigMap.
 *
 * - The executor pod: the template's pod and its `spark-kubernetes-executor` container
 *   (spark.kubernetes.executor.podTemplateFile / podTemplateContainerName), then
 *   BasicExecutorFeatureStep (name `<podNamePrefix>-exec-<id>`, Spark's labels plus
 *   spark.kubernetes.executor.label.*, an ownerReference to the driver pod with controller: true, the
 *   image, resources, env, the block manager port, args `executor`, the conf volume
 *   `spark-conf-volume-exec` from the executors' ConfigMap), ExecutorKubernetesCredentialsFeatureStep
 *   (serviceAccountName = the driver's, spark.kubernetes.authenticate.driver.serviceAccountName) and
 *   LocalDirsFeatureStep (an emptyDir `spark-local-dir-1`).
 * - What the API server's admission adds before validation: the ServiceAccount plugin's projected
 *   `kube-api-access-*` volume (token, kube-root-ca.crt, namespace), OpenShift's service CA ConfigMap
 *   in it, and on AKS the Workload Identity webhook's projected token and AZURE_* variables.
 * - The executors' ConfigMap (KubernetesClusterSchedulerBackend.setUpExecutorConfigMap) and an
 *   on-demand PVC (MountVolumesFeatureStep, owned by the driver: ownPersistentVolumeClaim).
 */
import { parse as parseYaml } from 'yaml';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { sparkProperties } from '../../src/domain/render/sparkProperties.js';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}
export interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerRef[];
}
export interface EnvJson {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}
export interface ContainerJson {
  name: string;
  image: string;
  args?: string[];
  env?: EnvJson[];
  envFrom?: Record<string, unknown>[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  [field: string]: unknown;
}
export type VolumeJson = { name: string } & Record<string, unknown>;
export interface PodJson {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: Meta;
  spec: {
    serviceAccountName?: string;
    serviceAccount?: string;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    containers: ContainerJson[];
    initContainers?: ContainerJson[];
    volumes: VolumeJson[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}
export interface ConfigMapJson {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: Meta;
  immutable?: boolean;
  data: Record<string, string>;
}
export interface PvcJson {
  apiVersion: 'v1';
  kind: 'PersistentVolumeClaim';
  metadata: Meta;
  spec: Record<string, unknown>;
}

/** The driver pod as the API server stored it: renderNative's pod with a uid. */
export function createdDriver(job: ResolvedJob, uid = '7d1c4e2a-0b5f-4c3e-9a8d-2f6b1e0c9d47'): PodJson {
  const { pod } = renderNative(job);
  return { ...(structuredClone(pod) as unknown as PodJson), metadata: { ...(structuredClone(pod.metadata) as Meta), uid } as Meta };
}

const uidOf = (pod: PodJson): string => (pod.metadata as Meta & { uid: string }).uid;
export const ownerRefTo = (driver: PodJson): OwnerRef => ({
  apiVersion: 'v1',
  kind: 'Pod',
  name: driver.metadata.name,
  uid: uidOf(driver),
  controller: true,
});

/** KubernetesClientUtils.configMapNameExecutor: `spark-exec-` + KubernetesUtils.uniqueID() (6 random hex + the time in hex) + `-conf-map`. */
export const EXECUTOR_CONFIGMAP = 'spark-exec-3fa2c1196d5e2b7a40-conf-map';

export type Platform = 'aks' | 'openshift';

/**
 * The executor pod after mutating admission (what validating admission sees), or with `asSent`
 * the pod as the driver sends it (what a real API server is given to admit).
 */
export function sparkExecutorPod(
  job: ResolvedJob,
  driver: PodJson,
  options: { execId?: number; platform?: Platform; asSent?: boolean } = {},
): PodJson {
  const execId = String(options.execId ?? 1);
  const props = sparkProperties(job);
  const { configMap } = renderNative(job);
  const template = parseYaml(configMap.data['pod-spec-template.yml']!) as PodJson;
  const containerName = props['spark.kubernetes.executor.podTemplateContainerName']!;
  const base = template.spec.containers.find((c) => c.name === containerName);
  if (!base) throw new Error(`the executor template has no container ${containerName}`);
  const name = `${props['spark.kubernetes.executor.podNamePrefix']}-exec-${execId}`;
  const appId = props['spark.app.id']!;
  const serviceAccount = props['spark.kubernetes.authenticate.driver.serviceAccountName']!;
  const customLabels = Object.fromEntries(
    Object.entries(props)
      .filter(([k]) => k.startsWith('spark.kubernetes.executor.label.'))
      .map(([k, v]) => [k.slice('spark.kubernetes.executor.label.'.length), v]),
  );
  const localDir = `/var/data/spark-${'0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'}`;
  const memory = `${job.executor.pod.totalMiB}Mi`;

  const pod: PodJson = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: job.namespace,
      labels: {
        ...customLabels,
        'spark-version': job.image.spark,
        'spark-exec-id': execId,
        'spark-app-selector': appId,
        'spark-app-name': job.names.appNameLabel,
        'spark-role': 'executor',
        'spark-exec-resourceprofile-id': '0',
      },
      ownerReferences: [ownerRefTo(driver)],
    },
    spec: {
      ...template.spec,
      hostname: name.slice(-63),
      restartPolicy: 'Never',
      serviceAccountName: serviceAccount,
      serviceAccount,
      containers: [
        {
          ...base,
          image: props['spark.kubernetes.container.image']!,
          imagePullPolicy: props['spark.kubernetes.container.image.pullPolicy'],
          resources: { requests: { cpu: String(job.executor.cores), memory }, limits: { memory } },
          env: [
            { name: 'SPARK_USER', value: job.sparkUser },
            {
              name: 'SPARK_DRIVER_URL',
              value: `spark://CoarseGrainedScheduler@${props['spark.driver.host']}:${props['spark.driver.port']}`,
            },
            { name: 'SPARK_EXECUTOR_CORES', value: String(job.executor.cores) },
            { name: 'SPARK_EXECUTOR_MEMORY', value: props['spark.executor.memory']! },
            { name: 'SPARK_APPLICATION_ID', value: appId },
            { name: 'SPARK_CONF_DIR', value: '/opt/spark/conf' },
            { name: 'SPARK_EXECUTOR_ID', value: execId },
            { name: 'SPARK_RESOURCE_PROFILE_ID', value: '0' },
            { name: 'SPARK_EXECUTOR_POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            { name: 'SPARK_EXECUTOR_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'SPARK_LOCAL_DIRS', value: localDir },
          ],
          ports: [{ name: 'blockmanager', containerPort: Number(props['spark.blockManager.port']) }],
          args: ['executor'],
          volumeMounts: [
            ...(base.volumeMounts ?? []),
            { name: 'spark-local-dir-1', mountPath: localDir },
            { name: 'spark-conf-volume-exec', mountPath: '/opt/spark/conf' },
          ],
        },
      ],
      volumes: [
        ...(template.spec.volumes ?? []),
        { name: 'spark-local-dir-1', emptyDir: {} },
        {
          name: 'spark-conf-volume-exec',
          configMap: { name: EXECUTOR_CONFIGMAP, items: [{ key: 'spark.properties', path: 'spark.properties', mode: 420 }] },
        },
      ],
    },
  };
  return options.asSent === true ? pod : admitted(pod, options.platform ?? job.profile);
}

/** What mutating admission adds before validating admission sees the pod. */
function admitted(pod: PodJson, platform: Platform): PodJson {
  const out = structuredClone(pod);
  const sources: Record<string, unknown>[] = [
    { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ...(platform === 'openshift'
      ? [{ configMap: { name: 'openshift-service-ca.crt', items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }] } }]
      : []),
  ];
  out.spec.volumes.push({ name: 'kube-api-access-x7k2p', projected: { defaultMode: 420, sources } });
  const mounts = [{ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }];
  if (platform === 'aks' && out.metadata.labels?.['azure.workload.identity/use'] === 'true') {
    out.spec.volumes.push({
      name: 'azure-identity-token',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { audience: 'api://AzureADTokenExchange', expirationSeconds: 3600, path: 'azure-identity-token' } },
        ],
      },
    });
    mounts.push({ name: 'azure-identity-token', mountPath: '/var/run/secrets/azure/tokens', readOnly: true });
    for (const c of out.spec.containers) {
      c.env = [
        ...(c.env ?? []),
        { name: 'AZURE_CLIENT_ID', value: '11111111-1111-1111-1111-111111111111' },
        { name: 'AZURE_TENANT_ID', value: '22222222-2222-2222-2222-222222222222' },
        { name: 'AZURE_FEDERATED_TOKEN_FILE', value: '/var/run/secrets/azure/tokens/azure-identity-token' },
        { name: 'AZURE_AUTHORITY_HOST', value: 'https://login.microsoftonline.com/' },
      ];
    }
  }
  if (platform === 'openshift') {
    out.metadata.annotations = { ...out.metadata.annotations, 'openshift.io/scc': 'restricted-v2' };
    out.spec.imagePullSecrets = [{ name: 'spark-driver-dockercfg-5xq2z' }];
  }
  for (const c of out.spec.containers) c.volumeMounts = [...(c.volumeMounts ?? []), ...mounts];
  return out;
}

/** The executors' ConfigMap, as setUpExecutorConfigMap creates it. */
export function sparkExecutorConfigMap(job: ResolvedJob, driver: PodJson): ConfigMapJson {
  const appId = sparkProperties(job)['spark.app.id']!;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: EXECUTOR_CONFIGMAP,
      namespace: job.namespace,
      labels: { 'spark-app-selector': appId, 'spark-role': 'executor' },
      ownerReferences: [ownerRefTo(driver)],
    },
    immutable: true,
    data: { 'spark.properties': `spark.kubernetes.namespace=${job.namespace}\n` },
  };
}

/** An on-demand executor PVC (claimName OnDemand), owned by the driver pod. */
export function sparkOnDemandPvc(job: ResolvedJob, driver: PodJson): PvcJson {
  const props = sparkProperties(job);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: `${props['spark.kubernetes.executor.podNamePrefix']}-exec-1-pvc-0`,
      namespace: job.namespace,
      labels: { 'spark-app-selector': props['spark.app.id']!, 'spark-exec-id': '1' },
      ownerReferences: [ownerRefTo(driver)],
    },
    spec: { storageClassName: 'managed-csi', accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '100Gi' } } },
  };
}
