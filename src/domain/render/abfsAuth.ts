/**
 * Keyless ABFS authentication, written as per-account Hadoop settings
 * (`<key>.<account>.dfs.core.windows.net`) so that each allowed account is configured and no
 * other. Keys follow hadoop-azure's ConfigurationKeys.
 *
 * The workload-identity token file is the cluster's, not the storage account's: the Azure
 * Workload Identity webhook mounts the projected token where its version puts it
 * (`/var/run/secrets/azure/tokens/azure-identity-token` up to v1.5, also hadoop-azure's default;
 * `/var/run/secrets/azure/wi/token/azure-identity-token` from v1.6) and tells every container it
 * mutates in AZURE_FEDERATED_TOKEN_FILE. WorkloadIdentityTokenProvider itself reads only
 * `fs.azure.account.oauth2.token.file` (no fallback to that variable, in 3.4.1 or later), but
 * Hadoop's Configuration expands `${env.NAME:-default}` in any value it hands out (Hadoop 3.0+,
 * HADOOP-9642), in each JVM that reads it. So the value rendered by default names the variable,
 * with the cluster's configured path as the fallback: the driver and every executor read the path
 * their own webhook wrote, whatever its version.
 */
import type { StorageAuth } from '../../settings/settingsSchema.js';

const PROVIDERS = {
  'workload-identity': 'org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider',
  'managed-identity': 'org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider',
} as const;

/** WorkloadIdentityTokenProvider first shipped in hadoop-azure 3.4.1 (Spark 4.0). */
export const WORKLOAD_IDENTITY_MIN_HADOOP = '3.4.1';

/** The variable the workload-identity webhook sets, in every version, to the token file it mounted. */
export const WEBHOOK_TOKEN_FILE_ENV = 'AZURE_FEDERATED_TOKEN_FILE';
/**
 * hadoop-azure's default token file (AuthConfigurations.DEFAULT_FS_AZURE_ACCOUNT_OAUTH_TOKEN_FILE),
 * which is where the webhook up to v1.5 mounts the token.
 */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/azure/tokens/azure-identity-token';

/** How a cluster's pods find their workload-identity token (settings.kubernetes.workloadIdentity). */
export interface WorkloadIdentityCluster {
  /** The token file when AZURE_FEDERATED_TOKEN_FILE is unset (or `fromWebhookEnv` is off). */
  readonly tokenFile: string;
  /** Render `${env.AZURE_FEDERATED_TOKEN_FILE:-<tokenFile>}` (Hadoop expands it), not the path alone. */
  readonly fromWebhookEnv: boolean;
}

export const DEFAULT_WORKLOAD_IDENTITY_CLUSTER: WorkloadIdentityCluster = { tokenFile: DEFAULT_TOKEN_FILE, fromWebhookEnv: true };

/** The value of `fs.azure.account.oauth2.token.file` for a cluster. */
export function tokenFileValue(cluster: WorkloadIdentityCluster): string {
  return cluster.fromWebhookEnv ? `\${env.${WEBHOOK_TOKEN_FILE_ENV}:-${cluster.tokenFile}}` : cluster.tokenFile;
}

/** One account endpoint a job may reach, and the client id of the identity its tenant uses there. */
export interface AbfsAccess {
  readonly host: string;
  readonly clientId: string | undefined;
}

/**
 * Per-account settings for exactly the hosts given (the job's tenant's accounts), each with its
 * own client id: a driver has no settings, and so no way to authenticate, for any other account.
 */
export function abfsAuthConf(
  auth: StorageAuth,
  access: readonly AbfsAccess[],
  cluster: WorkloadIdentityCluster = DEFAULT_WORKLOAD_IDENTITY_CLUSTER,
): Record<string, string> {
  const conf: Record<string, string> = {};
  if (auth.mode === 'none') return conf;
  for (const { host, clientId } of [...access].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))) {
    const set = (key: string, value: string | undefined) => {
      if (value !== undefined) conf[`spark.hadoop.fs.azure.account.${key}.${host}`] = value;
    };
    set('auth.type', 'OAuth');
    set('oauth.provider.type', PROVIDERS[auth.mode]);
    set('oauth2.msi.tenant', auth.tenantId);
    set('oauth2.client.id', clientId ?? auth.clientId);
    if (auth.mode === 'workload-identity') set('oauth2.token.file', tokenFileValue(cluster));
  }
  return conf;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The hadoop-azure an image carries: what decides the ABFS token providers (WorkloadIdentityTokenProvider from 3.4.1). */
export const hadoopAzureOf = (image: { readonly hadoop: string; readonly hadoopAzure?: string | undefined }): string =>
  image.hadoopAzure ?? image.hadoop;
