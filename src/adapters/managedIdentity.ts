/**
 * The process's managed identity, one credential per client id: Blob storage, Service Bus and the
 * AKS API share it and its token cache. @azure/identity is imported on first use only: it takes a
 * noticeable time to load, and deployments with connection strings never need it.
 */
import type { ManagedIdentityCredential } from '@azure/identity';

const credentials = new Map<string, Promise<ManagedIdentityCredential>>();

export function managedIdentityCredential(clientId?: string): Promise<ManagedIdentityCredential> {
  const key = clientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    credential = import('@azure/identity').then((identity) => (clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential()));
    credentials.set(key, credential);
    credential.catch(() => credentials.delete(key));
  }
  return credential;
}
