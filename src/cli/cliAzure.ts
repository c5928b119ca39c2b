/**
 * How CLI commands reach a deployment: as whoever runs them (cliCredential.ts: `az login` first),
 * for storage, Service Bus and AKS alike, and with errors that say what to do about access: no
 * sign-in, run `az login`; a 403, which role is missing, on what, for whom, and the command that
 * grants it.
 */
import { blobServiceFor, storagePipeline, type BlobServiceFor } from '../adapters/blob/blobServiceFor.js';
import { storageErrorCode } from '../adapters/blob/storageErrors.js';
import type { CredentialFor } from '../adapters/credentials.js';
import { DispatchError, isDispatchError } from '../shared/errors.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { CliIo } from './cliIo.js';
import { cliCredentialFor, describePrincipal, type Principal } from './cliCredential.js';

/** What a command needed when it was refused: the role that grants it, and where. */
export type AccessNeed =
  | {
      readonly service: 'storage';
      /** e.g. "read the job ledger" */
      readonly doing: string;
      readonly account: string;
      readonly container: string;
      readonly role: 'Storage Blob Data Reader' | 'Storage Blob Data Contributor';
    }
  | {
      readonly service: 'servicebus';
      readonly doing: string;
      /** The namespace's host name. */
      readonly namespace: string;
      /** A queue (or queue/$DeadLetterQueue's queue). */
      readonly queue: string;
      readonly role: 'Azure Service Bus Data Sender' | 'Azure Service Bus Data Receiver' | 'Azure Service Bus Data Owner';
    };

export interface CliAzure {
  readonly credentialFor: CredentialFor;
  /** The storage accounts of the settings, reached with the sign-in (or their connection strings). */
  blobService(settings: Settings): BlobServiceFor;
  /** Who the sign-in turned out to be, once a token was given. */
  signedIn(): Principal | undefined;
  /** The error again, with what to do when it is about access (no sign-in, a missing role). */
  explain(error: unknown, need: AccessNeed): unknown;
}

export function cliAzure(io: CliIo): CliAzure {
  const { credentialFor, signedIn } = cliCredentialFor(io.azure?.credential);
  const httpClient = io.azure?.httpClient;
  return {
    credentialFor,
    signedIn,
    blobService: (settings) =>
      blobServiceFor(settings.blob, credentialFor, { ...storagePipeline(settings.blob.retry), ...(httpClient ? { httpClient } : {}) }),
    explain: (error, need) => explainAccess(error, need, signedIn()),
  };
}

/** Runs `work`; a failure comes out explained for `need` (see explainAccess). */
export async function withAccess<T>(azure: CliAzure, need: AccessNeed, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw azure.explain(error, need);
  }
}

/**
 * A storage 403 names its cause in its error code: AuthorizationPermissionMismatch is a missing
 * data role (Entra ID sign-in worked), AuthorizationFailure the account's network rules,
 * KeyBasedAuthenticationNotPermitted a key where the account takes Entra ID only. A 401
 * InvalidAuthenticationInfo is a token of another tenant. Service Bus says UnauthorizedAccess for
 * a missing claim (role). Anything else is returned as it was.
 */
export function explainAccess(error: unknown, need: AccessNeed, principal: Principal | undefined): unknown {
  if (!isDispatchError(error)) return error;
  const advice = need.service === 'storage' ? storageAdvice(error, need, principal) : serviceBusAdvice(error, need, principal);
  if (advice === undefined) return error;
  return new DispatchError(error.kind, `${error.message}\n${advice.map((line) => `  ${line}`).join('\n')}`, {
    cause: error,
    status: error.status,
    serverMessage: error.serverMessage,
  });
}

function storageAdvice(
  error: DispatchError,
  need: Extract<AccessNeed, { service: 'storage' }>,
  principal: Principal | undefined,
): string[] | undefined {
  const code = storageErrorCode(error.cause);
  const container = `container ${need.container} of storage account ${need.account}`;
  if (error.kind === 'forbidden' && code === 'AuthorizationFailure') {
    return [
      `Storage account ${need.account} refused the request before looking at roles: its network rules (firewall, private endpoint) do not let this machine in.`,
      `See \`az storage account show -n ${need.account} --query "{publicNetworkAccess: publicNetworkAccess, rules: networkRuleSet}"\`; the account's owner can add your address (\`az storage account network-rule add -n ${need.account} --ip-address <your address>\`) or you can work from a network it allows.`,
    ];
  }
  if (error.kind === 'forbidden' && code === 'KeyBasedAuthenticationNotPermitted') {
    return [
      `Storage account ${need.account} takes Entra ID sign-in only (shared keys are disabled): remove blob.accounts.${need.account}.connectionString from the settings, and sign in with \`az login\`.`,
    ];
  }
  if (error.kind === 'unauthorized' && code === 'InvalidAuthenticationInfo') {
    return [
      `Storage account ${need.account} did not accept the token of ${describePrincipal(principal)}${principal?.tenantId ? ` from tenant ${principal.tenantId}` : ''}: is the account in another Entra ID tenant? Sign in to its tenant: \`az login --tenant <tenant id>\`.`,
    ];
  }
  if (error.kind !== 'forbidden') return undefined;
  return [
    `${describePrincipal(principal)} has no data role that allows it to ${need.doing} on ${container}: it needs ${need.role} on the container (or on the account).`,
    'Someone who may assign roles there (Owner, User Access Administrator or Role Based Access Control Administrator) grants it with:',
    `  az role assignment create --assignee-object-id ${principal?.objectId ?? '<your object id>'} --assignee-principal-type ${principal?.kind ?? 'User'} --role "${need.role}" \\`,
    `    --scope "$(az storage account show -n ${need.account} --query id -o tsv)/blobServices/default/containers/${need.container}"`,
    'A new role assignment takes a few minutes to apply. (Subscription Owner or Contributor alone is not enough: those roles do not read data.)',
  ];
}

function serviceBusAdvice(
  error: DispatchError,
  need: Extract<AccessNeed, { service: 'servicebus' }>,
  principal: Principal | undefined,
): string[] | undefined {
  if (error.kind !== 'unauthorized' || /no Service Bus token could be obtained/.test(error.message)) return undefined;
  const namespace = need.namespace.split('.')[0]!;
  return [
    `${describePrincipal(principal)} may not ${need.doing} on queue ${need.queue} of Service Bus namespace ${namespace}: it needs ${need.role} on the queue (or on the namespace).`,
    'Someone who may assign roles there grants it with:',
    `  az role assignment create --assignee-object-id ${principal?.objectId ?? '<your object id>'} --assignee-principal-type ${principal?.kind ?? 'User'} --role "${need.role}" \\`,
    `    --scope "$(az servicebus namespace show -n ${namespace} --query id -o tsv)/queues/${need.queue}"`,
    'A new role assignment takes a few minutes to apply.',
  ];
}
