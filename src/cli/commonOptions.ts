import type { OptionSpec } from './command.js';

export const CONFIG_OPTION: Record<string, OptionSpec> = {
  config: { type: 'string', description: 'settings file (JSON or YAML); default: SPARK_DISPATCH_CONFIG, else the embedded demo settings', valueName: 'FILE' },
};
export const OUTPUT_OPTION = (formats: readonly string[], fallback: string): Record<string, OptionSpec> => ({
  output: { type: 'string', short: 'o', description: `output format: ${formats.join(' | ')} (default ${fallback})`, valueName: 'FORMAT' },
});
export const TENANT_OPTION: Record<string, OptionSpec> = {
  tenant: { type: 'string', description: 'the tenant (team) the job belongs to; default: the only one in settings', valueName: 'ID' },
};
