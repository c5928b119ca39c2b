/**
 * The Kubernetes objects a team namespace needs before spark-dispatch can launch drivers there:
 * the namespace itself, the driver's service account and Spark's Role, the binding of the driver
 * admission policy, the dispatcher's own least-privilege Role, the driver quota, a LimitRange and
 * NetworkPolicies. Pure: the manifests in infra/kubernetes/ and `spark-dispatch manifests` both come
 * from here (a test keeps the checked-in YAML equal to this code).
 *
 * What every team namespace shares is separate (`clusterBundle`): the driver PriorityClass and the
 * driver ValidatingAdmissionPolicy, one each per cluster, installed by a cluster admin.
 */
import { driverPriorityClass, driverQuota } from './capacityObjects.js';
import { driverAdmissionPolicy, driverAdmissionPolicyBinding } from './driverAdmissionPolicy.js';
import { PORTS } from './driverLayout.js';
import { podMemory } from './memory.js';
import { LABELS, PART_OF } from './naming.js';
import { SPARK_APPLICATION_API } from './renderOperator.js';
import { memoryToMiB } from '../spec/quantity.js';
import type { ClusterProfile, Limits } from '../../settings/settingsSchema.js';
import { DEFAULT_LIMITS } from '../tenant/namespacePolicy.js';
import type { KubeObjectRecord } from './kubeObjects.js';

export type { KubeObjectRecord };

export interface DispatcherPrincipal {
  readonly kind: 'User' | 'Group' | 'ServiceAccount';
  readonly name: string;
  /** ServiceAccount only; default: the team namespace. */
  readonly namespace?: string;
}

export interface NamespaceBundleOptions {
  readonly namespace: string;
  readonly profile: ClusterProfile;
  readonly driverServiceAccount: string;
  readonly priorityClassName: string;
  readonly maxConcurrentDrivers: number;
  /** Azure Workload Identity client id of the driver's identity (aks only). */
  readonly workloadIdentityClientId?: string;
  /**
   * Who the dispatcher is to the API server: on AKS with Entra ID the Function's managed identity
   * (its object id, as a User); on OpenShift a ServiceAccount in the dispatcher's namespace.
   */
  readonly dispatcherPrincipal: DispatcherPrincipal;
  /** Where Spark pods may reach storage over HTTPS; default: anywhere on 443. */
  readonly storageEgressCidrs?: readonly string[];
  /**
   * Let Spark pods reach the Azure Instance Metadata Service (169.254.169.254:80): only for
   * storage.auth.mode managed-identity (hadoop-azure's MsiTokenProvider asks IMDS for tokens).
   * Off by default: IMDS hands out the node's identities to any pod that can reach it.
   */
  readonly instanceMetadataEgress?: boolean;
  /** Where the API server is; default: anywhere on 443 and 6443. */
  readonly apiServerCidrs?: readonly string[];
  /** The job limits of the namespace (namespacePolicy's): they size the LimitRange. Default: DEFAULT_LIMITS. */
  readonly limits?: Limits;
}

export const DRIVER_ROLE = 'spark-driver';
export const DISPATCHER_ROLE = 'spark-dispatch';
export const LIMIT_RANGE = 'spark-dispatch-defaults';
export const NETWORK_POLICIES = {
  defaultDeny: 'spark-default-deny',
  driverIngress: 'spark-driver-ingress',
  executorIngress: 'spark-executor-ingress',
  egress: 'spark-egress',
} as const;

/**
 * What Spark's driver calls with its service account, and no more (read off Spark 3.5 and 4.0,
 * resource-managers/kubernetes/core/src/main/scala/org/apache/spark/…; the driver's fabric8 client
 * (6.x in Spark 3.5, 7.x in 4.0) turns `withLabel(…).delete()` into one deletecollection request).
 * No Secrets, no `update` (Spark patches), nothing on other kinds. The ValidatingAdmissionPolicy in
 * driverAdmissionPolicy.ts narrows `create`, `patch` and the deletes to the driver's own executors.
 */
export const DRIVER_RULES = [
  {
    resource: 'pods',
    // get: ExecutorPodsAllocator reads its own pod (spark.kubernetes.driver.pod.name) to own its executors;
    //   get, list, watch: waitUntilReady on it, ExecutorPodsWatchSnapshotSource (watch by spark-app-selector and
    //   spark-role=executor), ExecutorPodsPollingSnapshotSource (list, the same labels).
    // create: ExecutorPodsAllocator.requestNewExecutors.
    // patch: ExecutorPodsLifecycleManager.removeExecutorFromK8s labels finished executors spark-exec-inactive when
    //   spark.kubernetes.executor.deleteOnTermination=false; KubernetesClusterSchedulerBackend.labelDecommissioningExecs.
    // delete: ExecutorPodsLifecycleManager.removeExecutorFromK8s (one executor by name), ExecutorPodsAllocator
    //   (the pod whose PVC could not be created).
    // deletecollection: ExecutorPodsAllocator.stop and its timed-out/excess executors, doKillExecutors (by labels).
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete', 'deletecollection'],
  },
  // create: KubernetesClusterSchedulerBackend.setUpExecutorConfigMap (spark-exec-<id>-conf-map);
  // deletecollection: its stop(), by spark-app-selector and spark-role=executor.
  { resource: 'configmaps', verbs: ['create', 'deletecollection'] },
  // deletecollection: KubernetesClusterSchedulerBackend.stop() with spark.kubernetes.driver.service.deleteOnTermination
  // (default true). The driver Service itself is created by the dispatcher (or the operator's spark-submit).
  { resource: 'services', verbs: ['deletecollection'] },
  // list: ExecutorPodsAllocator.getReusablePVCs; create: on-demand claims (spark.kubernetes.executor.volumes.
  // persistentVolumeClaim.*.options.claimName=OnDemand); deletecollection: stop() with ownPersistentVolumeClaim.
  { resource: 'persistentvolumeclaims', verbs: ['list', 'create', 'deletecollection'] },
] as const;

/** Executors' block manager port: spark.properties pins spark.blockManager.port to the driver's block manager port. */
const EXECUTOR_BLOCK_MANAGER_PORT = PORTS[1].port;
const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface ClusterBundleOptions {
  readonly priorityClassName: string;
  /** The version catalog's images (settings.images): the only images a driver may give its executors. */
  readonly images: readonly string[];
}

export function clusterBundle(options: ClusterBundleOptions): KubeObjectRecord[] {
  return [driverPriorityClass(options.priorityClassName), driverAdmissionPolicy(options.images)];
}

export function namespaceBundle(options: NamespaceBundleOptions): KubeObjectRecord[] {
  const { namespace } = options;
  const meta = (name: string, extra: { annotations?: Record<string, string> } = {}) => ({
    name,
    namespace,
    labels: { ...PART_OF },
    ...extra,
  });
  // The Workload Identity annotation is part of the aks profile; the openshift service account stays plain.
  const clientId = options.profile === 'aks' ? options.workloadIdentityClientId : undefined;

  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', ...PART_OF } },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(
        options.driverServiceAccount,
        clientId === undefined ? {} : { annotations: { 'azure.workload.identity/client-id': clientId } },
      ),
    },
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'Role',
      metadata: meta(DRIVER_ROLE),
      rules: DRIVER_RULES.map((r) => ({ apiGroups: [''], resources: [r.resource], verbs: [...r.verbs] })),
    },
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: meta(DRIVER_ROLE),
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: DRIVER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: options.driverServiceAccount, namespace }],
    },
    // Cluster-scoped, like the Namespace: what the driver may create, change and delete (clusterBundle's policy).
    driverAdmissionPolicyBinding(namespace, options.driverServiceAccount),
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'Role',
      metadata: meta(DISPATCHER_ROLE),
      // Only what the launcher and the sweeper call: no Secrets, no watch, no wildcard.
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'delete'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        // The sweeper reads the Events of a pod it suspects (scale-ups, image pulls, mount failures).
        { apiGroups: [''], resources: ['events'], verbs: ['list'] },
        { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['create', 'get', 'list', 'delete'] },
        { apiGroups: [SPARK_APPLICATION_API.group], resources: [SPARK_APPLICATION_API.plural], verbs: ['create', 'get', 'list', 'delete'] },
      ],
    },
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: meta(DISPATCHER_ROLE),
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: DISPATCHER_ROLE },
      subjects: [subjectOf(options.dispatcherPrincipal, namespace)],
    },
    driverQuota(namespace, options.priorityClassName, options.maxConcurrentDrivers),
    limitRange(namespace, options.limits ?? DEFAULT_LIMITS),
    ...networkPolicies(options),
  ];
}

function subjectOf(principal: DispatcherPrincipal, namespace: string): Record<string, string> {
  if (principal.kind === 'ServiceAccount')
    return { kind: 'ServiceAccount', name: principal.name, namespace: principal.namespace ?? namespace };
  if (principal.namespace !== undefined) throw new Error(`a ${principal.kind} has no namespace (got ${principal.namespace})`);
  return { apiGroup: RBAC_GROUP, kind: principal.kind, name: principal.name };
}

/**
 * Defaults for containers that say nothing (a debug pod, a sidecar), and a ceiling. Spark's own
 * containers always set requests and a memory limit, and a CPU limit only when asked
 * (spark.kubernetes.*.limit.cores), so the default CPU limit applies to them too: it is the largest
 * core count the job limits allow, so that no admitted driver or executor is refused for asking
 * more than the default, and the cap only bounds bursting. The memory ceiling is the largest pod
 * the memory limits allow (memory + Spark's 40 % Python overhead), rounded up to a GiB: anything
 * larger was not produced by spark-dispatch's policy. Raise the job limits and these follow.
 */
function limitRange(namespace: string, limits: Limits): KubeObjectRecord {
  const cores = Math.max(limits.maxDriverCores, limits.maxExecutorCores);
  const largestMiB = Math.max(
    podMemory({ memoryMiB: memoryToMiB(limits.maxDriverMemory) ?? 0 }).totalMiB,
    podMemory({ memoryMiB: memoryToMiB(limits.maxExecutorMemory) ?? 0 }).totalMiB,
  );
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: LIMIT_RANGE, namespace, labels: { ...PART_OF } },
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: '250m', memory: '512Mi' },
          default: { cpu: String(cores), memory: '1Gi' },
          max: { memory: `${Math.max(1, Math.ceil(largestMiB / 1024))}Gi` },
        },
      ],
    },
  };
}

const SPARK_PODS = { matchExpressions: [{ key: LABELS.appSelector, operator: 'Exists' }] };
const sparkRole = (role: 'driver' | 'executor') => ({ matchLabels: { [LABELS.role]: role }, ...SPARK_PODS });
const tcp = (port: number) => ({ protocol: 'TCP', port });

/**
 * Spark pods (labelled spark-app-selector) accept nothing and send nothing, except: drivers take
 * executors' connections on the RPC, block manager and UI ports, executors take block-manager
 * fetches, and every Spark pod may resolve names, call the API server (the driver creates its
 * executors) and reach storage over HTTPS. NetworkPolicy cannot say "same application" (equal
 * label values), so the peers are any Spark pod of the namespace.
 */
function networkPolicies(options: NamespaceBundleOptions): KubeObjectRecord[] {
  const { namespace } = options;
  const meta = (name: string) => ({ name, namespace, labels: { ...PART_OF } });
  const anywhere = [{ ipBlock: { cidr: '0.0.0.0/0' } }];
  const cidrs = (list: readonly string[] | undefined) =>
    list && list.length > 0 ? list.map((cidr) => ({ ipBlock: { cidr } })) : undefined;
  const apiServer = cidrs(options.apiServerCidrs);
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NETWORK_POLICIES.defaultDeny),
      spec: { podSelector: SPARK_PODS, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NETWORK_POLICIES.driverIngress),
      spec: {
        podSelector: sparkRole('driver'),
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: SPARK_PODS }], ports: PORTS.map((p) => tcp(p.port)) }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NETWORK_POLICIES.executorIngress),
      spec: {
        podSelector: sparkRole('executor'),
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: SPARK_PODS }], ports: [tcp(EXECUTOR_BLOCK_MANAGER_PORT)] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NETWORK_POLICIES.egress),
      spec: {
        podSelector: SPARK_PODS,
        policyTypes: ['Egress'],
        egress: [
          // To the other Spark pods: executors → driver (RPC, block manager), driver and executors → executors' block managers.
          { to: [{ podSelector: SPARK_PODS }], ports: [tcp(PORTS[0].port), tcp(PORTS[1].port)] },
          // DNS: CoreDNS in kube-system on 53 (AKS, most clusters); OpenShift's DNS pods in openshift-dns listen on 5353.
          {
            to: ['kube-system', 'openshift-dns'].map((ns) => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            })),
            ports: [53, 5353].flatMap((port) => [
              { protocol: 'UDP', port },
              { protocol: 'TCP', port },
            ]),
          },
          // The API server (kubernetes.default.svc:443, 6443 behind it on OpenShift) is outside the pod network and
          // its address is the cluster's own: without apiServerCidrs, these ports are open to any address.
          { ...(apiServer ? { to: apiServer } : {}), ports: [tcp(443), tcp(6443)] },
          // Azure Storage (abfss over HTTPS). Without a private endpoint a storage account has no stable IP range, so
          // the default is any address on 443; with storageEgressCidrs, include Entra ID's too (workload identity token exchange).
          { to: cidrs(options.storageEgressCidrs) ?? anywhere, ports: [tcp(443)] },
          ...(options.instanceMetadataEgress === true ? [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [tcp(80)] }] : []),
        ],
      },
    },
  ];
}
