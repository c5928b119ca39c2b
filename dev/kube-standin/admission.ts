/**
 * The admission plugins of a default kube-apiserver that touch what spark-dispatch writes (the
 * ResourceQuota plugin is in resourceQuota.ts):
 *  - ServiceAccount (plugin/pkg/admission/serviceaccount): mutating, defaults spec.serviceAccountName,
 *    refuses a missing account, mounts the account's API credentials,
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

/** The folder where a pod's containers find their API credentials (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * ServiceAccount admission: "default" when unset (it also mirrors the deprecated
 * spec.serviceAccount); the account must exist in the pod's namespace; unless the pod or the
 * account opts out (automountServiceAccountToken: false), its API credentials are mounted into
 * every container as the projected `kube-api-access-<random>` volume (1.22+; 1.20 mounted the
 * account's token Secret instead).
 */
export function admitServiceAccount(
  store: ObjectStore,
  type: ResourceType,
  pod: KubeStoredObject,
  suffix: () => string,
): ApiError | undefined {
  const spec = ensureRecord(pod, 'spec');
  const accountName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  spec.serviceAccountName = accountName;
  spec.serviceAccount = accountName;
  const namespace = pod.metadata.namespace ?? '';
  const account = store.peek('serviceaccounts', namespace, accountName);
  if (!account) {
    return forbidden(
      type,
      pod.metadata.name || pod.metadata.generateName || 'Unknown',
      `error looking up service account ${namespace}/${accountName}: serviceaccount "${accountName}" not found`,
    );
  }
  const automount =
    typeof spec.automountServiceAccountToken === 'boolean'
      ? spec.automountServiceAccountToken
      : account.automountServiceAccountToken !== false;
  if (!automount) return undefined;
  const volumes = (arrayAt(spec, 'volumes') ?? []).filter(isRecord);
  // A pod that has a kube-api-access-* volume already (one sent again as it was stored) keeps it:
  // mountServiceAccountToken reuses its name and adds no second one.
  const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith('kube-api-access-'));
  const name = typeof existing?.name === 'string' ? existing.name : `kube-api-access-${suffix()}`;
  let needsVolume = false;
  for (const key of ['initContainers', 'containers']) {
    for (const container of (arrayAt(spec, key) ?? []).filter(isRecord)) {
      const mounts = (arrayAt(container, 'volumeMounts') ?? []).filter(isRecord);
      // A container that mounts something at the path already keeps it.
      if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
      mounts.push({ name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
      container.volumeMounts = mounts;
      needsVolume = true;
    }
  }
  if (existing || !needsVolume) return undefined;
  volumes.push({
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  });
  spec.volumes = volumes;
  return undefined;
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
    if (!priorityClass)
      return forbidden(
        type,
        pod.metadata.name || pod.metadata.generateName || 'Unknown',
        `no PriorityClass with name ${className} was found`,
      );
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
    const tolerated = tolerations.some(
      (t) =>
        (t.key === key || t.key === undefined) &&
        (t.effect === 'NoExecute' || t.effect === undefined) &&
        (t.operator === 'Exists' || t.key === key),
    );
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** NamespaceLifecycle on create of a namespaced object. */
export function admitNamespaceLifecycle(store: ObjectStore, type: ResourceType, namespace: string, name: string): ApiError | undefined {
  const ns = store.peek('namespaces', undefined, namespace);
  if (!ns) return namespaceNotFound(namespace);
  if (ns.metadata.deletionTimestamp) {
    return forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`, [
      { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
    ]);
  }
  return undefined;
}
