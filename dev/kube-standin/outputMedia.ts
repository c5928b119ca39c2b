/**
 * What an answer is turned into before it is written, from the request's Accept header, as
 * kube-apiserver does (apiserver/pkg/endpoints/handlers/negotiation and response.go:
 * transformResponseObject): plain JSON, or the object's metadata alone, PartialObjectMetadata (what
 * client-go's metadata client asks for), or PartialObjectMetadataList for a list. Negotiated before
 * the request acts: a create whose Accept the server cannot serve creates nothing (406). The
 * stand-in writes JSON only; YAML and protobuf, which a real server also serves, are answered as
 * JSON, and other transformations are not served: a real server answers `as=Table` (kubectl get)
 * with a Table, the stand-in with the next range the Accept header lists, or a 406.
 */
import { notAcceptable, type ApiError } from './statusObjects.js';
import { isRecord } from './jsonValues.js';
import type { ResourceType } from './resourceTypes.js';

export type OutputMedia = 'object' | { readonly as: 'metadata' | 'metadata-list'; readonly version: string };

/** meta.k8s.io serves both versions (v1beta1 first, client-go's metadata client asks for v1). */
const META_VERSIONS: ReadonlySet<string> = new Set(['v1', 'v1beta1']);
const ACCEPTED = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: type.toLowerCase(), params };
    });
}

const SERVED_TYPES = new Set(['application/json', 'application/*', '*/*', 'application/yaml', 'application/vnd.kubernetes.protobuf']);

/** The output an Accept header asks for (the first range the server serves), or a 406 when it serves none. */
export function negotiateOutput(accept: string | undefined): OutputMedia | ApiError {
  if (accept === undefined || accept.trim() === '') return 'object';
  for (const range of parseAccept(accept)) {
    if (!SERVED_TYPES.has(range.type)) continue;
    const as = range.params['as'];
    if (as === undefined) return 'object';
    const version = range.params['v'] ?? '';
    if (range.params['g'] !== 'meta.k8s.io' || !META_VERSIONS.has(version)) continue;
    if (as === 'PartialObjectMetadata') return { as: 'metadata', version };
    if (as === 'PartialObjectMetadataList') return { as: 'metadata-list', version };
  }
  return notAcceptable(`only the following media types are accepted: ${ACCEPTED}`);
}

/** The Go type kube-apiserver names in its 406 for a transformation that does not fit the answer. */
function goType(type: ResourceType, list: boolean): string {
  const kind = list ? type.listKind : type.kind;
  if (type.custom) return list ? '*unstructured.UnstructuredList' : '*unstructured.Unstructured';
  return `*${type.group === '' ? 'core' : type.group.split('.')[0]}.${kind}`;
}

/**
 * The answer as negotiated. Status answers (errors, a delete's Success) are written as they are;
 * asking for an object's metadata of a list, or for a list's of an object, is the server's 406.
 */
export function transformAnswer(body: unknown, output: OutputMedia, type: ResourceType): unknown {
  if (output === 'object' || !isRecord(body) || body['kind'] === 'Status') return body;
  const isList = Array.isArray(body['items']);
  const apiVersion = `meta.k8s.io/${output.version}`;
  if (output.as === 'metadata' && isList)
    throw notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${goType(type, true)})`);
  if (output.as === 'metadata-list' && !isList)
    throw notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${goType(type, false)})`);
  const partial = (o: Record<string, unknown>) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: o['metadata'] });
  if (output.as === 'metadata') return partial(body);
  const items = (body['items'] as unknown[]).filter(isRecord).map(partial);
  // A Go nil slice: an empty list's items are written as null.
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion,
    metadata: body['metadata'],
    items: items.length > 0 ? items : null,
  };
}
