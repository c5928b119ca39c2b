/**
 * One BlobServiceClient per storage account, built from the blob settings: a connection string
 * when one is configured for the account (local development against Azurite, where a logical
 * name such as `sparkdispatchdemo` maps onto devstoreaccount1), else the account's endpoint with
 * the caller's credential (no keys): the Function's managed identity, or the CLI user's sign-in.
 */
import type { BlobServiceClient, StoragePipelineOptions } from '@azure/storage-blob';
import { DispatchError } from '../../shared/errors.js';
import type { CredentialFor } from '../credentials.js';
import { STORAGE_RETRY_DEFAULTS, type BlobSettings } from '../../settings/settingsSchema.js';

/**
 * Retries inside the SDK stay short (settings.blob.retry): a retryable failure that outlasts them
 * becomes a retryable DispatchError, and the job is retried later. The SDK's own default waits
 * 4 s, 8 s, 16 s… and has no per-try timeout, so one hung connection could hold a handler until
 * the Function times out.
 */
export function storagePipeline(retry: BlobSettings['retry'] = STORAGE_RETRY_DEFAULTS): StoragePipelineOptions {
  return {
    retryOptions: {
      maxTries: retry.maxTries,
      retryDelayInMs: retry.retryDelayMs,
      maxRetryDelayInMs: retry.maxRetryDelayMs,
      tryTimeoutInMs: retry.tryTimeoutMs,
    },
  };
}

export type BlobServiceFor = (account: string) => Promise<BlobServiceClient>;

/**
 * `credentialFor` is asked for a credential (with settings.blob.managedIdentityClientId) the first
 * time an account without a connection string is used; never for Azurite or connection strings.
 */
export function blobServiceFor(
  settings: Omit<BlobSettings, 'retry'> & { readonly retry?: BlobSettings['retry'] },
  credentialFor: CredentialFor,
  pipeline: StoragePipelineOptions = storagePipeline(settings.retry),
): BlobServiceFor {
  const clients = new Map<string, Promise<BlobServiceClient>>();
  const create = async (account: string): Promise<BlobServiceClient> => {
    // Loaded on first use (~180 ms): a Function's cold start should not pay for it before it needs storage.
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const configured = settings.accounts[account];
    if (configured?.connectionString !== undefined) {
      try {
        return BlobServiceClient.fromConnectionString(configured.connectionString, pipeline);
      } catch (error) {
        // Never echo the connection string: it may hold an account key.
        const reason = error instanceof Error ? error.message : String(error);
        throw new DispatchError(
          'configuration',
          `blob.accounts.${account}.connectionString is unusable: ${reason.replace(/AccountKey=[^;]*/gi, 'AccountKey=***')}`,
          { cause: error },
        );
      }
    }
    const endpoint = configured?.endpoint ?? `https://${account}.blob.core.windows.net`;
    return new BlobServiceClient(endpoint, await credentialFor(settings.managedIdentityClientId), pipeline);
  };

  return (account) => {
    let client = clients.get(account);
    if (client === undefined) {
      client = create(account);
      clients.set(account, client);
      // A failure is not cached: the next call tries again.
      client.catch(() => clients.delete(account));
    }
    return client;
  };
}
