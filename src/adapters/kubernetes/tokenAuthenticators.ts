/**
 * Bearer tokens that change over time, plugged into @kubernetes/client-node as custom
 * authenticators (KubeConfig.addAuthenticator): the client asks for the header on every request,
 * and we answer from a cache that is refreshed before the token expires.
 */
import type { User } from '@kubernetes/client-node';
import { DispatchError } from '../../shared/errors.js';

/** The slice of @azure/identity's TokenCredential we use. */
export interface TokenSource {
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number } | null>;
}

export interface HeaderOptions {
  headers?: Record<string, unknown> | unknown;
}

export interface BearerAuthenticator {
  readonly providerName: string;
  isAuthProvider(user: User): boolean;
  applyAuthentication(user: User, opts: HeaderOptions): Promise<void>;
  /** The current token (fetched or refreshed as needed): for tests and diagnostics. */
  token(): Promise<string>;
}

/** Refresh this long before expiry, so a request never leaves with a token about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

function authenticator(
  providerName: string,
  fetchToken: () => Promise<{ token: string; refreshAtMs: number }>,
  now: () => number,
): BearerAuthenticator {
  let cached: { token: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<{ token: string; refreshAtMs: number }> | undefined;
  const token = async (): Promise<string> => {
    if (cached && now() < cached.refreshAtMs) return cached.token;
    // One refresh at a time: a burst of launches must not stampede the identity endpoint.
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    cached = await inFlight;
    return cached.token;
  };
  return {
    providerName,
    isAuthProvider: (user) => user.authProvider?.name === providerName,
    async applyAuthentication(_user, opts) {
      const value = `Bearer ${await token()}`;
      const headers = (opts.headers ?? {}) as Record<string, unknown>;
      opts.headers = { ...headers, Authorization: value };
    },
    token,
  };
}

/** AKS with Entra ID: a token for the AKS server application from a (managed) identity. */
export function entraAuthenticator(credential: TokenSource, scope: string, now: () => number = Date.now): BearerAuthenticator {
  return authenticator(
    'spark-dispatch-entra',
    async () => {
      let result: Awaited<ReturnType<TokenSource['getToken']>>;
      try {
        result = await credential.getToken(scope);
      } catch (error) {
        throw new DispatchError('unauthorized', `could not get an Entra ID token for ${scope}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!result) throw new DispatchError('unauthorized', `the identity returned no token for ${scope}`);
      const refreshAtMs = Math.min(result.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY, result.expiresOnTimestamp - REFRESH_MARGIN_MS);
      return { token: result.token, refreshAtMs };
    },
    now,
  );
}

/**
 * A token file re-read periodically: projected service-account tokens are rotated by the kubelet
 * (and OpenShift TokenRequest tokens are short-lived), so reading it once would fail after an hour.
 */
export function tokenFileAuthenticator(
  path: string,
  readFile: (path: string) => Promise<string>,
  now: () => number = Date.now,
  rereadMs = 60_000,
): BearerAuthenticator {
  return authenticator(
    'spark-dispatch-token-file',
    async () => {
      try {
        const token = (await readFile(path)).trim();
        if (token === '') throw new Error('the file is empty');
        return { token, refreshAtMs: now() + rereadMs };
      } catch (error) {
        throw new DispatchError('configuration', `cannot read the Kubernetes token file ${path}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    now,
  );
}
