/**
 * The resources the stand-in serves, with the per-resource behaviour the real registry encodes in
 * each resource's REST strategy (pkg/registry/<group>/<resource>/strategy.go and storage.go).
 */
import type { NameRule } from './nameRules.js';

export type Subresource = 'status' | 'log';

export interface ResourceType {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly verbs: readonly string[];
  readonly nameRule: NameRule;
  readonly subresources: readonly Subresource[];
  /** genericregistry.Store.ReturnDeletedObject: a delete answers with the object, otherwise with a Status. */
  readonly returnDeletedObject: boolean;
  /** strategy.AllowUnconditionalUpdate(): a PUT without metadata.resourceVersion is accepted. */
  readonly allowUnconditionalUpdate: boolean;
  /** strategy.AllowCreateOnUpdate(): a PUT to a missing name creates it. */
  readonly allowCreateOnUpdate: boolean;
  /** Served by apiextensions-apiserver (a CRD), not by a built-in registry. */
  readonly custom: boolean;
  /** The etcd key prefix (/registry/...), which shows up in some real error messages. */
  readonly etcdPrefix: string;
  /** Field selector labels besides metadata.name and metadata.namespace. */
  readonly fieldLabels: readonly string[];
  /** Whether the type registers its own field label conversion (message "field label not supported: x"). */
  readonly customFieldLabelConversion: boolean;
  /** CRDs and most built-ins set metadata.generation and bump it on spec changes. */
  readonly tracksGeneration: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function core(
  spec: Omit<ResourceType, 'group' | 'version' | 'custom' | 'listKind' | 'verbs'> & { verbs?: readonly string[] },
): ResourceType {
  return { group: '', version: 'v1', custom: false, listKind: `${spec.kind}List`, verbs: spec.verbs ?? ALL_VERBS, ...spec };
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  core({
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    nameRule: 'dns1123Subdomain',
    subresources: ['status', 'log'],
    returnDeletedObject: true,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/pods',
    // pkg/apis/core/v1/conversion.go: AddFieldLabelConversionFunc for Pod
    fieldLabels: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    customFieldLabelConversion: true,
    tracksGeneration: false,
  }),
  core({
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    nameRule: 'dns1123Subdomain',
    subresources: [],
    returnDeletedObject: false,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/configmaps',
    fieldLabels: [],
    customFieldLabelConversion: false,
    tracksGeneration: false,
  }),
  core({
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    // pkg/apis/core/validation: ValidateServiceName = NameIsDNS1035Label
    nameRule: 'dns1035Label',
    subresources: ['status'],
    returnDeletedObject: true,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/services/specs',
    fieldLabels: [],
    customFieldLabelConversion: false,
    tracksGeneration: false,
  }),
  core({
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    nameRule: 'dns1123Subdomain',
    subresources: [],
    returnDeletedObject: false,
    allowUnconditionalUpdate: true,
    // pkg/registry/core/event/strategy.go: AllowCreateOnUpdate returns true
    allowCreateOnUpdate: true,
    etcdPrefix: '/registry/events',
    fieldLabels: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    customFieldLabelConversion: true,
    tracksGeneration: false,
  }),
  core({
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    nameRule: 'dns1123Subdomain',
    subresources: [],
    returnDeletedObject: false,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/serviceaccounts',
    fieldLabels: [],
    customFieldLabelConversion: false,
    tracksGeneration: false,
  }),
  core({
    plural: 'resourcequotas',
    singular: 'resourcequota',
    kind: 'ResourceQuota',
    namespaced: true,
    shortNames: ['quota'],
    nameRule: 'dns1123Subdomain',
    subresources: ['status'],
    returnDeletedObject: false,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/resourcequotas',
    fieldLabels: [],
    customFieldLabelConversion: false,
    tracksGeneration: false,
  }),
  core({
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    // pkg/apis/core/validation: ValidateNamespaceName = NameIsDNSLabel
    nameRule: 'dns1123Label',
    subresources: ['status'],
    // pkg/registry/core/namespace/storage: Delete returns the (terminating) namespace
    returnDeletedObject: true,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    etcdPrefix: '/registry/namespaces',
    fieldLabels: ['status.phase'],
    customFieldLabelConversion: true,
    tracksGeneration: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  {
    plural: 'priorityclasses',
    singular: 'priorityclass',
    kind: 'PriorityClass',
    listKind: 'PriorityClassList',
    group: 'scheduling.k8s.io',
    version: 'v1',
    namespaced: false,
    shortNames: ['pc'],
    verbs: ALL_VERBS,
    nameRule: 'dns1123Subdomain',
    subresources: [],
    returnDeletedObject: false,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    custom: false,
    etcdPrefix: '/registry/priorityclasses',
    fieldLabels: [],
    customFieldLabelConversion: false,
    // pkg/registry/scheduling/priorityclass/strategy.go PrepareForCreate: Generation = 1
    tracksGeneration: true,
  },
  {
    plural: 'sparkapplications',
    singular: 'sparkapplication',
    kind: 'SparkApplication',
    listKind: 'SparkApplicationList',
    group: 'sparkoperator.k8s.io',
    version: 'v1beta2',
    namespaced: true,
    shortNames: ['sparkapp'],
    verbs: ALL_VERBS,
    nameRule: 'dns1123Subdomain',
    // the operator's CRD declares `subresources: {status: {}}`
    subresources: ['status'],
    returnDeletedObject: false,
    // apiextensions-apiserver customResourceStrategy.AllowUnconditionalUpdate returns false
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    custom: true,
    etcdPrefix: '/registry/sparkoperator.k8s.io/sparkapplications',
    fieldLabels: [],
    customFieldLabelConversion: false,
    tracksGeneration: true,
  },
];

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** schema.GroupResource.String(): `pods`, `priorityclasses.scheduling.k8s.io`. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** schema.GroupKind.String(): `Pod`, `SparkApplication.sparkoperator.k8s.io`. */
export function qualifiedKind(type: ResourceType): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`;
}

export function findResourceType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function resourceTypeByPlural(plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.plural === plural);
}

/** The type an ownerReference (apiVersion + kind) points at, as the garbage collector's REST mapper resolves it. */
export function resourceTypeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
