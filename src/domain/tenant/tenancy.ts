/**
 * Who a request belongs to. A tenant (a team) is resolved from where a request came from (the
 * queue it arrived on, the filesystem of an upload), never from what the request says; its job
 * keys, names, ledger records and storage identity are its own. Pure: settings are only read.
 */
import type { Settings, Tenant } from '../../settings/settingsSchema.js';
import { namespaceOwner } from './namespacePolicy.js';

export interface TenantRef {
  readonly id: string;
  readonly tenant: Tenant;
}

export { namespaceOwner };

export function tenantById(settings: Pick<Settings, 'tenants'>, id: string): TenantRef | undefined {
  return Object.hasOwn(settings.tenants, id) ? { id, tenant: settings.tenants[id]! } : undefined;
}

export function tenantRefs(settings: Pick<Settings, 'tenants'>): TenantRef[] {
  return Object.entries(settings.tenants).map(([id, tenant]) => ({ id, tenant }));
}

/** The tenant whose job queue this is: only that team may send to it (Service Bus RBAC per queue). */
export function tenantOfQueue(settings: Pick<Settings, 'tenants'>, queue: string): TenantRef | undefined {
  return tenantRefs(settings).find((t) => t.tenant.queue === queue);
}

/** The tenant that owns a filesystem: settings never give one filesystem to two tenants. */
export function tenantOfFilesystem(settings: Pick<Settings, 'tenants'>, account: string, filesystem: string): TenantRef | undefined {
  return tenantRefs(settings).find(
    (t) => Object.hasOwn(t.tenant.storage, account) && t.tenant.storage[account]!.filesystems.includes(filesystem),
  );
}

/** Every namespace of every tenant: what the sweeper visits and the local stack creates. */
export function allNamespaces(settings: Pick<Settings, 'tenants'>): string[] {
  return tenantRefs(settings).flatMap((t) => Object.keys(t.tenant.namespaces));
}

/** Every driver service account any namespace names (what a stand-in cluster must hold for the drivers to be admitted). */
export function allDriverServiceAccounts(settings: Pick<Settings, 'tenants'>): string[] {
  return [...new Set(tenantRefs(settings).flatMap((t) => Object.values(t.tenant.namespaces).map((ns) => ns.driverServiceAccount)))];
}

/** The namespace's own settings (service account, priority class, cap), whoever owns it. */
export function namespaceSettings(settings: Pick<Settings, 'tenants'>, namespace: string): Tenant['namespaces'][string] | undefined {
  const owner = namespaceOwner(settings, namespace);
  return owner?.tenant.namespaces[namespace];
}

/** Every account with the filesystems any tenant owns in it (tenants may share an account, never a filesystem). */
export function allAccounts(settings: Pick<Settings, 'tenants'>): Record<string, string[]> {
  const accounts: Record<string, string[]> = {};
  for (const { tenant } of tenantRefs(settings)) {
    for (const [account, { filesystems }] of Object.entries(tenant.storage))
      accounts[account] = [...new Set([...(accounts[account] ?? []), ...filesystems])];
  }
  return accounts;
}

/** The only tenant, when there is exactly one (the single-team form): CLI commands need no --tenant then. */
export function onlyTenant(settings: Pick<Settings, 'tenants'>): TenantRef | undefined {
  const refs = tenantRefs(settings);
  return refs.length === 1 ? refs[0] : undefined;
}
