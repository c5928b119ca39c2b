/**
 * One ServiceBusClient per process, from a connection string (the local broker, or a namespace
 * with keys) or from a namespace host and the caller's credential (no keys, the production way:
 * the Function's managed identity, or the CLI user's sign-in).
 * The SDK is imported lazily: a function that never sends should not pay for loading it.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import { DispatchError } from '../../shared/errors.js';
import { isCredentialError, type CredentialFor } from '../credentials.js';
import type { ServiceBusSettings } from '../../settings/settingsSchema.js';

/**
 * The SDK's default retries wait a fixed 30 s between attempts: a Service Bus blip would hold a
 * send (a deferral, a retry, a hand-over) that long. Exponential from 1 s, up to 30 s, and as
 * many attempts: the same patience, spent sooner when the blip is short.
 */
// mode 0 is RetryMode.Exponential (@azure/core-amqp), written as its value so the SDK loads lazily.
export const SERVICE_BUS_RETRY = { mode: 0, maxRetries: 5, retryDelayInMs: 1_000, maxRetryDelayInMs: 30_000 } as const;

/** `credentialFor` is asked (with `managedIdentityClientId`) only for a namespace without a connection string. */
export async function createServiceBusClient(
  settings: ServiceBusSettings,
  credentialFor: CredentialFor,
  managedIdentityClientId?: string,
): Promise<ServiceBusClient> {
  const { ServiceBusClient } = await import('@azure/service-bus');
  const options = { retryOptions: SERVICE_BUS_RETRY };
  if (settings.connectionString) {
    try {
      return new ServiceBusClient(settings.connectionString, options);
    } catch (error) {
      // Never echo the connection string: it holds a key.
      const reason = (error instanceof Error ? error.message : String(error)).replace(/SharedAccessKey=[^;]*/gi, 'SharedAccessKey=***');
      throw new DispatchError('configuration', `serviceBus.connectionString is unusable: ${reason}`, { cause: error });
    }
  }
  if (settings.fullyQualifiedNamespace) {
    return new ServiceBusClient(settings.fullyQualifiedNamespace, await credentialFor(managedIdentityClientId), options);
  }
  throw new DispatchError(
    'configuration',
    'Service Bus is not configured: set settings.serviceBus.connectionString or fullyQualifiedNamespace',
  );
}

/** Maps the SDK's ServiceBusError codes onto DispatchError kinds. */
export function toServiceBusError(error: unknown, doing: string): DispatchError {
  if (error instanceof DispatchError) return error;
  const e = error as { code?: unknown; retryable?: unknown; message?: string };
  // No token (no sign-in, no identity): trying again will not help.
  if (isCredentialError(error))
    return new DispatchError('unauthorized', `${doing}: no Service Bus token could be obtained: ${e.message ?? String(error)}`, {
      cause: error,
    });
  const code = typeof e.code === 'string' ? e.code : '';
  const message = `${doing}: ${e.message ?? String(error)}`;
  switch (code) {
    case 'MessagingEntityNotFound':
      return new DispatchError('not-found', message, { cause: error });
    case 'UnauthorizedAccess':
      return new DispatchError('unauthorized', message, { cause: error });
    case 'MessageSizeExceeded':
      return new DispatchError('invalid', message, { cause: error });
    case 'ServiceBusy':
    case 'QuotaExceeded':
      return new DispatchError('throttled', message, { cause: error });
    case 'ServiceTimeout':
      return new DispatchError('timeout', message, { cause: error });
    default:
      return new DispatchError(e.retryable === false ? 'invalid' : 'unavailable', message, { cause: error });
  }
}
