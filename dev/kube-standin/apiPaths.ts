/**
 * Routing of API paths as the apiserver's installer lays them out (apiserver/pkg/endpoints/installer.go):
 *   /api/v1/<resource>                            collection (cluster-scoped, or across namespaces)
 *   /api/v1/<resource>/<name>[/<subresource>]     cluster-scoped object
 *   /api/v1/namespaces/<ns>/<resource>[/<name>[/<subresource>]]
 *   /apis/<group>/<version>/...                   the same under a group
 */
import { findResourceType, type ResourceType, type Subresource } from './resourceTypes.js';

export interface ResourceRoute {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: Subresource;
  /** The path had a namespace segment (a namespaced type listed without one lists across namespaces). */
  readonly namespacedPath: boolean;
}

export type ApiRoute =
  | { readonly kind: 'resource'; readonly route: ResourceRoute }
  | { readonly kind: 'discovery'; readonly path: readonly string[] }
  | { readonly kind: 'unknown' };

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function subresourceOf(type: ResourceType, segment: string | undefined): Subresource | undefined | null {
  if (segment === undefined) return undefined;
  return (type.subresources as readonly string[]).includes(segment) ? (segment as Subresource) : null;
}

export function routeApiPath(pathname: string): ApiRoute {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decode);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length <= 2) return { kind: 'discovery', path: segments };
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length <= 3) return { kind: 'discovery', path: segments };
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else if (segments.length === 1 && segments[0] === 'version') {
    return { kind: 'discovery', path: segments };
  } else {
    return { kind: 'unknown' };
  }

  // namespaces/<ns>/<resource>/... when <resource> is a namespaced type of this group-version
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = findResourceType(group, version, rest[2] ?? '');
    if (type && type.namespaced) {
      if (rest.length > 5) return { kind: 'unknown' };
      const sub = subresourceOf(type, rest[4]);
      if (sub === null) return { kind: 'unknown' };
      return {
        kind: 'resource',
        route: {
          type,
          namespace: rest[1],
          ...(rest[3] !== undefined ? { name: rest[3] } : {}),
          ...(sub ? { subresource: sub } : {}),
          namespacedPath: true,
        },
      };
    }
  }
  const type = findResourceType(group, version, rest[0] ?? '');
  if (!type || rest.length > 3) return { kind: 'unknown' };
  if (type.namespaced && rest.length > 1) return { kind: 'unknown' };
  const sub = subresourceOf(type, rest[2]);
  if (sub === null) return { kind: 'unknown' };
  return {
    kind: 'resource',
    route: { type, ...(rest[1] !== undefined ? { name: rest[1] } : {}), ...(sub ? { subresource: sub } : {}), namespacedPath: false },
  };
}
