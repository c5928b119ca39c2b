/**
 * Validation as the strategies' Validate / ValidateUpdate do it (pkg/apis/core/validation,
 * apimachinery/pkg/api/validation/objectmeta.go), for the fields spark-dispatch writes.
 */
import { duplicate, forbidden, invalid, notFound, notSupported, RawValue, required, tooLong, type FieldError } from './fieldErrors.js';
import { arrayAt, deepEqual, isRecord, recordAt, stringAt, type JsonRecord } from './jsonValues.js';
import { checkName, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from './nameRules.js';
import { parseQuantity } from './quantity.js';
import type { ResourceType } from './resourceTypes.js';
import type { KubeStoredObject } from './standInTypes.js';

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const CONFIGMAP_MAX_SIZE = 1024 * 1024;

/** ValidateLabels: keys are qualified names, values label values; the field is `metadata.labels`. */
export function validateLabels(labels: unknown, field = 'metadata.labels'): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (!isRecord(labels)) return [invalid(field, labels, 'must be a map of string keys to string values')];
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) errs.push(invalid(field, key, msg));
    if (typeof value !== 'string') errs.push(invalid(field, value, 'must be a string'));
    else for (const msg of isValidLabelValue(value)) errs.push(invalid(field, value, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (lower-cased first), total size at most 256 KiB. */
function validateAnnotations(annotations: unknown): FieldError[] {
  const field = 'metadata.annotations';
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  if (!isRecord(annotations)) return [invalid(field, annotations, 'must be a map of string keys to string values')];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid(field, key, msg));
    size += key.length + (typeof value === 'string' ? value.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** ValidateOwnerReferences. */
function validateOwnerReferences(refs: unknown): FieldError[] {
  const field = 'metadata.ownerReferences';
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [invalid(field, refs, 'must be a list')];
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  for (const ref of refs) {
    const apiVersion = stringAt(ref, 'apiVersion') ?? '';
    const kind = stringAt(ref, 'kind') ?? '';
    const name = stringAt(ref, 'name') ?? '';
    const uid = stringAt(ref, 'uid') ?? '';
    if (apiVersion === '') errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(invalid(`${field}.kind`, kind, 'kind must not be empty'));
    if (name === '') errs.push(invalid(`${field}.name`, name, 'name must not be empty'));
    if (uid === '') errs.push(invalid(`${field}.uid`, uid, 'uid must not be empty'));
    if (isRecord(ref) && ref.controller === true) controllers.push(`${kind}/${name}`);
  }
  if (controllers.length > 1) {
    errs.push(
      invalid(
        field,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  }
  return errs;
}

/** ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion. */
function validateFinalizers(finalizers: unknown): FieldError[] {
  const field = 'metadata.finalizers';
  if (!Array.isArray(finalizers)) return [];
  const errs: FieldError[] = [];
  for (const finalizer of finalizers)
    for (const msg of isQualifiedName(String(finalizer))) errs.push(invalid(field, String(finalizer), msg));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    const list = new RawValue(`[]string{${finalizers.map((f) => JSON.stringify(String(f))).join(', ')}}`);
    errs.push(invalid(field, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** ValidateObjectMeta (name by the type's rule, labels, annotations, owner references, finalizers). */
export function validateObjectMeta(type: ResourceType, obj: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj.metadata;
  if (!meta.name) errs.push(required('metadata.name', 'name or generateName is required'));
  else for (const msg of checkName(type.nameRule, meta.name)) errs.push(invalid('metadata.name', meta.name, msg));
  if (type.namespaced && !meta.namespace) errs.push(required('metadata.namespace'));
  errs.push(
    ...validateLabels(meta.labels),
    ...validateAnnotations(meta.annotations),
    ...validateOwnerReferences(meta.ownerReferences),
    ...validateFinalizers(meta.finalizers),
  );
  return errs;
}

/** resource.ErrFormatWrong, as the apiserver reports a quantity it cannot parse. */
const QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function validateResources(resources: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const requests = recordAt(resources, 'requests') ?? {};
  const limits = recordAt(resources, 'limits') ?? {};
  for (const [kind, values] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, value] of Object.entries(values)) {
      if (parseQuantity(value) === undefined) errs.push(invalid(`${field}.${kind}[${name}]`, value, QUANTITY_FORMAT));
    }
  }
  for (const [name, value] of Object.entries(requests)) {
    const request = parseQuantity(value);
    const limit = parseQuantity(limits[name]);
    if (request !== undefined && limit !== undefined && request > limit) {
      errs.push(invalid(`${field}.requests[${name}]`, value, `must be less than or equal to ${name} limit of ${String(limits[name])}`));
    }
  }
  return errs;
}

function validateContainers(containers: unknown[], field: string, volumeNames: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((container, i) => {
    const path = `${field}[${i}]`;
    const name = stringAt(container, 'name') ?? '';
    if (name === '') errs.push(required(`${path}.name`));
    else {
      for (const msg of isDns1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      if (seen.has(name)) errs.push(duplicate(`${path}.name`, name));
      seen.add(name);
    }
    if (!stringAt(container, 'image')) errs.push(required(`${path}.image`));
    (arrayAt(container, 'volumeMounts') ?? []).forEach((mount, j) => {
      const mountName = stringAt(mount, 'name') ?? '';
      if (mountName === '') errs.push(required(`${path}.volumeMounts[${j}].name`));
      else if (!volumeNames.has(mountName)) errs.push(notFound(`${path}.volumeMounts[${j}].name`, mountName));
      if (!stringAt(mount, 'mountPath')) errs.push(required(`${path}.volumeMounts[${j}].mountPath`));
    });
    errs.push(...validateResources(recordAt(container, 'resources'), `${path}.resources`));
  });
  return errs;
}

function validatePod(pod: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = recordAt(pod, 'spec');
  const volumeNames = new Set<string>();
  (arrayAt(spec, 'volumes') ?? []).forEach((volume, i) => {
    const name = stringAt(volume, 'name') ?? '';
    if (name === '') errs.push(required(`spec.volumes[${i}].name`));
    else {
      for (const msg of isDns1123Label(name)) errs.push(invalid(`spec.volumes[${i}].name`, name, msg));
      if (volumeNames.has(name)) errs.push(duplicate(`spec.volumes[${i}].name`, name));
      volumeNames.add(name);
    }
  });
  const containers = arrayAt(spec, 'containers');
  if (!containers || containers.length === 0) errs.push(required('spec.containers'));
  else errs.push(...validateContainers(containers, 'spec.containers', volumeNames));
  errs.push(...validateContainers(arrayAt(spec, 'initContainers') ?? [], 'spec.initContainers', volumeNames));
  const restartPolicy = spec?.restartPolicy;
  if (restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(restartPolicy))) {
    errs.push(notSupported('spec.restartPolicy', restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  const deadline = spec?.activeDeadlineSeconds;
  if (
    deadline !== undefined &&
    deadline !== null &&
    (typeof deadline !== 'number' || !Number.isInteger(deadline) || deadline < 1 || deadline > 2147483647)
  ) {
    errs.push(invalid('spec.activeDeadlineSeconds', deadline, 'must be between 1 and 2147483647, inclusive'));
  }
  const sa = spec?.serviceAccountName;
  if (typeof sa === 'string' && sa !== '') for (const msg of isDns1123Subdomain(sa)) errs.push(invalid('spec.serviceAccountName', sa, msg));
  return errs;
}

function validateService(service: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = recordAt(service, 'spec');
  const type = spec?.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    errs.push(notSupported('spec.type', type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']));
  }
  const headless = spec?.clusterIP === 'None';
  const ports = arrayAt(spec, 'ports') ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const path = `spec.ports[${i}]`;
    const name = stringAt(port, 'name') ?? '';
    if (ports.length > 1 && name === '') errs.push(required(`${path}.name`));
    if (name !== '') {
      for (const msg of isDns1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    const number = isRecord(port) ? port.port : undefined;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
      errs.push(invalid(`${path}.port`, number ?? 0, 'must be between 1 and 65535, inclusive'));
    }
    const protocol = isRecord(port) ? port.protocol : undefined;
    if (protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(protocol)))
      errs.push(notSupported(`${path}.protocol`, protocol, ['SCTP', 'TCP', 'UDP']));
    // validateServicePort: a numeric targetPort (defaulted to the port) is a port number too
    const target = isRecord(port) ? port.targetPort : undefined;
    if (typeof target === 'number' && (!Number.isInteger(target) || target < 1 || target > 65535)) {
      errs.push(invalid(`${path}.targetPort`, target, 'must be between 1 and 65535, inclusive'));
    }
  });
  return errs;
}

const CONFIG_KEY_RE = /^[-._a-zA-Z0-9]+$/;

function validateConfigMap(cm: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const field of ['data', 'binaryData']) {
    const data = recordAt(cm, field) ?? {};
    for (const [key, value] of Object.entries(data)) {
      if (!CONFIG_KEY_RE.test(key) || key.length > 253) {
        errs.push(
          invalid(
            `${field}[${key}]`,
            key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          ),
        );
      }
      size += typeof value === 'string' ? Buffer.byteLength(value) : 0;
    }
  }
  if (size > CONFIGMAP_MAX_SIZE) errs.push(tooLong('[]', CONFIGMAP_MAX_SIZE));
  return errs;
}

const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

function validatePriorityClass(pc: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  const value = pc.value;
  if (typeof value !== 'number' || !Number.isInteger(value)) errs.push(required('value'));
  const isSystem = pc.metadata.name.startsWith('system-');
  if (isSystem && !['system-node-critical', 'system-cluster-critical'].includes(pc.metadata.name)) {
    errs.push(invalid('metadata.name', pc.metadata.name, "priority class names with 'system-' prefix are reserved"));
  }
  if (!isSystem && typeof value === 'number' && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const policy = pc.preemptionPolicy;
  if (policy !== undefined && !['PreemptLowerPriority', 'Never'].includes(String(policy))) {
    errs.push(notSupported('preemptionPolicy', policy, ['Never', 'PreemptLowerPriority']));
  }
  return errs;
}

const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

function validateResourceQuota(quota: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(recordAt(quota, 'spec', 'hard') ?? {})) {
    if (parseQuantity(value) === undefined) errs.push(invalid(`spec.hard[${name}]`, value, 'must be a valid quantity'));
  }
  (arrayAt(quota, 'spec', 'scopes') ?? []).forEach((scope, i) => {
    if (!QUOTA_SCOPES.includes(String(scope))) errs.push(notSupported(`spec.scopes[${i}]`, scope, QUOTA_SCOPES));
  });
  (arrayAt(quota, 'spec', 'scopeSelector', 'matchExpressions') ?? []).forEach((expr, i) => {
    const path = `spec.scopeSelector.matchExpressions[${i}]`;
    const scopeName = stringAt(expr, 'scopeName');
    if (!scopeName || !QUOTA_SCOPES.includes(scopeName)) errs.push(notSupported(`${path}.scopeName`, scopeName ?? '', QUOTA_SCOPES));
    const operator = stringAt(expr, 'operator') ?? '';
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator))
      errs.push(notSupported(`${path}.operator`, operator, ['DoesNotExist', 'Exists', 'In', 'NotIn']));
    const values = arrayAt(expr, 'values') ?? [];
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      errs.push(required(`${path}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    }
  });
  return errs;
}

/** The type's Validate on create. */
export function validateCreate(type: ResourceType, obj: KubeStoredObject): FieldError[] {
  const errs = validateObjectMeta(type, obj);
  switch (type.plural) {
    case 'pods':
      errs.push(...validatePod(obj));
      break;
    case 'services':
      errs.push(...validateService(obj));
      break;
    case 'configmaps':
      errs.push(...validateConfigMap(obj));
      break;
    case 'priorityclasses':
      errs.push(...validatePriorityClass(obj));
      break;
    case 'resourcequotas':
      errs.push(...validateResourceQuota(obj));
      break;
  }
  return errs;
}

/** Pod spec with the fields a pod update may change blanked out (ValidatePodUpdate). */
function mutablePodSpecView(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const copy: JsonRecord = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    for (const c of arrayAt(copy, key) ?? []) if (isRecord(c)) delete c.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return copy;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The type's ValidateUpdate (besides validateObjectMeta). */
export function validateUpdate(type: ResourceType, next: KubeStoredObject, old: KubeStoredObject): FieldError[] {
  const errs: FieldError[] = [
    ...validateLabels(next.metadata.labels),
    ...validateAnnotations(next.metadata.annotations),
    ...validateOwnerReferences(next.metadata.ownerReferences),
    ...validateFinalizers(next.metadata.finalizers),
  ];
  switch (type.plural) {
    case 'pods': {
      if (!deepEqual(mutablePodSpecView(next.spec), mutablePodSpecView(old.spec))) errs.push(forbidden('spec', POD_UPDATE_MESSAGE));
      const oldDeadline = recordAt(old, 'spec')?.activeDeadlineSeconds;
      const newDeadline = recordAt(next, 'spec')?.activeDeadlineSeconds;
      if (typeof oldDeadline === 'number' && (typeof newDeadline !== 'number' || newDeadline > oldDeadline)) {
        errs.push(invalid('spec.activeDeadlineSeconds', newDeadline ?? null, 'must be less than or equal to previous value'));
      }
      break;
    }
    case 'configmaps': {
      // ValidateConfigMapUpdate
      if (old.immutable === true) {
        const message = 'field is immutable when `immutable` is set';
        if (next.immutable !== true) errs.push(forbidden('immutable', message));
        if (!deepEqual(next.data ?? {}, old.data ?? {})) errs.push(forbidden('data', message));
        if (!deepEqual(next.binaryData ?? {}, old.binaryData ?? {})) errs.push(forbidden('binaryData', message));
      }
      errs.push(...validateConfigMap(next));
      break;
    }
    case 'services': {
      const oldIp = stringAt(old, 'spec', 'clusterIP');
      const newIp = stringAt(next, 'spec', 'clusterIP');
      if (oldIp && newIp !== undefined && newIp !== oldIp) errs.push(invalid('spec.clusterIPs[0]', [newIp], 'may not change once set'));
      errs.push(...validateService(next));
      break;
    }
    case 'priorityclasses': {
      if (next.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
      break;
    }
    case 'resourcequotas':
      errs.push(...validateResourceQuota(next));
      break;
  }
  return errs;
}
