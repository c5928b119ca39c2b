/**
 * How a process gets Entra ID tokens. Every adapter that reaches Azure with an identity (Blob
 * storage, Service Bus, the AKS API) is handed one of these by its caller and never picks one
 * itself: the Functions pass their managed identity (managedIdentity.ts), the CLI the chain of
 * whoever runs it, `az login` first (src/cli/cliCredential.ts).
 */
import type { TokenCredential } from '@azure/identity';

/**
 * The credential for the identity the settings name: a user-assigned managed identity's client id
 * (blob.managedIdentityClientId, kubernetes.auth.managedIdentityClientId), or none for the
 * default one (the system-assigned identity; for the CLI, whoever is signed in).
 */
export type CredentialFor = (managedIdentityClientId?: string) => Promise<TokenCredential>;

/** Errors meaning no token could be obtained: @azure/identity's (matched by name: several copies of the package may be installed) and NoCredentialError. */
const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'NoCredentialError',
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
]);

export function isCredentialError(error: unknown): boolean {
  const name = error !== null && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && CREDENTIAL_ERROR_NAMES.has(name);
}

/** No credential of a chain could give a token: the message says what each one said (src/cli/cliCredential.ts). */
export class NoCredentialError extends Error {
  override readonly name = 'NoCredentialError';
}
