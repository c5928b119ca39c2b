/**
 * ResourceQuota: the quota admission plugin (apiserver/pkg/admission/plugin/resourcequota,
 * controller.go CheckRequest) and the quota controller that keeps status.hard/status.used
 * (pkg/controller/resourcequota), for object-count resources.
 *
 * Usage, as the evaluators define it (pkg/quota/v1/evaluator/core/pods.go PodUsageFunc):
 *  - `pods`: pods that have not reached a terminal phase (Succeeded/Failed do not count),
 *  - `count/pods`: every pod in storage, terminal or not ("count/pods tracks all pods
 *    independent of state"): a finished pod holds its slot until it is deleted,
 *  - `count/<resource>[.<group>]` and the legacy `services`, `configmaps`, `resourcequotas`:
 *    every object of that resource in the namespace.
 * Scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, scopeSelector PriorityClass)
 * select pods only (podMatchesScopeFunc); a quota with scopes never matches other resources.
 * Compute resources of pods that have not finished (pods.go podComputeUsageHelper): `requests.cpu`,
 * `requests.memory`, `limits.cpu`, `limits.memory`, and `cpu` / `memory` for the requests, summed over
 * the containers (an init container counts when it asks for more than they do together). A pod that
 * does not say what a quota constrains is refused (CheckRequest's "must specify").
 */
import { arrayAt, deepEqual, isRecord, recordAt, stringAt } from './jsonValues.js';
import type { ObjectStore } from './objectStore.js';
import { podQosClass } from './qosClass.js';
import { parseQuantity } from './quantity.js';
import { RESOURCE_TYPES, type ResourceType } from './resourceTypes.js';
import { labelSelectorRequirements, matchesLabels } from './selectors.js';
import { forbidden, type ApiError } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

const LEGACY_COUNT_NAMES: Record<string, string> = { services: 'services', configmaps: 'configmaps', resourcequotas: 'resourcequotas' };

/** The quota resource names an object of `type` is charged under, with its usage (1 or 0) for each. */
export function objectUsage(type: ResourceType, obj: KubeStoredObject): Record<string, number> {
  const countName = type.group === '' ? `count/${type.plural}` : `count/${type.plural}.${type.group}`;
  const usage: Record<string, number> = { [countName]: 1 };
  if (type.plural === 'pods') {
    const terminal = isTerminalPod(obj);
    usage.pods = terminal ? 0 : 1;
    const compute = podCompute(obj);
    for (const name of COMPUTE_NAMES) usage[name] = terminal ? 0 : (compute[name] ?? 0);
  }
  const legacy = LEGACY_COUNT_NAMES[type.plural];
  if (legacy) usage[legacy] = 1;
  return usage;
}

/** The compute resource names a quota can hard-limit, with where a container states them. */
const COMPUTE: Readonly<Record<string, { readonly field: 'requests' | 'limits'; readonly resource: 'cpu' | 'memory' }>> = {
  'requests.cpu': { field: 'requests', resource: 'cpu' },
  'requests.memory': { field: 'requests', resource: 'memory' },
  'limits.cpu': { field: 'limits', resource: 'cpu' },
  'limits.memory': { field: 'limits', resource: 'memory' },
  cpu: { field: 'requests', resource: 'cpu' },
  memory: { field: 'requests', resource: 'memory' },
};
const COMPUTE_NAMES = Object.keys(COMPUTE);

/** A container's request (a missing request defaults to its limit, as the API server's defaulting does). */
function containerAmount(container: unknown, field: 'requests' | 'limits', resource: 'cpu' | 'memory'): number | undefined {
  const own = parseQuantity(recordAt(container, 'resources', field)?.[resource]);
  if (own !== undefined || field === 'limits') return own;
  return parseQuantity(recordAt(container, 'resources', 'limits')?.[resource]);
}

function podCompute(pod: KubeStoredObject): Record<string, number> {
  const containers = arrayAt(pod, 'spec', 'containers') ?? [];
  const inits = arrayAt(pod, 'spec', 'initContainers') ?? [];
  const out: Record<string, number> = {};
  for (const [name, { field, resource }] of Object.entries(COMPUTE)) {
    const sum = containers.reduce<number>((n, c) => n + (containerAmount(c, field, resource) ?? 0), 0);
    const init = inits.reduce<number>((n, c) => Math.max(n, containerAmount(c, field, resource) ?? 0), 0);
    out[name] = Math.max(sum, init);
  }
  return out;
}

/** Containers that do not state a constrained resource: "must specify requests.cpu for: a,b; limits.memory for: a". */
function missingCompute(pod: KubeStoredObject, constrained: readonly string[]): string | undefined {
  const containers = [...(arrayAt(pod, 'spec', 'initContainers') ?? []), ...(arrayAt(pod, 'spec', 'containers') ?? [])];
  const parts: string[] = [];
  for (const name of constrained) {
    const rule = COMPUTE[name];
    if (!rule) continue;
    const missing = containers
      .filter((c) => containerAmount(c, rule.field, rule.resource) === undefined)
      .map((c) => stringAt(c, 'name') ?? '');
    if (missing.length > 0) parts.push(`${name} for: ${missing.join(',')}`);
  }
  return parts.length > 0 ? `must specify ${parts.join('; ')}` : undefined;
}

/** Usage as the quota status shows it: CPU in cores or millicores, memory in Mi when whole, counts as integers. */
function formatUsage(name: string, value: number): string {
  const rule = COMPUTE[name];
  if (rule?.resource === 'cpu') return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  if (rule?.resource === 'memory') return value % 2 ** 20 === 0 ? `${value / 2 ** 20}Mi` : String(Math.round(value));
  return String(value);
}

function isTerminalPod(pod: KubeStoredObject): boolean {
  const phase = stringAt(pod, 'status', 'phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

/** A quota's scopes, read once per quota (not per pod). */
interface QuotaScopes {
  readonly requirements: readonly ScopeRequirement[];
  /** Whether a scope needs the pod's QoS class (costly: it parses every container's resources). */
  readonly needsQos: boolean;
}

function quotaScopes(quota: KubeStoredObject): QuotaScopes {
  const requirements: ScopeRequirement[] = (arrayAt(quota, 'spec', 'scopes') ?? [])
    .filter((s): s is string => typeof s === 'string')
    .map((scopeName) => ({ scopeName, operator: 'Exists', values: [] }));
  for (const expr of arrayAt(quota, 'spec', 'scopeSelector', 'matchExpressions') ?? []) {
    if (!isRecord(expr)) continue;
    requirements.push({
      scopeName: String(expr.scopeName ?? ''),
      operator: String(expr.operator ?? ''),
      values: (Array.isArray(expr.values) ? expr.values : []).map(String),
    });
  }
  return { requirements, needsQos: requirements.some((r) => r.scopeName === 'BestEffort' || r.scopeName === 'NotBestEffort') };
}

/** podMatchesScopeFunc for every requirement of the quota. */
function podMatchesScopes(pod: KubeStoredObject, scopes: QuotaScopes): boolean {
  const spec = recordAt(pod, 'spec');
  const deadline = spec?.activeDeadlineSeconds;
  const terminating = typeof deadline === 'number' && deadline >= 0;
  const bestEffort = scopes.needsQos && podQosClass(spec) === 'BestEffort';
  return scopes.requirements.every(({ scopeName, operator, values }) => {
    switch (scopeName) {
      case 'Terminating':
        return terminating;
      case 'NotTerminating':
        return !terminating;
      case 'BestEffort':
        return bestEffort;
      case 'NotBestEffort':
        return !bestEffort;
      case 'PriorityClass': {
        const className = typeof spec?.priorityClassName === 'string' ? spec.priorityClassName : '';
        if (operator === 'Exists') return className !== '';
        // podMatchesSelector: the pod is the label set {PriorityClass: name}, empty when it has no class
        const labels: Record<string, string> = className === '' ? {} : { PriorityClass: className };
        return matchesLabels(labelSelectorRequirements({ matchExpressions: [{ key: 'PriorityClass', operator, values }] }), labels);
      }
      default:
        return false;
    }
  });
}

/** generic.Matches: the quota covers the object when every scope matches (scoped quotas only cover pods). */
function quotaMatches(scopes: QuotaScopes, type: ResourceType, obj: KubeStoredObject): boolean {
  if (scopes.requirements.length === 0) return true;
  if (type.plural !== 'pods') return false;
  return podMatchesScopes(obj, scopes);
}

function hardOf(quota: KubeStoredObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(recordAt(quota, 'spec', 'hard') ?? {})) out[k] = String(v);
  return out;
}

/** The resource names a hard limit can be tracked for (object counts of the served resources), with their type. */
const TRACKED_TYPES: ReadonlyMap<string, ResourceType> = (() => {
  const tracked = new Map<string, ResourceType>();
  for (const type of RESOURCE_TYPES) {
    if (!type.namespaced) continue;
    const countName = type.group === '' ? `count/${type.plural}` : `count/${type.plural}.${type.group}`;
    for (const name of [countName, LEGACY_COUNT_NAMES[type.plural], ...(type.plural === 'pods' ? ['pods', ...COMPUTE_NAMES] : [])]) {
      if (name !== undefined && !tracked.has(name)) tracked.set(name, type);
    }
  }
  return tracked;
})();

/** Whether `quota` has a hard entry counting objects of `type`. */
function tracks(quota: KubeStoredObject, type: ResourceType): boolean {
  return Object.keys(recordAt(quota, 'spec', 'hard') ?? {}).some((name) => TRACKED_TYPES.get(name) === type);
}

/** Sorted `name=value` pairs joined by commas (controller.go prettyPrint). */
function prettyPrint(values: Record<string, string | number>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${k}=${values[k]}`)
    .join(',');
}

const POD_COUNT_NAMES = ['pods', 'count/pods'];

export class QuotaTracker {
  private readonly maxPods = new Map<string, number>();

  constructor(private readonly store: ObjectStore) {}

  /** status.used of `quota` computed from storage (the quota controller's recalculation). */
  private computeUsed(quota: KubeStoredObject, namespace: string): Record<string, string> {
    const scopes = quotaScopes(quota);
    // one pass over the objects of each type, however many hard entries (pods, count/pods) count it
    const namesByType = new Map<ResourceType, string[]>();
    const totals: Record<string, number> = {};
    for (const resourceName of Object.keys(hardOf(quota))) {
      const type = TRACKED_TYPES.get(resourceName);
      if (!type) continue;
      totals[resourceName] = 0;
      namesByType.set(type, [...(namesByType.get(type) ?? []), resourceName]);
    }
    for (const [type, names] of namesByType) {
      if (scopes.requirements.length > 0 && type.plural !== 'pods') continue;
      for (const obj of this.store.peekAll(type.plural, namespace)) {
        if (!quotaMatches(scopes, type, obj)) continue;
        const usage = objectUsage(type, obj);
        for (const name of names) totals[name] = (totals[name] ?? 0) + (usage[name] ?? 0);
      }
    }
    const used: Record<string, string> = {};
    for (const [name, total] of Object.entries(totals)) used[name] = formatUsage(name, total);
    return used;
  }

  /** Fills status.hard and status.used of a quota about to be stored. */
  fillStatus(quota: KubeStoredObject): void {
    quota.status = { hard: hardOf(quota), used: this.computeUsed(quota, quota.metadata.namespace ?? '') };
  }

  /**
   * CheckRequest for the create of `obj`: the first quota (in name order) that would be exceeded
   * refuses it with 403 and the real message. Synchronous: the caller inserts in the same tick.
   */
  checkCreate(type: ResourceType, obj: KubeStoredObject): ApiError | undefined {
    if (!type.namespaced || !obj.metadata.namespace) return undefined;
    const delta = objectUsage(type, obj);
    for (const quota of this.store.peekAll('resourcequotas', obj.metadata.namespace)) {
      if (!quotaMatches(quotaScopes(quota), type, obj)) continue;
      const hard = recordAt(quota, 'status', 'hard') ?? hardOf(quota);
      if (type.plural === 'pods') {
        const missing = missingCompute(
          obj,
          Object.keys(hard).filter((n) => COMPUTE[n] !== undefined),
        );
        if (missing) return forbidden(type, obj.metadata.name, `failed quota: ${quota.metadata.name}: ${missing}`);
      }
      const used = recordAt(quota, 'status', 'used') ?? {};
      const requested: Record<string, number> = {};
      for (const name of Object.keys(hard)) if (delta[name] !== undefined) requested[name] = delta[name] ?? 0;
      const exceeded = Object.keys(requested).filter((name) => {
        const limit = parseQuantity(hard[name]) ?? 0;
        const current = parseQuantity(used[name]) ?? 0;
        return current + (requested[name] ?? 0) > limit;
      });
      if (exceeded.length === 0) continue;
      const pick = (source: Record<string, unknown>) =>
        Object.fromEntries(exceeded.map((n) => [n, typeof source[n] === 'number' ? formatUsage(n, source[n]) : String(source[n] ?? '0')]));
      return forbidden(
        type,
        obj.metadata.name,
        `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(pick(requested))}, used: ${prettyPrint(pick(used))}, limited: ${prettyPrint(pick(hard))}`,
      );
    }
    return undefined;
  }

  /**
   * The quota controller: recompute the quotas of the namespace; `write` stores the changed ones.
   * With `changed` (the type just written), only the quotas counting that type: the others' usage
   * cannot have moved. A written quota recounts them all (its own status and the pod statistics).
   */
  refresh(namespace: string, write: (quota: KubeStoredObject) => void, changed?: ResourceType): void {
    for (const quota of this.store.peekAll('resourcequotas', namespace)) {
      if (quota.metadata.deletionTimestamp) continue;
      if (changed && changed.plural !== 'resourcequotas' && !tracks(quota, changed)) continue;
      const hard = hardOf(quota);
      const used = this.computeUsed(quota, namespace);
      const status = recordAt(quota, 'status');
      const same = deepEqual(status?.hard ?? {}, hard) && deepEqual(status?.used ?? {}, used);
      for (const name of POD_COUNT_NAMES) {
        const count = Number(used[name] ?? '0');
        if (count > (this.maxPods.get(namespace) ?? 0)) this.maxPods.set(namespace, count);
      }
      if (!same) write({ ...structuredClone(quota), status: { hard, used } });
    }
  }

  maxConcurrentPods(): Record<string, number> {
    return Object.fromEntries(this.maxPods);
  }

  resetStats(): void {
    this.maxPods.clear();
  }
}
