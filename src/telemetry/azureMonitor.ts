/**
 * Sends the dispatcher's traces and metrics to Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (the Bicep sets it on the Function App). Loaded
 * lazily: the exporter is large, and a cold start without it should not pay for it.
 *
 * The Bicep's Application Insights refuses local auth (DisableLocalAuth): it takes telemetry only
 * with an Entra ID token, so the connection string alone is not a credential. The Functions host
 * reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING for its own telemetry, but nothing in the Node
 * worker does (@azure/monitor-opentelemetry reads the connection string only): the exporter gets
 * the managed identity that string names, as `azureMonitorExporterOptions.credential`, or every
 * export is refused. The string is `Authorization=AAD` for the system-assigned identity and
 * `ClientId=<client id>;Authorization=AAD` for a user-assigned one, as Microsoft's Flex
 * Consumption samples set it (Azure-Samples/functions-quickstart-javascript-azd-eventgrid-blob,
 * infra/app/processor.bicep).
 */
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { managedIdentityCredential } from '../adapters/managedIdentity.js';
import { DispatchError } from '../shared/errors.js';

type ExporterOptions = NonNullable<AzureMonitorOpenTelemetryOptions['azureMonitorExporterOptions']>;
export type TelemetryCredential = NonNullable<ExporterOptions['credential']>;

/** The identity a credential is made for: a user-assigned one's client id, or none for the system-assigned one. */
export type CredentialFor = (clientId?: string) => Promise<TelemetryCredential>;

/**
 * What APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for: nothing (unset: local auth, as with a
 * component that allows it), or Entra ID with the system-assigned identity or the user-assigned
 * one whose client id it names. Anything else is refused: a string the code would misread means
 * telemetry silently lost.
 */
export function telemetryIdentity(value: string | undefined): { entraId: false } | { entraId: true; clientId?: string } {
  if (value === undefined || value.trim() === '') return { entraId: false };
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw badAuthString(value);
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const unknown = [...fields.keys()].filter((k) => k !== 'authorization' && k !== 'clientid');
  if (fields.get('authorization')?.toLowerCase() !== 'aad' || unknown.length > 0) throw badAuthString(value);
  const clientId = fields.get('clientid');
  if (clientId === '') throw badAuthString(value);
  return clientId === undefined ? { entraId: true } : { entraId: true, clientId };
}

function badAuthString(value: string): DispatchError {
  return new DispatchError(
    'configuration',
    `APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be "Authorization=AAD" (system-assigned identity) or "ClientId=<client id>;Authorization=AAD" (user-assigned), not "${value}"`,
  );
}

/**
 * The options `useAzureMonitor` gets: the connection string, and the managed identity's credential
 * when the authentication string asks for Entra ID. Undefined without a connection string.
 */
export async function azureMonitorOptions(
  env: Readonly<Record<string, string | undefined>>,
  credentialFor: CredentialFor = managedIdentityCredential,
): Promise<AzureMonitorOpenTelemetryOptions | undefined> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return undefined;
  const identity = telemetryIdentity(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  if (!identity.entraId) return { azureMonitorExporterOptions: { connectionString } };
  const credential = await credentialFor(identity.clientId);
  return { azureMonitorExporterOptions: { connectionString, credential } };
}

let started = false;

/** Registers Application Insights as the OpenTelemetry provider, once. `use` is for tests. */
export async function startAzureMonitor(
  env: Readonly<Record<string, string | undefined>>,
  use?: (options: AzureMonitorOpenTelemetryOptions) => void,
  credentialFor?: CredentialFor,
): Promise<boolean> {
  if (started) return true;
  const options = await azureMonitorOptions(env, credentialFor);
  if (!options) return false;
  (use ?? (await import('@azure/monitor-opentelemetry')).useAzureMonitor)(options);
  started = true;
  return true;
}
