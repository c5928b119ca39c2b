/**
 * Who the CLI acts as: whoever runs it, never the Function's identity. A chain of credentials,
 * tried in this order; the first that gives a token is kept for the rest of the command:
 *
 *   1. Azure CLI (`az login`): the person at the keyboard; in a pipeline, after azure/login;
 *   2. environment: a service principal in AZURE_TENANT_ID and AZURE_CLIENT_ID with
 *      AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH;
 *   3. workload identity: a pod whose AZURE_FEDERATED_TOKEN_FILE the webhook set;
 *   4. managed identity: an Azure VM, a dev box, Cloud Shell (probed for 1 s first, as
 *      DefaultAzureCredential does, so that a laptop without one fails fast).
 *
 * Not DefaultAzureCredential: it tries the environment, workload identity and managed identity
 * before the Azure CLI. On a laptop with AZURE_CLIENT_ID and a secret left from another tool, or on
 * a VM or dev box that has a managed identity, it would act as that identity instead of the person
 * signed in, and the roles a 403 names would be someone else's. It also tries more (VS Code,
 * PowerShell, azd, a broker), which only lengthens its "no credential" message. Here the person's
 * own sign-in wins wherever there is one, and the message says what each way in answered.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { NoCredentialError, type CredentialFor } from '../adapters/credentials.js';

/** One way in: built on first use (some constructors throw when their environment is missing). */
export interface CredentialLink {
  readonly name: string;
  readonly make: () => TokenCredential;
}

/** Who a token was issued to, from its claims (read, not verified: for messages only). */
export interface Principal {
  readonly kind: 'User' | 'ServicePrincipal';
  /** Entra object id: what role assignments name. */
  readonly objectId?: string;
  /** A user's sign-in name, or an application's name or id. */
  readonly name?: string;
  readonly tenantId?: string;
}

export interface SignedInCredential extends TokenCredential {
  /** Who the last token was issued to, when one was. */
  signedIn(): Principal | undefined;
}

/** Errors after which the chain goes on to the next way in: this one has nothing to offer here. */
const UNAVAILABLE = new Set(['CredentialUnavailableError', 'AuthenticationRequiredError']);

/**
 * The links tried in order. A link that has nothing (no login, no variables, no endpoint) passes to
 * the next; one that is set up but fails (a wrong secret) stops the chain with its own error, as
 * ChainedTokenCredential does. None gave a token: a NoCredentialError that says to run `az login`,
 * with each link's reason.
 */
export function credentialChain(links: readonly CredentialLink[]): SignedInCredential {
  const made = new Map<number, TokenCredential>();
  let chosen: number | undefined;
  let last: AccessToken | undefined;
  const attempt = async (i: number, scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
    let credential = made.get(i);
    if (!credential) {
      credential = links[i]!.make();
      made.set(i, credential);
    }
    return credential.getToken(scopes, options);
  };
  return {
    async getToken(scopes, options) {
      if (chosen !== undefined) {
        last = (await attempt(chosen, scopes, options)) ?? undefined;
        return last ?? null;
      }
      const reasons: string[] = [];
      for (let i = 0; i < links.length; i++) {
        try {
          const token = await attempt(i, scopes, options);
          if (token) {
            chosen = i;
            last = token;
            return token;
          }
          reasons.push(`${links[i]!.name}: no token`);
        } catch (error) {
          const name = (error as { name?: unknown }).name;
          if (typeof name !== 'string' || !UNAVAILABLE.has(name)) throw error;
          reasons.push(`${links[i]!.name}: ${firstLine((error as Error).message)}`);
        }
      }
      throw new NoCredentialError(
        [
          "no Azure sign-in found: run `az login` (and `az account set --subscription <id>` for the deployment's subscription); in a pipeline, azure/login or AZURE_CLIENT_ID with a secret, certificate or federated token. Tried, in this order:",
          ...reasons.map((r) => `  - ${r}`),
        ].join('\n'),
      );
    },
    signedIn: () => (last ? principalOf(last.token) : undefined),
  };
}

/** The chain of a command line (see the top of this file). @azure/identity is loaded on first use. */
export async function signInChain(managedIdentityClientId?: string): Promise<SignedInCredential> {
  return credentialChain(signInLinks(await import('@azure/identity'), managedIdentityClientId));
}

/** The ways in, in the order they are tried. */
export function signInLinks(identity: typeof import('@azure/identity'), managedIdentityClientId?: string): CredentialLink[] {
  // DefaultAzureCredential's own probe of IMDS (1 s, no retries), an option it passes internally: without
  // it a laptop waits for the metadata endpoint's retries before hearing that it has no identity.
  const probed: { clientId?: string; sendProbeRequest: boolean } = {
    ...(managedIdentityClientId ? { clientId: managedIdentityClientId } : {}),
    sendProbeRequest: true,
  };
  return [
    { name: 'Azure CLI (az login)', make: () => new identity.AzureCliCredential() },
    { name: 'environment (AZURE_CLIENT_ID with a secret or certificate)', make: () => new identity.EnvironmentCredential() },
    { name: 'workload identity (AZURE_FEDERATED_TOKEN_FILE)', make: () => new identity.WorkloadIdentityCredential() },
    { name: 'managed identity', make: () => new identity.ManagedIdentityCredential(probed) },
  ];
}

/**
 * The CLI's CredentialFor: one chain per command, made on first use (the client id the settings
 * name only matters to its managed-identity link). `given` replaces the chain (tests: a fake).
 */
export function cliCredentialFor(given?: TokenCredential): { readonly credentialFor: CredentialFor; signedIn(): Principal | undefined } {
  let chain: Promise<SignedInCredential> | undefined;
  let resolved: SignedInCredential | undefined;
  const credentialFor: CredentialFor = (clientId) => {
    chain ??= (
      given ? Promise.resolve(credentialChain([{ name: 'the given credential', make: () => given }])) : signInChain(clientId)
    ).then((c) => (resolved = c));
    return chain;
  };
  return { credentialFor, signedIn: () => resolved?.signedIn() };
}

/** The claims of a JWT access token that say who it is for; undefined for anything else. */
export function principalOf(token: string): Principal | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    claims = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const text = (name: string): string | undefined =>
    typeof claims[name] === 'string' && claims[name] !== '' ? (claims[name] as string) : undefined;
  const userName = text('upn') ?? text('preferred_username') ?? text('unique_name') ?? text('email');
  // idtyp is "app" for application tokens (service principals, managed identities) when present.
  const kind =
    text('idtyp') === 'app' || (userName === undefined && (text('appid') ?? text('azp')) !== undefined) ? 'ServicePrincipal' : 'User';
  const name = kind === 'User' ? userName : (text('app_displayname') ?? text('appid') ?? text('azp'));
  const objectId = text('oid');
  const tenantId = text('tid');
  if (objectId === undefined && name === undefined) return undefined;
  return { kind, ...(objectId ? { objectId } : {}), ...(name ? { name } : {}), ...(tenantId ? { tenantId } : {}) };
}

/** How to name a principal in a message. */
export function describePrincipal(p: Principal | undefined): string {
  if (!p) return 'your signed-in identity (`az ad signed-in-user show --query id -o tsv` gives its object id)';
  const who = p.kind === 'User' ? (p.name ?? 'the signed-in user') : `the service principal ${p.name ?? ''}`.trimEnd();
  return p.objectId ? `${who} (object id ${p.objectId})` : who;
}

function firstLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}
