import type { KubernetesSettings } from '../../settings/settingsSchema.js';
import type { ClusterPort } from '../../usecases/clusterPort.js';
import { createKubeCluster } from './kubeCluster.js';
import { loadKubeConfig, type KubeConfigOverrides } from './loadKubeConfig.js';

/** The cluster the settings point at (or `--kubeconfig`), ready to use. */
export async function connectCluster(settings: KubernetesSettings, overrides: KubeConfigOverrides = {}): Promise<ClusterPort> {
  const kc = await loadKubeConfig(settings.auth, overrides);
  return createKubeCluster(kc, { requestTimeoutMs: settings.requestTimeoutMs });
}
