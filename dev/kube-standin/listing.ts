/**
 * List semantics of the generic registry (genericregistry.Store.List over the etcd3 store's
 * GetList): label and field selectors, key order, `limit` + `continue` pagination from a
 * consistent snapshot, `remainingItemCount` for unfiltered lists, 410 Expired for compacted tokens.
 */
import { goJsonSyntaxError, goJsonType } from './goJson.js';
import { isRecord, stringMap, valueAt } from './jsonValues.js';
import { CompactedError, storeKey, type ObjectStore } from './objectStore.js';
import { queryInteger } from './queryParams.js';
import { apiVersionOf, type ResourceType } from './resourceTypes.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldRequirement,
  type LabelRequirement,
} from './selectors.js';
import { badRequest, expired } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

/** The fields a type exposes to field selectors (each strategy's GetAttrs / ToSelectableFields). */
export function selectableFields(type: ResourceType, obj: KubeStoredObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata.name, 'metadata.namespace': obj.metadata.namespace ?? '' };
  const str = (...path: string[]) => {
    const v = valueAt(obj, ...path);
    return typeof v === 'string' ? v : typeof v === 'boolean' || typeof v === 'number' ? String(v) : '';
  };
  switch (type.plural) {
    case 'pods':
      fields['spec.nodeName'] = str('spec', 'nodeName');
      fields['spec.restartPolicy'] = str('spec', 'restartPolicy');
      fields['spec.schedulerName'] = str('spec', 'schedulerName');
      fields['spec.serviceAccountName'] = str('spec', 'serviceAccountName');
      fields['spec.hostNetwork'] = valueAt(obj, 'spec', 'hostNetwork') === true ? 'true' : 'false';
      fields['status.phase'] = str('status', 'phase');
      fields['status.podIP'] = str('status', 'podIP');
      fields['status.podIPs'] = str('status', 'podIP');
      fields['status.nominatedNodeName'] = str('status', 'nominatedNodeName');
      break;
    case 'events':
      for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'])
        fields[`involvedObject.${f}`] = str('involvedObject', f);
      fields.reason = str('reason');
      fields.reportingComponent = str('reportingComponent');
      fields.source = str('source', 'component');
      fields.type = str('type');
      break;
    case 'namespaces':
      fields['status.phase'] = str('status', 'phase');
      break;
  }
  return fields;
}

export interface Selection {
  readonly labels: LabelRequirement[];
  readonly fields: FieldRequirement[];
  readonly filtered: boolean;
}

/** Parses labelSelector and fieldSelector, with the server's 400 answers. */
export function parseSelection(type: ResourceType, query: URLSearchParams): Selection {
  let labels: LabelRequirement[];
  let fields: FieldRequirement[];
  try {
    labels = parseLabelSelector(query.get('labelSelector') ?? '');
    fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...type.fieldLabels]);
  fields = fields.map((f) => {
    // pkg/apis/core/v1/conversion.go: "spec.host" is the old name of spec.nodeName
    const field = type.plural === 'pods' && f.field === 'spec.host' ? 'spec.nodeName' : f.field;
    if (!allowed.has(field)) {
      throw badRequest(
        type.customFieldLabelConversion
          ? `field label not supported: ${f.field}`
          : `"${f.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    return { ...f, field };
  });
  return { labels, fields, filtered: labels.length > 0 || fields.length > 0 };
}

export function selects(type: ResourceType, selection: Selection, obj: KubeStoredObject): boolean {
  return matchesLabels(selection.labels, stringMap(obj.metadata.labels)) && matchesFields(selection.fields, selectableFields(type, obj));
}

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

/** etcd3 store encodeContinue: base64url (no padding) of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}. */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
}

/**
 * etcd3 store decodeContinue, with its words (the same in 1.20 and since): the list handler
 * answers 400 "invalid continue token: continue key is not valid: …", quoting Go's base64 and
 * encoding/json errors for a token that is not one.
 */
function decodeContinue(token: string): ContinueToken {
  const invalid = (why: string) => badRequest(`invalid continue token: continue key is not valid${why}`);
  const base64Error = rawUrlBase64Error(token);
  if (base64Error !== undefined) throw invalid(`: illegal base64 data at input byte ${base64Error}`);
  const bytes = Buffer.from(token, 'base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalid(`: ${goJsonSyntaxError(bytes, error)}`);
  }
  if (parsed !== null && !isRecord(parsed))
    throw invalid(`: json: cannot unmarshal ${goJsonType(parsed)} into Go value of type etcd3.continueToken`);
  const fields = isRecord(parsed) ? parsed : {};
  for (const [field, goType, ok] of [
    ['v', 'string', (v: unknown) => typeof v === 'string'],
    ['rv', 'int64', (v: unknown) => typeof v === 'number' && Number.isInteger(v)],
    ['start', 'string', (v: unknown) => typeof v === 'string'],
  ] as const) {
    const value = fields[field];
    if (value !== undefined && value !== null && !ok(value))
      throw invalid(`: json: cannot unmarshal ${goJsonType(value)} into Go struct field continueToken.${field} of type ${goType}`);
  }
  const version = typeof fields.v === 'string' ? fields.v : '';
  if (version !== 'meta.k8s.io/v1') throw invalid(`: server does not recognize this encoded version ${JSON.stringify(version)}`);
  const rv = typeof fields.rv === 'number' ? fields.rv : 0;
  if (rv === 0) throw invalid(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = typeof fields.start === 'string' ? fields.start : '';
  if (start === '') throw invalid(': encoded start key empty (version meta.k8s.io/v1)');
  // The start key is relative to the resource's prefix: a leading "/" is allowed, anything path.Clean changes is not.
  const key = start.startsWith('/') ? start : `/${start}`;
  if (goPathClean(key) !== key) throw invalid(`: ${start}`);
  return { rv, start: key.slice(1) };
}

const RAW_URL_ALPHABET = /^[A-Za-z0-9_-]$/;

/** encoding/base64 RawURLEncoding.DecodeString: the index of the first byte it refuses, if any. */
function rawUrlBase64Error(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) if (!RAW_URL_ALPHABET.test(text[i] ?? '')) return i;
  return text.length % 4 === 1 ? text.length - 1 : undefined;
}

/** path.Clean for an absolute path: no empty, "." or ".." elements, no trailing slash. */
function goPathClean(key: string): string {
  const parts: string[] = [];
  for (const part of key.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

const EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * A list item as the server serializes it: built-in lists carry no kind/apiVersion per item, CR
 * lists do. Stored objects are never mutated (a write stores a new object), so an item shares
 * their fields instead of deep-copying 250 pods per page before they are serialized.
 */
export function listItem(type: ResourceType, obj: KubeStoredObject): Readonly<Record<string, unknown>> {
  if (type.custom) return obj;
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return rest;
}

/** The JSON text of each stored object as a list item. Stored objects are frozen, so the text never goes stale. */
const itemTexts = new WeakMap<KubeStoredObject, string>();

function itemText(type: ResourceType, obj: KubeStoredObject): string {
  let text = itemTexts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(listItem(type, obj));
    itemTexts.set(obj, text);
  }
  return text;
}

/**
 * A list page as JSON text, byte for byte what JSON.stringify(page.body) gives. Each item's text
 * is kept with the stored object: a sweep lists thousands of unchanged pods every few minutes, and
 * the stand-in usually shares its cores with the code it serves. (kube-apiserver keeps an
 * object's serialized form too, for watch events: cachingObject.)
 */
export function listText(type: ResourceType, page: ListPage): string {
  const { items: _items, ...head } = page.body;
  return `${JSON.stringify(head).slice(0, -1)},"items":[${page.objects.map((o) => itemText(type, o)).join(',')}]}`;
}

export interface ListBody {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Readonly<Record<string, unknown>>[];
}

export interface ListPage {
  readonly body: ListBody;
  /** The stored objects behind body.items, in the same order. */
  readonly objects: readonly KubeStoredObject[];
}

/** GET on a collection. `namespace` undefined: across namespaces (or a cluster-scoped type). */
export function listObjects(store: ObjectStore, type: ResourceType, namespace: string | undefined, query: URLSearchParams): ListPage {
  const selection = parseSelection(type, query);
  const limit = queryInteger(query, 'limit', { min: 0 }) ?? 0;
  const continueText = query.get('continue') ?? '';
  const resourceVersion = query.get('resourceVersion') ?? '';
  if (continueText !== '' && resourceVersion !== '') throw badRequest('specifying resource version is not allowed when using continue');

  let revision = store.currentRevision;
  let start = '';
  let objects: readonly KubeStoredObject[];
  if (continueText !== '') {
    const token = decodeContinue(continueText);
    if (token.rv > store.currentRevision) throw badRequest('continue key is not valid: resource version is from the future');
    revision = token.rv;
    start = token.start;
    try {
      objects = store.snapshot(type.plural, revision);
    } catch (error) {
      if (!(error instanceof CompactedError)) throw error;
      // etcd3 store: a compacted continue → 410 with a fresh (inconsistent) token to carry on
      throw expired(EXPIRED_MESSAGE, encodeContinue(store.currentRevision, start.replace(/\u0000$/, '')));
    }
  } else {
    objects = store.peekAll(type.plural);
  }

  // Objects are in key order: skip to the continue key by binary search, then stop as soon as the
  // page is full and it is known whether more follow (etcd reads a range, not the whole prefix).
  let from = 0;
  if (start !== '') {
    let hi = objects.length;
    while (from < hi) {
      const mid = (from + hi) >>> 1;
      const o = objects[mid]!;
      if (storeKey(o.metadata.namespace, o.metadata.name) < start) from = mid + 1;
      else hi = mid;
    }
  }
  const page: KubeStoredObject[] = [];
  let more = 0;
  for (let i = from; i < objects.length; i++) {
    const o = objects[i]!;
    if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
    if (limit > 0 && page.length >= limit) {
      // Unfiltered lists report how many remain; filtered ones only need to know that one more matches.
      if (selection.filtered) {
        if (selects(type, selection, o)) {
          more = 1;
          break;
        }
      } else more++;
      continue;
    }
    if (selects(type, selection, o)) page.push(o);
  }
  const metadata: ListBody['metadata'] = { resourceVersion: String(revision) };
  if (limit > 0 && more > 0) {
    const last = page[page.length - 1];
    if (last) metadata.continue = encodeContinue(revision, storeKey(last.metadata.namespace, last.metadata.name));
    if (!selection.filtered) metadata.remainingItemCount = more;
  }
  return {
    body: { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items: page.map((o) => listItem(type, o)) },
    objects: page,
  };
}

/** The namespace-scoped listing helper used by deletecollection (current state, selectors applied). */
export function selectObjects(
  store: ObjectStore,
  type: ResourceType,
  namespace: string | undefined,
  query: URLSearchParams,
): KubeStoredObject[] {
  const selection = parseSelection(type, query);
  return store.peekAll(type.plural, namespace).filter((o) => selects(type, selection, o));
}
