/**
 * The process's managed identity, one credential per client id: the Functions' CredentialFor
 * (credentials.ts), so that Blob storage, Service Bus, the AKS API and telemetry share it and its
 * token cache. The CLI signs in as its user instead (src/cli/cliCredential.ts). @azure/identity is imported on first use only: it takes a
 * noticeable time to load, and deployments with connection strings never need it.
 */
import type { ManagedIdentityCredential } from '@azure/identity';

const credentials = new Map<string, Promise<ManagedIdentityCredential>>();

export function managedIdentityCredential(clientId?: string): Promise<ManagedIdentityCredential> {
  const key = clientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    credential = import('@azure/identity').then((identity) =>
      clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential(),
    );
    credentials.set(key, credential);
    credential.catch(() => credentials.delete(key));
  }
  return credential;
}
