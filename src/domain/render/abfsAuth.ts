/**
 * Keyless ABFS authentication, written as per-account Hadoop settings
 * (`<key>.<account>.dfs.core.windows.net`) so that each allowed account is configured and no
 * other. Keys follow hadoop-azure's ConfigurationKeys.
 */
import type { StorageAuth } from '../../settings/settingsSchema.js';

const PROVIDERS = {
  'workload-identity': 'org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider',
  'managed-identity': 'org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider',
} as const;

/** WorkloadIdentityTokenProvider first shipped in hadoop-azure 3.4.1 (Spark 4.0). */
export const WORKLOAD_IDENTITY_MIN_HADOOP = '3.4.1';

/** One account endpoint a job may reach, and the client id of the identity its tenant uses there. */
export interface AbfsAccess {
  readonly host: string;
  readonly clientId: string | undefined;
}

/**
 * Per-account settings for exactly the hosts given (the job's tenant's accounts), each with its
 * own client id: a driver has no settings, and so no way to authenticate, for any other account.
 */
export function abfsAuthConf(auth: StorageAuth, access: readonly AbfsAccess[]): Record<string, string> {
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
    if (auth.mode === 'workload-identity') set('oauth2.token.file', auth.tokenFile);
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
