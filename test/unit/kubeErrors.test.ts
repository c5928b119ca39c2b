import { describe, expect, it } from 'vitest';
import { toDispatchError } from '../../src/adapters/kubernetes/kubeErrors.js';

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
const apiException = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers });

describe('toDispatchError', () => {
  it.each([
    [409, 'AlreadyExists', 'pods "a" already exists', 'already-exists', false],
    [409, 'Conflict', 'the object has been modified', 'conflict', false],
    [
      403,
      'Forbidden',
      'pods "a" is forbidden: exceeded quota: q, requested: count/pods=1, used: count/pods=2, limited: count/pods=2',
      'quota-exceeded',
      false,
    ],
    [403, 'Forbidden', 'pods is forbidden: User "x" cannot create resource "pods"', 'forbidden', false],
    [422, 'Invalid', 'Service "1x" is invalid', 'invalid', false],
    [400, 'BadRequest', 'bad', 'invalid', false],
    [404, 'NotFound', 'namespaces "x" not found', 'not-found', false],
    [401, 'Unauthorized', 'Unauthorized', 'unauthorized', false],
    [429, 'TooManyRequests', 'slow down', 'throttled', true],
    [500, 'InternalError', 'boom', 'unavailable', true],
    [503, 'ServiceUnavailable', 'down', 'unavailable', true],
  ] as const)('%i %s → %s (retryable %s), keeping the server message', (code, reason, message, kind, retryable) => {
    const e = toDispatchError(apiException(code, status(code, reason, message)), 'create pod/a');
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(retryable);
    expect(e.serverMessage).toBe(message);
    expect(e.status).toBe(code);
    expect(e.message).toBe(`create pod/a: ${message}`);
  });

  it('reads Retry-After in seconds', () => {
    expect(toDispatchError(apiException(429, status(429, 'TooManyRequests', 'x'), { 'retry-after': '3' }), 'x').retryAfterMs).toBe(3000);
  });

  it('accepts a Status object body and a non-JSON body', () => {
    expect(toDispatchError(apiException(404, { reason: 'NotFound', message: 'gone' }), 'x').serverMessage).toBe('gone');
    expect(toDispatchError(apiException(502, '<html>bad gateway</html>'), 'x')).toMatchObject({
      kind: 'unavailable',
      serverMessage: '<html>bad gateway</html>',
    });
  });

  it('an answer without a message says its status, and where a redirect pointed', () => {
    expect(toDispatchError(apiException(502, ''), 'read pod/a')).toMatchObject({
      kind: 'unavailable',
      message: 'read pod/a: HTTP 502',
      serverMessage: 'HTTP 502',
    });
    expect(toDispatchError(apiException(302, '', { location: 'https://login.example/' }), 'read pod/a')).toMatchObject({
      kind: 'invalid',
      retryable: false,
      status: 302,
      message: 'read pod/a: HTTP 302, redirected to https://login.example/',
    });
  });

  it.each([
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', type: 'system' }), 'network'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', type: 'system' }), 'network'],
    [Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' }), 'timeout'],
  ])('network failure %#: %s', (error, kind) => {
    const e = toDispatchError(error, 'x');
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(true);
  });
});
