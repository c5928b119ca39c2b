import type { OptionSpec } from './command.js';

export const CONFIG_OPTION: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    description: 'settings file (JSON or YAML); default: SPARK_DISPATCH_CONFIG, else the embedded demo settings',
    valueName: 'FILE',
  },
};
export const OUTPUT_OPTION = (formats: readonly string[], fallback: string): Record<string, OptionSpec> => ({
  output: { type: 'string', short: 'o', description: `output format: ${formats.join(' | ')} (default ${fallback})`, valueName: 'FORMAT' },
});
export const TENANT_OPTION: Record<string, OptionSpec> = {
  tenant: { type: 'string', description: 'the tenant (team) the job belongs to; default: the only one in settings', valueName: 'ID' },
};

/**
 * Pointing a command at a deployment without a settings file: its storage account (the ledger's,
 * in the Bicep the data lake's) and its Service Bus namespace, reached with the user's sign-in.
 */
export const STORAGE_ACCOUNT_OPTION: Record<string, OptionSpec> = {
  'storage-account': {
    type: 'string',
    description:
      "the deployment's storage account (Bicep output adlsAccountName): its job ledger, at https://NAME.blob.core.windows.net, with your Azure sign-in (az login); default: settings ledger.account",
    valueName: 'NAME',
  },
};
export const SERVICE_BUS_OPTION: Record<string, OptionSpec> = {
  servicebus: {
    type: 'string',
    description:
      "the deployment's Service Bus namespace (NAME or NAME.servicebus.windows.net), with your Azure sign-in (az login); default: settings serviceBus",
    valueName: 'NAMESPACE',
  },
};
