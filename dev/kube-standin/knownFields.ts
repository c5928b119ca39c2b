/**
 * The JSON decoder drops what the Go types do not have: a built-in object keeps only its known
 * fields (without fieldValidation=Strict, which 1.25+ offers, nothing is refused). The stand-in
 * drops unknown fields at the top level and in metadata; deeper unknown fields are kept.
 */
import type { JsonRecord } from './jsonValues.js';

const COMMON = ['apiVersion', 'kind', 'metadata'];

const TOP_LEVEL: Readonly<Record<string, readonly string[]>> = {
  pods: ['spec', 'status'],
  configmaps: ['data', 'binaryData', 'immutable'],
  services: ['spec', 'status'],
  events: [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  resourcequotas: ['spec', 'status'],
  namespaces: ['spec', 'status'],
  serviceaccounts: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  priorityclasses: ['value', 'globalDefault', 'description', 'preemptionPolicy'],
};

/** ObjectMeta's JSON fields in Go struct order: what the decoder keeps, and the order the apiserver writes them in. */
export const OBJECT_META_FIELDS: readonly string[] = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/** Drops the fields `plural`'s Go type does not have (top level and metadata); types it does not know are left alone. */
export function dropUnknownFields(plural: string, object: JsonRecord): void {
  const known = TOP_LEVEL[plural];
  if (!known) return;
  for (const key of Object.keys(object)) if (!COMMON.includes(key) && !known.includes(key)) delete object[key];
  const meta = object.metadata;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    for (const key of Object.keys(meta)) if (!OBJECT_META_FIELDS.includes(key)) delete (meta as JsonRecord)[key];
  }
}
