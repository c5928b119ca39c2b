import { onlyTenant, tenantById, type TenantRef } from '../domain/tenant/tenancy.js';
import type { Settings } from '../settings/settingsSchema.js';
import { stringOption, UsageError, type ParsedArgs } from './command.js';

/**
 * The tenant a CLI command acts for: `--tenant`, else the only one. An operator at the CLI speaks
 * for a team explicitly; with several teams and no --tenant the command refuses rather than guess.
 */
export function cliTenant(args: ParsedArgs, settings: Settings): TenantRef {
  const ids = Object.keys(settings.tenants);
  const asked = stringOption(args, 'tenant');
  if (asked === undefined) {
    const only = onlyTenant(settings);
    if (only) return only;
    throw new UsageError(`settings have ${ids.length} tenants: say which with --tenant (${ids.join(', ')})`);
  }
  const found = tenantById(settings, asked);
  if (!found) throw new UsageError(`--tenant must be one of ${ids.join(', ')}, not "${asked}"`);
  return found;
}
