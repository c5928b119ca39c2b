/**
 * Item 9 of "Spark and Azure fidelity": Application Insights has local auth disabled (the Bicep's
 * DisableLocalAuth), so the exporter must get the managed identity's credential or every export
 * is refused. These tests look at the options the exporter gets; test/unit/bicepWiring.test.ts
 * feeds them the app settings main.bicep sets.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { describe, expect, it } from 'vitest';
import {
  azureMonitorOptions,
  startAzureMonitor,
  telemetryIdentity,
  type CredentialFor,
  type TelemetryCredential,
} from '../../src/telemetry/azureMonitor.js';

const CONNECTION =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

/** A credential factory that records the identity asked for and hands back a marked credential. */
function recordingCredentials() {
  const asked: (string | undefined)[] = [];
  const made: TelemetryCredential[] = [];
  const credentialFor: CredentialFor = async (clientId) => {
    asked.push(clientId);
    const credential: TelemetryCredential = {
      getToken: async () => ({ token: `token-for-${clientId ?? 'system'}`, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    made.push(credential);
    return credential;
  };
  return { asked, made, credentialFor };
}

describe('item 9: the telemetry exporter authenticates with the managed identity (Application Insights refuses local auth)', () => {
  it("Authorization=AAD: the exporter gets the system-assigned identity's credential with the connection string", async () => {
    const { asked, made, credentialFor } = recordingCredentials();
    const options = await azureMonitorOptions(
      { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' },
      credentialFor,
    );
    expect(options?.azureMonitorExporterOptions?.connectionString).toBe(CONNECTION);
    expect(options?.azureMonitorExporterOptions?.credential).toBeDefined();
    expect(options?.azureMonitorExporterOptions?.credential).toBe(made[0]);
    expect(asked).toEqual([undefined]);
  });

  it('ClientId=…;Authorization=AAD (as the Flex Consumption samples write it): the user-assigned identity with that client id', async () => {
    const { asked, credentialFor } = recordingCredentials();
    for (const auth of [
      `ClientId=${CLIENT_ID};Authorization=AAD`,
      `Authorization=AAD;ClientId=${CLIENT_ID}`,
      ` authorization=aad ; clientid=${CLIENT_ID} ;`,
    ]) {
      const options = await azureMonitorOptions(
        { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: auth },
        credentialFor,
      );
      expect(options?.azureMonitorExporterOptions?.credential, auth).toBeDefined();
    }
    expect(asked).toEqual([CLIENT_ID, CLIENT_ID, CLIENT_ID]);
  });

  it("with the real factory, the credential is @azure/identity's ManagedIdentityCredential", async () => {
    const options = await azureMonitorOptions({
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
    });
    expect(options?.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('startAzureMonitor hands useAzureMonitor exactly those options, credential included', async () => {
    const { made, credentialFor } = recordingCredentials();
    const given: AzureMonitorOpenTelemetryOptions[] = [];
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' };
    expect(await startAzureMonitor(env, (o) => given.push(o), credentialFor)).toBe(true);
    expect(given).toEqual([{ azureMonitorExporterOptions: { connectionString: CONNECTION, credential: made[0] } }]);
    // Once per process.
    expect(await startAzureMonitor(env, (o) => given.push(o), credentialFor)).toBe(true);
    expect(given).toHaveLength(1);
  });

  it('no connection string: no exporter; no authentication string: no credential (a component that allows local auth)', async () => {
    const { asked, credentialFor } = recordingCredentials();
    expect(await azureMonitorOptions({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }, credentialFor)).toBeUndefined();
    expect(await azureMonitorOptions({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION }, credentialFor)).toEqual({
      azureMonitorExporterOptions: { connectionString: CONNECTION },
    });
    expect(asked).toEqual([]);
  });

  it('refuses an authentication string it would misread, rather than export without a credential', () => {
    for (const bad of ['Authorization=Key', 'ClientId=x', 'Authorization=AAD;ClientId=', 'Authorization=AAD;Tenant=x', 'AAD']) {
      expect(() => telemetryIdentity(bad), bad).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be/);
    }
    expect(telemetryIdentity(undefined)).toEqual({ entraId: false });
    expect(telemetryIdentity('Authorization=AAD')).toEqual({ entraId: true });
  });
});
