import { describe, expect, it } from 'vitest';
import {
  entraAuthenticator,
  REFRESH_MARGIN_MS,
  tokenFileAuthenticator,
  type TokenSource,
} from '../../src/adapters/kubernetes/tokenAuthenticators.js';

const HOUR = 3_600_000;

function fakeIdentity(now: () => number) {
  const scopes: string[] = [];
  let issued = 0;
  const source: TokenSource = {
    async getToken(scope) {
      scopes.push(scope);
      issued++;
      return { token: `t${issued}`, expiresOnTimestamp: now() + HOUR };
    },
  };
  return { source, scopes, issued: () => issued };
}

describe('entraAuthenticator (AKS with Entra ID)', () => {
  it('asks for the AKS server scope, caches the token, and refreshes it before it expires', async () => {
    let clock = 1_000_000;
    const id = fakeIdentity(() => clock);
    const auth = entraAuthenticator(id.source, '6dae42f8-4368-4678-94ff-3960e28e3630/.default', () => clock);
    const opts: { headers?: unknown } = { headers: { Accept: 'application/json' } };
    await auth.applyAuthentication({ name: 'u', authProvider: { name: 'spark-dispatch-entra', config: {} } }, opts);
    expect(opts.headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer t1' });
    expect(id.scopes).toEqual(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);

    clock += HOUR - REFRESH_MARGIN_MS - 1; // just before the refresh point: cached
    expect(await auth.token()).toBe('t1');
    clock += 2; // just after: refreshed, although the old token has not expired yet
    expect(await auth.token()).toBe('t2');
    expect(id.issued()).toBe(2);
  });

  it('a burst of requests shares one token request', async () => {
    const id = fakeIdentity(Date.now);
    const auth = entraAuthenticator(id.source, 's');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => auth.token()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(id.issued()).toBe(1);
  });

  it('claims only users that name it', () => {
    const auth = entraAuthenticator(fakeIdentity(Date.now).source, 's');
    expect(auth.isAuthProvider({ name: 'u', authProvider: { name: 'spark-dispatch-entra', config: {} } })).toBe(true);
    expect(auth.isAuthProvider({ name: 'u', token: 'x' })).toBe(false);
  });

  it('an identity failure is an unauthorized DispatchError, and the next call tries again', async () => {
    let fail = true;
    const auth = entraAuthenticator(
      {
        getToken: async () => {
          if (fail) throw new Error('IMDS unreachable');
          return { token: 'ok', expiresOnTimestamp: Date.now() + HOUR };
        },
      },
      's',
    );
    await expect(auth.token()).rejects.toMatchObject({ kind: 'unauthorized', message: expect.stringContaining('IMDS unreachable') });
    fail = false;
    await expect(auth.token()).resolves.toBe('ok');
  });
});

describe('tokenFileAuthenticator (OpenShift, projected service-account tokens)', () => {
  it('re-reads the file after the interval, so rotated tokens are picked up', async () => {
    let clock = 0;
    let content = 'first\n';
    const auth = tokenFileAuthenticator(
      '/var/run/token',
      async () => content,
      () => clock,
      60_000,
    );
    expect(await auth.token()).toBe('first');
    content = 'second';
    clock = 59_999;
    expect(await auth.token()).toBe('first');
    clock = 60_000;
    expect(await auth.token()).toBe('second');
  });

  it('an empty or missing file is a configuration error', async () => {
    await expect(tokenFileAuthenticator('/x', async () => '  ').token()).rejects.toMatchObject({ kind: 'configuration' });
    await expect(
      tokenFileAuthenticator('/x', async () => {
        throw new Error('ENOENT');
      }).token(),
    ).rejects.toMatchObject({ kind: 'configuration' });
  });
});
