/**
 * What applies to jobs in one namespace: its limits and defaults, merged from the namespace's own
 * settings, its tenant's and the global ones, with DEFAULT_LIMITS under all of them. Domain
 * values: resolveJob enforces them, the namespace manifests size their LimitRange from them,
 * settings validation checks the merge (src/settings imports this, never the other way round).
 */
import type { JobDefaults, Limits, NamespaceSettings, Settings, Tenant } from '../../settings/settingsSchema.js';

/** The job limits where neither the namespace, its tenant nor the settings set one. */
export const DEFAULT_LIMITS: Limits = {
  maxDriverCores: 8,
  maxDriverMemory: '32g',
  maxExecutorCores: 8,
  maxExecutorMemory: '64g',
  maxExecutors: 50,
  maxDeadlineSeconds: 7 * 24 * 3600,
};

/** What applies to jobs in one namespace: its limits and defaults merged with its tenant's and the global ones. */
export interface NamespacePolicy {
  /** The tenant that owns the namespace; undefined when no tenant does. */
  readonly tenant: string | undefined;
  /** The namespace's own settings; undefined when no tenant owns it. */
  readonly settings: NamespaceSettings | undefined;
  /** Each limit: the namespace's own, else its tenant's, else the global one, else DEFAULT_LIMITS. */
  readonly limits: Limits;
  /** Each default: the namespace's own, else its tenant's, else the global one, else none (the caller's fallback applies). */
  readonly defaults: JobDefaults;
}

/** The tenant that owns a namespace (own keys only: a namespace called "constructor" is not Object.prototype.constructor). */
export function namespaceOwner(
  settings: Pick<Settings, 'tenants'>,
  namespace: string | undefined,
): { readonly id: string; readonly tenant: Tenant } | undefined {
  if (namespace === undefined) return undefined;
  for (const [id, tenant] of Object.entries(settings.tenants)) {
    if (Object.hasOwn(tenant.namespaces, namespace)) return { id, tenant };
  }
  return undefined;
}

/**
 * The one place that merges a namespace's limits and defaults with its tenant's and the global
 * ones: settings validation checks the result, job resolution enforces it and the namespace
 * manifests size their LimitRange from it. A field set to undefined counts as not set.
 */
export function namespacePolicy(
  settings: Pick<Settings, 'tenants' | 'limits' | 'defaults'>,
  namespace: string | undefined,
): NamespacePolicy {
  const owner = namespaceOwner(settings, namespace);
  const ns = owner && namespace !== undefined ? owner.tenant.namespaces[namespace] : undefined;
  const team = owner?.tenant;
  // (TypeScript does not see that Partial<Limits>[K] without undefined is Limits[K].)
  const limit = <K extends keyof Limits>(key: K): Limits[K] =>
    (ns?.limits?.[key] ?? team?.limits[key] ?? settings.limits[key] ?? DEFAULT_LIMITS[key]) as Limits[K];
  const own = ns?.defaults;
  const mid = team?.defaults;
  const shared = settings.defaults;
  return {
    tenant: owner?.id,
    settings: ns,
    limits: {
      maxDriverCores: limit('maxDriverCores'),
      maxDriverMemory: limit('maxDriverMemory'),
      maxExecutorCores: limit('maxExecutorCores'),
      maxExecutorMemory: limit('maxExecutorMemory'),
      maxExecutors: limit('maxExecutors'),
      maxDeadlineSeconds: limit('maxDeadlineSeconds'),
    },
    defaults: {
      driver: {
        cores: own?.driver?.cores ?? mid?.driver?.cores ?? shared.driver.cores,
        memory: own?.driver?.memory ?? mid?.driver?.memory ?? shared.driver.memory,
      },
      executor: {
        cores: own?.executor?.cores ?? mid?.executor?.cores ?? shared.executor.cores,
        memory: own?.executor?.memory ?? mid?.executor?.memory ?? shared.executor.memory,
        instances: own?.executor?.instances ?? mid?.executor?.instances ?? shared.executor.instances,
      },
      deadlineSeconds: own?.deadlineSeconds ?? mid?.deadlineSeconds ?? shared.deadlineSeconds,
    },
  };
}
