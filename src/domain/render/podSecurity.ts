/**
 * Pod security per cluster profile. Both satisfy Pod Security Standards "restricted" and
 * OpenShift's restricted-v2 SCC; they differ only in who picks the UID:
 * - aks: the official image runs as the *named* user `spark`; with runAsNonRoot and no numeric
 *   runAsUser the kubelet cannot verify non-root and refuses (CreateContainerConfigError), so
 *   pin UID/GID 185 and fsGroup 185 for writable emptyDirs.
 * - openshift: restricted-v2 assigns a random UID in group 0 and rejects a fixed runAsUser
 *   outside the namespace range, so leave UID, GID and fsGroup unset.
 */
import type { SecurityContext } from './kubeObjects.js';
import type { ClusterProfile } from '../../settings/settingsSchema.js';

export const SPARK_UID = 185;

export function podSecurityContext(profile: ClusterProfile): SecurityContext {
  const base: SecurityContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
  return profile === 'aks' ? { ...base, runAsUser: SPARK_UID, runAsGroup: SPARK_UID, fsGroup: SPARK_UID } : base;
}

export function containerSecurityContext(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
