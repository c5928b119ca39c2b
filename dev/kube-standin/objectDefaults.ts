/**
 * What the apiserver fills in on create: the defaulting functions of pkg/apis/core/v1/defaults.go
 * (SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_Service, ...) and the
 * strategies' PrepareForCreate (pkg/registry/core/<resource>/strategy.go).
 */
import { arrayAt, ensureRecord, isRecord, recordAt, type JsonRecord } from './jsonValues.js';
import { podQosClass } from './qosClass.js';
import type { ResourceType } from './resourceTypes.js';
import type { KubeStoredObject } from './standInTypes.js';

/** SetDefaults_Container: imagePullPolicy from the tag (Always for :latest or no tag). */
function defaultImagePullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: JsonRecord): void {
  container.imagePullPolicy ??= defaultImagePullPolicy(container.image);
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  const resources = ensureRecord(container, 'resources');
  // SetDefaults_Pod: "set requests to limits if requests are not specified, but limits are"
  const limits = recordAt(resources, 'limits');
  if (limits && Object.keys(limits).length > 0) {
    const requests = ensureRecord(resources, 'requests');
    for (const [name, value] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = value;
  }
  for (const port of arrayAt(container, 'ports') ?? []) if (isRecord(port)) port.protocol ??= 'TCP';
  for (const env of arrayAt(container, 'env') ?? []) {
    const fieldRef = recordAt(env, 'valueFrom', 'fieldRef');
    if (fieldRef) fieldRef.apiVersion ??= 'v1';
  }
}

export function defaultPod(pod: KubeStoredObject): void {
  const spec = ensureRecord(pod, 'spec');
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  for (const key of ['containers', 'initContainers']) for (const c of arrayAt(spec, key) ?? []) if (isRecord(c)) defaultContainer(c);
  for (const volume of arrayAt(spec, 'volumes') ?? []) {
    const configMap = recordAt(volume, 'configMap');
    if (configMap) configMap.defaultMode ??= 0o644;
  }
}

/** pod strategy PrepareForCreate: status is reset to {phase: Pending, qosClass}. */
export function preparePodForCreate(pod: KubeStoredObject): void {
  pod.status = { phase: 'Pending', qosClass: podQosClass(pod.spec) };
}

let nextServiceIp = 1;
/** The ClusterIP allocator (10.96.0.0/12, the kubeadm default service CIDR). */
function allocateClusterIp(): string {
  const n = nextServiceIp++;
  return `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}

export function defaultService(service: KubeStoredObject): void {
  const spec = ensureRecord(service, 'spec');
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateClusterIp();
    spec.clusterIPs ??= [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  for (const port of arrayAt(spec, 'ports') ?? []) {
    if (!isRecord(port)) continue;
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
  service.status = { loadBalancer: {} };
}

export function defaultNamespace(namespace: KubeStoredObject): void {
  // the NamespaceDefaultLabelName feature (1.21+): every namespace carries its name as a label
  namespace.metadata.labels = { ...(namespace.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace.metadata.name };
  const spec = ensureRecord(namespace, 'spec');
  spec.finalizers ??= ['kubernetes'];
  namespace.status = { phase: 'Active' };
}

export function defaultPriorityClass(pc: KubeStoredObject): void {
  pc.preemptionPolicy ??= 'PreemptLowerPriority';
}

/** Defaults and PrepareForCreate of each type (status of types with a status subresource is not settable on create). */
export function applyCreateDefaults(type: ResourceType, obj: KubeStoredObject): void {
  switch (type.plural) {
    case 'pods':
      defaultPod(obj);
      preparePodForCreate(obj);
      break;
    case 'services':
      defaultService(obj);
      break;
    case 'namespaces':
      defaultNamespace(obj);
      break;
    case 'priorityclasses':
      defaultPriorityClass(obj);
      break;
    case 'resourcequotas':
      delete obj.status;
      break;
    default:
      // apiextensions customResourceStrategy.PrepareForCreate drops status when the status subresource is on
      if (type.custom && type.subresources.includes('status')) delete obj.status;
  }
  if (type.tracksGeneration) obj.metadata.generation = 1;
}
