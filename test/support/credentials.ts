/** Credentials for tests: none at all (connection strings only), or a fake that hands out unsigned JWTs and counts. */
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { CredentialFor } from '../../src/adapters/credentials.js';

/** For tests that reach storage and Service Bus with connection strings: asking for a credential is a bug. */
export const NO_CREDENTIAL: CredentialFor = () =>
  Promise.reject(new Error('this test reaches Azure with connection strings only: nothing should ask for a credential'));

/** An access token with these claims (not signed: nothing here verifies it). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export interface FakeCredential extends TokenCredential {
  /** The scopes each getToken asked for, in order. */
  readonly asked: string[];
}

/** A credential that gives a token with these claims for any scope, or throws `error`. */
export function fakeCredential(claims: Record<string, unknown>, error?: Error): FakeCredential {
  const asked: string[] = [];
  return {
    asked,
    async getToken(scopes): Promise<AccessToken> {
      asked.push(...(Array.isArray(scopes) ? scopes : [scopes]));
      if (error) throw error;
      return { token: fakeJwt(claims), expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}

/** An @azure/identity-style error: a credential with nothing to offer here. */
export function unavailable(message: string): Error {
  const error = new Error(message);
  error.name = 'CredentialUnavailableError';
  return error;
}
