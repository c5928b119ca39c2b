/**
 * The admission plugins of a default kube-apiserver that touch what spark-dispatch writes (the
 * ResourceQuota plugin is in resourceQuota.ts):
 *  - ServiceAccount (plugin/pkg/admission/serviceaccount): mutating, defaults spec.serviceAccountName,
 *  - Priority (plugin/pkg/admission/priority): mutating, resolves spec.priorityClassName to
 *    spec.priority and refuses an unknown class,
 *  - DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): mutating,
 *  - NamespaceLifecycle (apiserver/pkg/admission/plugin/namespace/lifecycle): validating, refuses
 *    writes into missing or terminating namespaces and the deletion of the system namespaces.
 */
import { arrayAt, ensureRecord, isRecord } from './jsonValues.js';
import type { ObjectStore } from './objectStore.js';
import type { ResourceType } from './resourceTypes.js';
import { forbidden, namespaceNotFound, type ApiError } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

/** ServiceAccount admission: "default" when unset (it also mirrors the deprecated spec.serviceAccount). */
export function admitServiceAccount(pod: KubeStoredObject): void {
  const spec = ensureRecord(pod, 'spec');
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
}

/** Priority admission (admitPod): the class must exist; its value and preemption policy are copied onto the pod. */
export function admitPodPriority(store: ObjectStore, type: ResourceType, pod: KubeStoredObject): ApiError | undefined {
  const spec = ensureRecord(pod, 'spec');
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let priorityClass: KubeStoredObject | undefined;
  if (className === '') {
    // getDefaultPriorityClass: the (only) globalDefault class, else priority 0
    priorityClass = store.peekAll('priorityclasses').find((pc) => pc.globalDefault === true);
    if (priorityClass) spec.priorityClassName = priorityClass.metadata.name;
  } else {
    priorityClass = store.peek('priorityclasses', undefined, className);
    if (!priorityClass) return forbidden(type, pod.metadata.name || pod.metadata.generateName || 'Unknown', `no PriorityClass with name ${className} was found`);
  }
  const value = priorityClass && typeof priorityClass.value === 'number' ? priorityClass.value : 0;
  if (typeof spec.priority === 'number' && spec.priority !== value) {
    return forbidden(
      type,
      pod.metadata.name || 'Unknown',
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  spec.preemptionPolicy = typeof priorityClass?.preemptionPolicy === 'string' ? priorityClass.preemptionPolicy : 'PreemptLowerPriority';
  return undefined;
}

/** DefaultTolerationSeconds: not-ready and unreachable NoExecute tolerations of 300 s unless already tolerated. */
export function admitDefaultTolerations(pod: KubeStoredObject): void {
  const spec = ensureRecord(pod, 'spec');
  const tolerations = (arrayAt(spec, 'tolerations') ?? []).filter(isRecord);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const tolerated = tolerations.some((t) => (t.key === key || t.key === undefined) && (t.effect === 'NoExecute' || t.effect === undefined) && (t.operator === 'Exists' || t.key === key));
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** NamespaceLifecycle on create of a namespaced object. */
export function admitNamespaceLifecycle(store: ObjectStore, type: ResourceType, namespace: string, name: string): ApiError | undefined {
  const ns = store.peek('namespaces', undefined, namespace);
  if (!ns) return namespaceNotFound(namespace);
  if (ns.metadata.deletionTimestamp) {
    return forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
  return undefined;
}
