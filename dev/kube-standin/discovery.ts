/**
 * Discovery documents (/version, /api, /api/v1, /apis, /apis/<group>[/<version>]) in the legacy
 * (unaggregated) form: kubectl asks for the aggregated form first and falls back to these when
 * the answer's content type is plain application/json.
 */
import { apiVersionOf, RESOURCE_TYPES, type ResourceType } from './resourceTypes.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

function resourceEntries(types: readonly ResourceType[]): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (const t of types) {
    entries.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: [...t.verbs],
      ...(t.shortNames.length > 0 ? { shortNames: [...t.shortNames] } : {}),
      // `kubectl get all` covers pods and services (not configmaps or events)
      ...(t.plural === 'pods' || t.plural === 'services' ? { categories: ['all'] } : {}),
    });
    for (const sub of t.subresources) {
      entries.push({
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
      });
    }
  }
  return entries;
}

export function coreVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupNames(): string[] {
  return [...new Set(RESOURCE_TYPES.map((t) => t.group).filter((g) => g !== ''))];
}

function apiGroup(name: string): Record<string, unknown> {
  const versions = [...new Set(RESOURCE_TYPES.filter((t) => t.group === name).map((t) => t.version))].map((version) => ({
    groupVersion: `${name}/${version}`,
    version,
  }));
  return { name, versions, preferredVersion: versions[0] };
}

export function groupList(): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames().map(apiGroup) };
}

/** /apis/<group>: undefined when the group is not served. */
export function groupDocument(group: string): unknown {
  if (!groupNames().includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

/** /api/v1 or /apis/<group>/<version>: undefined when not served. */
export function resourceList(group: string, version: string): unknown {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const first = types[0];
  const groupVersion = first ? apiVersionOf(first) : version;
  return group === ''
    ? { kind: 'APIResourceList', groupVersion, resources: resourceEntries(types) }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: resourceEntries(types) };
}
