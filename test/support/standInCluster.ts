/** A stand-in API server plus a ClusterPort connected to it through the real client, for integration tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCluster } from '../../src/adapters/kubernetes/connectCluster.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import { driverPriorityClass } from '../../src/domain/render/capacityObjects.js';
import { KubernetesSettingsSchema } from '../../src/settings/settingsSchema.js';
import { startStandIn, type StandIn, type StandInOptions } from '../../dev/kube-standin/index.js';
import type { ClusterPort } from '../../src/usecases/clusterPort.js';

export interface StandInCluster {
  readonly standIn: StandIn;
  readonly cluster: ClusterPort;
  readonly kubeconfigPath: string;
  close(): Promise<void>;
}

export async function standInCluster(options: StandInOptions & { requestTimeoutMs?: number } = {}): Promise<StandInCluster> {
  // The driver's ServiceAccount in every namespace, as the team bundle installs it: pods name it.
  const standIn = await startStandIn({ namespaces: ['spark-jobs'], serviceAccounts: ['spark-driver'], ...options });
  await postObject(standIn.url, '/apis/scheduling.k8s.io/v1/priorityclasses', driverPriorityClass('spark-dispatch-driver'));
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'sd-kube-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, standIn.kubeconfig());
  const settings = KubernetesSettingsSchema.parse({ requestTimeoutMs: options.requestTimeoutMs ?? 5_000 });
  const cluster = await connectCluster(settings, { kubeconfigPath });
  return { standIn, cluster, kubeconfigPath, close: () => standIn.close() };
}

export { eventually } from './eventually.js';

export const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 };
