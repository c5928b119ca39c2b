import { describe, expect, it } from 'vitest';
import { toStorageError } from '../../src/adapters/blob/storageErrors.js';
import { DispatchError } from '../../src/shared/errors.js';

/** A RestError as @azure/storage-blob throws it: status, code, parsed details, response headers. */
function restError(statusCode: number, errorCode: string | undefined, message: string, headers: Record<string, string> = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.assign(new Error(message), {
    name: 'RestError',
    statusCode,
    code: errorCode,
    details: errorCode === undefined ? {} : { errorCode, message },
    response: { status: statusCode, headers: { get: (name: string) => lower[name.toLowerCase()] } },
  });
}

const withIds = (text: string) => `${text}\nRequestId:0e76f710-2dea-4e21-8b61-458abbb3f631\nTime:2026-01-01T00:00:00.000Z`;

describe('toStorageError', () => {
  it.each([
    [404, 'BlobNotFound', 'The specified blob does not exist.', 'not-found', false],
    [404, 'ContainerNotFound', 'The specified container does not exist.', 'not-found', false],
    [409, 'BlobAlreadyExists', 'The specified blob already exists.', 'already-exists', false],
    [409, 'ContainerAlreadyExists', 'The specified container already exists.', 'already-exists', false],
    [409, 'LeaseIdMissing', 'There is currently a lease on the blob and no lease ID was specified in the request.', 'conflict', false],
    [412, 'ConditionNotMet', 'The condition specified using HTTP conditional header(s) is not met.', 'conflict', false],
    [429, 'TooManyRequests', 'slow down', 'throttled', true],
    [503, 'ServerBusy', 'The server is busy.', 'throttled', true],
    [503, 'ServiceUnavailable', 'The server is currently unable to receive requests.', 'unavailable', true],
    [500, 'InternalError', 'The server encountered an internal error.', 'unavailable', true],
    [500, 'OperationTimedOut', 'The operation could not be completed within the permitted time.', 'timeout', true],
    [401, 'NoAuthenticationInformation', 'Server failed to authenticate the request.', 'unauthorized', false],
    [403, 'AuthenticationFailed', 'Server failed to authenticate the request.', 'unauthorized', false],
    [
      403,
      'AuthorizationPermissionMismatch',
      'This request is not authorized to perform this operation using this permission.',
      'forbidden',
      false,
    ],
    [400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', 'invalid', false],
  ] as const)('%i %s → %s (retryable %s), keeping the service message', (status, code, message, kind, retryable) => {
    const e = toStorageError(restError(status, code, withIds(message), { 'x-ms-request-id': 'r-1' }), 'read jobs/x.json');
    expect(e).toBeInstanceOf(DispatchError);
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(retryable);
    expect(e.status).toBe(status);
    expect(e.serverMessage).toBe(message);
    expect(e.message).toBe(`read jobs/x.json: ${message} (request id r-1)`);
  });

  it('names the error code when a HEAD request has no body to carry a message', () => {
    const head = Object.assign(new Error(''), {
      name: 'RestError',
      statusCode: 404,
      details: { errorCode: 'BlobNotFound' },
      response: { headers: { get: (n: string) => (n === 'x-ms-error-code' ? 'BlobNotFound' : undefined) } },
    });
    expect(toStorageError(head, 'properties of a/b/c')).toMatchObject({ kind: 'not-found', serverMessage: 'BlobNotFound (HTTP 404)' });
    const headerOnly = Object.assign(new Error(''), {
      name: 'RestError',
      statusCode: 412,
      response: { headers: { 'x-ms-error-code': 'ConditionNotMet' } },
    });
    expect(toStorageError(headerOnly, 'x')).toMatchObject({ kind: 'conflict', serverMessage: 'ConditionNotMet (HTTP 412)' });
  });

  it('honours Retry-After in seconds and as a date', () => {
    expect(toStorageError(restError(429, 'TooManyRequests', 'x', { 'Retry-After': '3' }), 'x').retryAfterMs).toBe(3000);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const fromDate = toStorageError(restError(503, 'ServerBusy', 'x', { 'retry-after': inTenSeconds }), 'x').retryAfterMs;
    expect(fromDate).toBeGreaterThan(8_000);
    expect(fromDate).toBeLessThanOrEqual(10_000);
    expect(toStorageError(restError(503, 'ServerBusy', 'x'), 'x').retryAfterMs).toBeUndefined();
  });

  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', 'network'],
    ['ECONNRESET', 'socket hang up', 'network'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443', 'network'],
    ['REQUEST_SEND_ERROR', 'Error sending request', 'network'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND nosuch.blob.core.windows.net', 'network'],
  ] as const)('a RestError without a status, code %s → %s (retryable)', (code, message, kind) => {
    const e = toStorageError(Object.assign(new Error(message), { name: 'RestError', code }), 'list jobs/');
    expect(e).toMatchObject({ kind, retryable: true, status: undefined });
    expect(e.message).toBe(`list jobs/: ${message}`);
  });

  it('an aborted request is a timeout', () => {
    const abort = Object.assign(new Error('The operation was aborted. Rejecting from abort signal callback while making request.'), {
      name: 'AbortError',
    });
    expect(toStorageError(abort, 'x')).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('no token from the managed identity is unauthorized', () => {
    const e = Object.assign(new Error('ManagedIdentityCredential: no managed identity endpoint found'), {
      name: 'CredentialUnavailableError',
    });
    expect(toStorageError(e, 'x')).toMatchObject({ kind: 'unauthorized', retryable: false });
  });

  it('passes a DispatchError through and treats anything else as unavailable', () => {
    const original = new DispatchError('configuration', 'bad');
    expect(toStorageError(original, 'x')).toBe(original);
    expect(toStorageError('weird', 'x')).toMatchObject({ kind: 'unavailable', message: 'x: weird' });
  });
});
