/**
 * The verbs of the API server over the object store: create, get, list, update, patch, delete,
 * deletecollection, and the pods/status, pods/log subresources. Mirrors the generic registry
 * (apiserver/pkg/registry/generic/registry/store.go) and the REST handlers
 * (apiserver/pkg/endpoints/handlers: create.go, update.go, patch.go, delete.go), with the
 * per-resource strategies and the default admission chain. Everything here is synchronous:
 * a check and the write it guards happen in the same tick (no await between), so concurrent
 * requests cannot interleave inside a verb.
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  admitDefaultTolerations,
  admitNamespaceLifecycle,
  admitPodPriority,
  admitServiceAccount,
  IMMORTAL_NAMESPACES,
} from './admission.js';
import { forbidden as forbiddenField, invalid as invalidField, notSupported, RawValue } from './fieldErrors.js';
import { GarbageCollector, type GcHost, type PropagationPolicy } from './garbageCollector.js';
import { deepCopy, deepEqual, isRecord, stringAt, type JsonRecord } from './jsonValues.js';
import { dropUnknownFields } from './knownFields.js';
import { listItem, listObjects, listText, selectObjects } from './listing.js';
import { canonicalOrder, ObjectStore } from './objectStore.js';
import { applyCreateDefaults } from './objectDefaults.js';
import { validateCreate, validateUpdate } from './objectValidation.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, decodeJsonPatch, PatchError } from './patches.js';
import { logContainer, logLines, sliceLog, type LogLine } from './podLogs.js';
import { queryInteger } from './queryParams.js';
import { QuotaTracker } from './resourceQuota.js';
import { apiVersionOf, resourceTypeByPlural, type ResourceType, type Subresource } from './resourceTypes.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  optionsInvalid,
  preconditionConflict,
  forbidden,
  invalid,
  notFound,
  successStatus,
  unknownServerError,
  unsupportedMediaType,
} from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

export interface ResourceRequest {
  readonly type: ResourceType;
  /** The namespace of the path; undefined for cluster-scoped types and lists across namespaces. */
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: Subresource;
  readonly query: URLSearchParams;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  /** Default application/json. */
  readonly contentType?: string;
  /** The JSON text of `body` when it can be written faster than JSON.stringify(body) (list pages). */
  readonly json?: () => string;
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** RFC 3339 with second precision, as metav1.Time serializes; `offsetMs` is a stand-in's clock offset. */
export function kubeNow(offsetMs = 0): string {
  return kubeTime(Date.now() + offsetMs);
}

/** A time in milliseconds as metav1.Time serializes it. */
export const kubeTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** names.SimpleNameGenerator: 5 characters of an alphabet without vowels or look-alikes. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
}

function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

/** ValidateDryRun, in the validation of the request's options (`kind`: CreateOptions, …): 422 with Go's %#v of the list. */
function checkDryRunValues(query: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions'): void {
  const values = query.getAll('dryRun');
  if (values.every((value) => value === 'All')) return;
  const shown = new RawValue(`[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`);
  throw optionsInvalid(kind, [notSupported('dryRun', shown, ['All'])]);
}

/**
 * pod strategy CheckGracefulDelete: a pod that never got a node, or that already finished, goes at
 * once; otherwise the grace period is the request's, else spec.terminationGracePeriodSeconds (30).
 */
function podGracePeriod(pod: KubeStoredObject, requested: number | undefined): number {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  if (requested !== undefined) return requested;
  return typeof spec.terminationGracePeriodSeconds === 'number' ? Math.max(0, spec.terminationGracePeriodSeconds) : 30;
}

/**
 * registry store ShouldDeleteDuringUpdate: terminating, no finalizers left, and no grace period
 * running. Namespaces are finalized by the namespace controller (spec.finalizers), not by updates.
 */
function shouldDeleteDuringUpdate(type: ResourceType, obj: KubeStoredObject): boolean {
  return (
    type.plural !== 'namespaces' &&
    Boolean(obj.metadata.deletionTimestamp) &&
    (obj.metadata.finalizers ?? []).length === 0 &&
    obj.metadata.deletionGracePeriodSeconds === 0
  );
}

/**
 * registry store deletionFinalizersForGarbageCollection: the orphan / foregroundDeletion finalizers
 * the propagation policy asks for (Background clears both; no policy keeps what the object has).
 * The same set in another order keeps the object's order, as the apiserver does.
 */
function finalizersForPolicy(current: KubeStoredObject, policy: PropagationPolicy | undefined): string[] {
  const existing = current.metadata.finalizers ?? [];
  if (policy === undefined) return [...existing];
  const next = existing.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan');
  if (policy === 'Orphan') next.push('orphan');
  if (policy === 'Foreground') next.push('foregroundDeletion');
  const before = new Set(existing);
  const after = new Set(next);
  const same = before.size === after.size && [...after].every((f) => before.has(f));
  return same ? [...existing] : next;
}

interface DeleteOptions {
  readonly policy?: PropagationPolicy;
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  readonly orphanDependents?: boolean;
  readonly gracePeriodSeconds?: number;
  readonly dryRun: boolean;
}

function parseDeleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const b: JsonRecord = isRecord(body) ? body : {};
  const policyText =
    (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined) ?? query.get('propagationPolicy') ?? undefined;
  if (policyText !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policyText)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policyText}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const orphanText = query.get('orphanDependents');
  const orphanDependents =
    typeof b.orphanDependents === 'boolean' ? b.orphanDependents : orphanText === null ? undefined : orphanText === 'true';
  const pre = isRecord(b.preconditions) ? b.preconditions : {};
  const dryRunBody = Array.isArray(b.dryRun) && b.dryRun.includes('All');
  const bodyGrace = b.gracePeriodSeconds;
  if (typeof bodyGrace === 'number' && (!Number.isInteger(bodyGrace) || bodyGrace < 0))
    throw badRequest(`gracePeriodSeconds: Invalid value: ${bodyGrace}: must be a non-negative integer`);
  const grace = typeof bodyGrace === 'number' ? bodyGrace : queryInteger(query, 'gracePeriodSeconds', { min: 0 });
  return {
    ...(policyText ? { policy: policyText as PropagationPolicy } : {}),
    preconditions: {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    },
    ...(orphanDependents !== undefined ? { orphanDependents } : {}),
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    dryRun: isDryRun(query) || dryRunBody,
  };
}

/** The JSON kind Go's decoder names in an UnmarshalTypeError. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** A body field of the wrong JSON type: encoding/json's UnmarshalTypeError (`goField`: Struct.json.path), worded by decode(). */
class UnmarshalTypeError extends Error {}
function unmarshalError(_type: ResourceType, value: unknown, goField: string, goType: string): UnmarshalTypeError {
  return new UnmarshalTypeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${goField} of type ${goType}`);
}

/** The core/v1 kinds a kube-apiserver registers: a body of one of them sent to another resource fails to convert, not to decode. */
const CORE_V1_KINDS = new Set([
  'Binding',
  'ComponentStatus',
  'ConfigMap',
  'Endpoints',
  'Event',
  'LimitRange',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'ResourceQuota',
  'Secret',
  'Service',
  'ServiceAccount',
]);
/** The legacy scheme, as its registration site names it in "no kind … is registered" errors. */
const LEGACY_SCHEME = 'k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30';

/** A map[string]string field: refused unless an object of strings; null (Go: a nil map / an empty string) is normalized. */
function decodeStringMap(type: ResourceType, holder: JsonRecord, key: string, goField: string): void {
  const value = holder[key];
  if (value === undefined) return;
  if (value === null) {
    delete holder[key];
    return;
  }
  if (!isRecord(value)) throw unmarshalError(type, value, goField, 'map[string]string');
  for (const [k, v] of Object.entries(value)) {
    if (v === null) value[k] = '';
    else if (typeof v !== 'string') throw unmarshalError(type, v, goField, 'string');
  }
}

/** A []string field: refused unless a list of strings; null is normalized as Go decodes it. */
function decodeStringList(type: ResourceType, holder: JsonRecord, key: string, goField: string): void {
  const value = holder[key];
  if (value === undefined) return;
  if (value === null) {
    delete holder[key];
    return;
  }
  if (!Array.isArray(value)) throw unmarshalError(type, value, goField, '[]string');
  value.forEach((item, i) => {
    if (item === null) value[i] = '';
    else if (typeof item !== 'string') throw unmarshalError(type, item, goField, 'string');
  });
}

export class KubeApi implements GcHost {
  readonly store: ObjectStore;
  readonly quota: QuotaTracker;
  readonly gc: GarbageCollector;
  /** Pod logs by pod uid (the kubelet's files): each line with the time the runtime received it. */
  private readonly logs = new Map<string, LogLine[]>();
  /** Nodes whose kubelet the API server cannot reach (a lost node): pods/log of their pods fails as it would. */
  private readonly unreachableNodes = new Set<string>();
  /**
   * How far this cluster's clock runs ahead of the machine's: every time the API server and the
   * simulated kubelet write (creation, deletion, status, log lines) reads it, so a test can let
   * hours pass in a moment (advanceClock) and the objects look as old as they would.
   */
  clockOffsetMs = 0;
  /** The simulated kubelet finishing graceful pod terminations. */
  private readonly terminations = new Set<NodeJS.Timeout>();
  private readonly controllerDelayMs: number;

  constructor(options: { gcDelayMs: number; compactionIntervalMs?: number }) {
    this.store = new ObjectStore(options.compactionIntervalMs);
    this.controllerDelayMs = options.gcDelayMs;
    this.quota = new QuotaTracker(this.store);
    this.gc = new GarbageCollector(this, options.gcDelayMs);
  }

  /** This cluster's time, RFC 3339 in seconds. */
  now(): string {
    return kubeNow(this.clockOffsetMs);
  }

  nowMs(): number {
    return Date.now() + this.clockOffsetMs;
  }

  close(): void {
    this.gc.close();
    for (const timer of this.terminations) clearTimeout(timer);
    this.terminations.clear();
  }

  // ---------- decoding ----------

  /** The body as an object of `type` (handlers: decode, then the group-version check). */
  private decode(type: ResourceType, body: unknown): KubeStoredObject {
    try {
      return this.decodeObject(type, body);
    } catch (error) {
      if (!(error instanceof UnmarshalTypeError)) throw error;
      // transformDecodeError: the group, version and kind are known by now (the body's, or the request's)
      const given = isRecord(body) ? body : {};
      const kind = typeof given.kind === 'string' && given.kind !== '' ? given.kind : type.kind;
      const apiVersion = typeof given.apiVersion === 'string' && given.apiVersion !== '' ? given.apiVersion : apiVersionOf(type);
      if (type.custom) throw badRequest(`the object provided is unrecognized (must be of type ${type.kind}): ${error.message}`);
      throw badRequest(`${kind} in version "${apiVersion.split('/').pop() ?? ''}" cannot be handled as a ${type.kind}: ${error.message}`);
    }
  }

  private decodeObject(type: ResourceType, body: unknown): KubeStoredObject {
    const expected = apiVersionOf(type);
    if (!isRecord(body)) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${type.kind}): couldn't get version/kind; json parse error: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into an object`,
      );
    }
    const obj = deepCopy(body);
    if (type.custom && (typeof obj.kind !== 'string' || obj.kind === '')) {
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    }
    const givenVersion = typeof obj.apiVersion === 'string' && obj.apiVersion !== '' ? obj.apiVersion : expected;
    const givenKind = typeof obj.kind === 'string' && obj.kind !== '' ? obj.kind : type.kind;
    if (type.custom) {
      if (givenVersion !== expected)
        throw badRequest(`the API version in the data (${givenVersion}) does not match the expected API version (${expected})`);
      if (givenKind !== type.kind)
        throw badRequest(
          `the object provided is unrecognized (must be of type ${type.kind}): no kind "${givenKind}" is registered for the resource ${type.plural}`,
        );
    } else if (givenVersion !== expected || givenKind !== type.kind) {
      // the legacy scheme decodes into the body's kind, then converts into the resource's
      const handled = `${givenKind} in version "${givenVersion.split('/').pop() ?? ''}" cannot be handled as a ${type.kind}`;
      if (givenVersion === 'v1' && type.group === '' && CORE_V1_KINDS.has(givenKind)) {
        throw badRequest(`${handled}: converting (v1.${givenKind}) to (core.${type.kind}): unknown conversion`);
      }
      throw badRequest(`${handled}: no kind "${givenKind}" is registered for version "${givenVersion}" in scheme "${LEGACY_SCHEME}"`);
    }
    obj.apiVersion = expected;
    obj.kind = type.kind;
    if (!type.custom) dropUnknownFields(type.plural, obj);
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isRecord(obj.metadata)) throw unmarshalError(type, obj.metadata, `${type.kind}.metadata`, 'v1.ObjectMeta');
    const meta = obj.metadata;
    for (const key of ['name', 'namespace', 'generateName', 'uid', 'resourceVersion']) {
      if (meta[key] !== undefined && meta[key] !== null && typeof meta[key] !== 'string')
        throw unmarshalError(type, meta[key], `ObjectMeta.metadata.${key}`, 'string');
      if (meta[key] === null) delete meta[key];
    }
    decodeStringMap(type, meta, 'labels', 'ObjectMeta.metadata.labels');
    decodeStringMap(type, meta, 'annotations', 'ObjectMeta.metadata.annotations');
    decodeStringList(type, meta, 'finalizers', 'ObjectMeta.metadata.finalizers');
    if (type.plural === 'configmaps') decodeStringMap(type, obj, 'data', 'ConfigMap.data');
    if (type.plural === 'resourcequotas') {
      if (obj.spec !== undefined && obj.spec !== null && !isRecord(obj.spec))
        throw unmarshalError(type, obj.spec, 'ResourceQuota.spec', 'v1.ResourceQuotaSpec');
      const hard = isRecord(obj.spec) ? obj.spec.hard : undefined;
      if (hard !== undefined && hard !== null && !isRecord(hard))
        throw unmarshalError(type, hard, 'ResourceQuotaSpec.spec.hard', 'v1.ResourceList');
    }
    if (meta.name === undefined) meta.name = '';
    return obj as unknown as KubeStoredObject;
  }

  // ---------- create ----------

  create(req: ResourceRequest, body: unknown): ApiResponse {
    checkDryRunValues(req.query, 'CreateOptions');
    const { type } = req;
    const dryRun = isDryRun(req.query);
    const obj = this.decode(type, body);
    const meta = obj.metadata;

    // rest.BeforeCreate → EnsureObjectNamespaceMatchesRequestNamespace
    if (type.namespaced) {
      if (meta.namespace && meta.namespace !== req.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = req.namespace ?? '';
    } else delete meta.namespace;

    // defaulting happens at decode time, before admission
    applyCreateDefaults(type, obj);

    // admission, NamespaceLifecycle first (a real server answers 404 for a missing namespace before
    // any other plugin or validation looks at the object)
    if (type.namespaced) {
      const refused = admitNamespaceLifecycle(this.store, type, meta.namespace ?? '', meta.name);
      if (refused) throw refused;
    }
    if (type.plural === 'pods') {
      const noAccount = admitServiceAccount(this.store, type, obj, generateNameSuffix);
      if (noAccount) throw noAccount;
      const refused = admitPodPriority(this.store, type, obj);
      if (refused) throw refused;
      admitDefaultTolerations(obj);
    }

    // store.Create: name generation (retried on a clash, as 1.30+ does)
    if (!meta.name && meta.generateName) {
      let name = '';
      for (let attempt = 0; attempt < 8; attempt++) {
        name = `${meta.generateName}${generateNameSuffix()}`;
        if (!this.store.peek(type.plural, meta.namespace, name)) break;
      }
      meta.name = name;
    }

    // FillObjectMetaSystemFields; the etcd3 store refuses a resourceVersion on create
    if (!dryRun && meta.resourceVersion) throw unknownServerError('resourceVersion should not be set on objects to be created');
    Reflect.deleteProperty(meta, 'resourceVersion');
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.now();

    const errors = validateCreate(type, obj);
    if (errors.length > 0) throw invalid(type, meta.name, errors);

    // validating admission: ResourceQuota (last in the chain)
    const overQuota = this.quota.checkCreate(type, obj);
    if (overQuota) throw overQuota;

    const existing = this.store.peek(type.plural, meta.namespace, meta.name);
    if (existing) {
      const error = alreadyExists(type, meta.name);
      // store.Create: a namesake still terminating is called out
      if (existing.metadata.deletionTimestamp) error.body.message = `object is being deleted: ${error.body.message ?? ''}`;
      throw error;
    }
    if (type.plural === 'resourcequotas') this.quota.fillStatus(obj);
    if (dryRun) return { status: 201, body: canonicalOrder(obj) };

    const stored = this.store.insert(type.plural, obj);
    this.afterWrite(type, stored);
    if (type.plural === 'namespaces') {
      this.publishRootCa(stored.metadata.name);
      this.createDefaultServiceAccount(stored.metadata.name);
    }
    return { status: 201, body: stored };
  }

  /** kube-controller-manager root-ca-cert-publisher: every namespace gets the kube-root-ca.crt ConfigMap. */
  private publishRootCa(namespace: string): void {
    const type = resourceTypeByPlural('configmaps');
    if (!type || this.store.peek('configmaps', namespace, 'kube-root-ca.crt')) return;
    const cm: KubeStoredObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace,
        uid: randomUUID(),
        resourceVersion: '',
        creationTimestamp: this.now(),
        annotations: {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      },
      data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nstand-in (no TLS)\n-----END CERTIFICATE-----\n' },
    };
    this.afterWrite(type, this.store.insert('configmaps', cm));
  }

  /** kube-controller-manager serviceaccount controller: every namespace gets the `default` ServiceAccount. */
  private createDefaultServiceAccount(namespace: string): void {
    const type = resourceTypeByPlural('serviceaccounts');
    if (!type || this.store.peek('serviceaccounts', namespace, 'default')) return;
    const sa: KubeStoredObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace, uid: randomUUID(), resourceVersion: '', creationTimestamp: this.now() },
    };
    this.afterWrite(type, this.store.insert('serviceaccounts', sa));
  }

  // ---------- get / list ----------

  private mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeStoredObject {
    const obj = this.store.peek(type.plural, type.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(type, name);
    return obj;
  }

  get(req: ResourceRequest): ApiResponse {
    return { status: 200, body: deepCopy(this.mustGet(req.type, req.namespace, req.name ?? '')) };
  }

  list(req: ResourceRequest): ApiResponse {
    const page = listObjects(this.store, req.type, req.type.namespaced ? req.namespace : undefined, req.query);
    return { status: 200, body: page.body, json: () => listText(req.type, page) };
  }

  // ---------- update / patch ----------

  update(req: ResourceRequest, body: unknown): ApiResponse {
    checkDryRunValues(req.query, 'UpdateOptions');
    const { type } = req;
    const name = req.name ?? '';
    const obj = this.decode(type, body);
    // handlers/rest.go checkName and EnsureObjectNamespaceMatchesRequestNamespace
    if (obj.metadata.name !== name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    if (type.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== req.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = req.namespace ?? '';
    } else delete obj.metadata.namespace;

    const current = this.store.peek(type.plural, obj.metadata.namespace, name);
    if (!current) {
      if (type.allowCreateOnUpdate && !req.subresource) {
        Reflect.deleteProperty(obj.metadata, 'resourceVersion');
        const created = this.create({ ...req, name: undefined }, obj);
        return { status: 201, body: created.body };
      }
      throw notFound(type, name);
    }
    return this.applyUpdate(type, current, obj, req.subresource, isDryRun(req.query));
  }

  patch(req: ResourceRequest, body: unknown, contentType: string): ApiResponse {
    checkDryRunValues(req.query, 'PatchOptions');
    const { type } = req;
    const name = req.name ?? '';
    const current = this.mustGet(type, req.namespace, name);
    const accepted: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge, ...(type.custom ? [] : [PATCH_TYPES.strategic]), PATCH_TYPES.apply];
    let patched: unknown;
    try {
      switch (contentType) {
        case PATCH_TYPES.json:
          patched = applyJsonPatch(current, decodeJsonPatch(body));
          break;
        case PATCH_TYPES.merge:
          if (!isRecord(body)) throw new PatchError('json: cannot unmarshal into Go value of type map[string]interface {}', 'bad-request');
          patched = applyMergePatch(current, body);
          break;
        case PATCH_TYPES.strategic:
          // apiextensions-apiserver: custom resources do not support strategic merge patch
          if (type.custom) throw unsupportedMediaType(accepted.filter((t) => t !== PATCH_TYPES.strategic));
          if (!isRecord(body)) throw new PatchError('json: cannot unmarshal into Go value of type map[string]interface {}', 'bad-request');
          patched = applyStrategicMergePatch(current, body);
          break;
        default:
          throw unsupportedMediaType(accepted);
      }
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      if (error.kind === 'bad-request') throw badRequest(error.message);
      // handlers/patch.go: NewGenericServerResponse(422, ...) for a patch that does not apply
      throw new ApiError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server rejected our request due to an error in our request',
        reason: 'Invalid',
        details: { causes: [{ reason: 'UnexpectedServerResponse', message: error.message }] },
        code: 422,
      });
    }
    const obj = this.decode(type, patched);
    if (obj.metadata.name !== name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    if (type.namespaced && obj.metadata.namespace !== req.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    // a patch that does not carry a resourceVersion is unconditional
    if (!obj.metadata.resourceVersion) obj.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.applyUpdate(type, current, obj, req.subresource, isDryRun(req.query));
  }

  /** store.Update after decoding: optimistic concurrency, PrepareForUpdate, ValidateUpdate, no-op detection. */
  private applyUpdate(
    type: ResourceType,
    current: KubeStoredObject,
    incoming: KubeStoredObject,
    subresource: Subresource | undefined,
    dryRun: boolean,
  ): ApiResponse {
    const name = current.metadata.name;
    const rv = incoming.metadata.resourceVersion;
    if (!rv) {
      if (!type.allowUnconditionalUpdate)
        throw invalid(type, name, [invalidField('metadata.resourceVersion', new RawValue('0x0'), 'must be specified for an update')]);
    } else if (rv !== current.metadata.resourceVersion) {
      throw conflict(type, name);
    }
    if (incoming.metadata.uid && incoming.metadata.uid !== current.metadata.uid) {
      throw invalid(type, name, [invalidField('metadata.uid', incoming.metadata.uid, 'field is immutable')]);
    }

    let next: KubeStoredObject;
    if (subresource === 'status') {
      // status strategies' PrepareForUpdate: only status changes through /status
      next = deepCopy(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = deepCopy(incoming.status);
    } else {
      next = deepCopy(incoming);
      // system metadata is the server's
      for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
        if (current.metadata[key] === undefined) delete next.metadata[key];
        else next.metadata[key] = deepCopy(current.metadata[key]) as never;
      }
      // strategies of types with a status subresource ignore status on the main resource
      if (type.subresources.includes('status')) {
        if (current.status === undefined) delete next.status;
        else next.status = deepCopy(current.status);
      }
      if (type.plural === 'services') {
        // the service REST keeps the allocated cluster IPs when an update leaves them out
        const spec = isRecord(next.spec) ? next.spec : (next.spec = {});
        const old = isRecord(current.spec) ? current.spec : {};
        for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'type', 'sessionAffinity', 'internalTrafficPolicy']) {
          if ((spec[key] === undefined || spec[key] === '') && old[key] !== undefined) spec[key] = deepCopy(old[key]);
        }
      }
      if (type.plural === 'namespaces') next.spec = deepCopy(current.spec);
      if (current.metadata.deletionTimestamp) {
        const added = (next.metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw invalid(type, name, [
            forbiddenField(
              'metadata.finalizers',
              `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
            ),
          ]);
        }
      }
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    next.metadata.name = current.metadata.name;
    if (type.namespaced) next.metadata.namespace = current.metadata.namespace;

    const errors = validateUpdate(type, next, current);
    if (errors.length > 0) throw invalid(type, name, errors);

    if (type.tracksGeneration) {
      const strip = (o: KubeStoredObject) => {
        const { metadata: _m, status: _s, ...rest } = o;
        return rest;
      };
      if (!deepEqual(strip(next), strip(current))) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    if (type.plural === 'resourcequotas') this.quota.fillStatus(next);

    // GuaranteedUpdate: an update that changes nothing is not written (no new resourceVersion)
    if (deepEqual(next, current)) return { status: 200, body: deepCopy(current) };
    if (dryRun) return { status: 200, body: canonicalOrder(next) };

    const stored = this.store.replace(type.plural, next);
    this.afterWrite(type, stored, current);
    if (shouldDeleteDuringUpdate(type, stored)) this.gcRemove(type, stored);
    return { status: 200, body: stored };
  }

  // ---------- delete ----------

  delete(req: ResourceRequest, body: unknown): ApiResponse {
    checkDryRunValues(req.query, 'DeleteOptions');
    const { type } = req;
    const name = req.name ?? '';
    const options = parseDeleteOptions(req.query, body);
    const current = this.mustGet(type, req.namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    // rest.BeforeDelete checks the preconditions early (the same words in 1.20 and today)
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw preconditionConflict(
        type,
        name,
        `the UID in the precondition (${uid}) does not match the UID in record (${current.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw preconditionConflict(
        type,
        name,
        `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${current.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    if (type.plural === 'namespaces' && IMMORTAL_NAMESPACES.includes(name))
      throw forbidden(type, name, 'this namespace may not be deleted');
    if (type.plural === 'priorityclasses' && name.startsWith('system-'))
      throw forbidden(type, name, `the PriorityClass "${name}" is a built-in and cannot be deleted`);

    const policy = options.policy ?? (options.orphanDependents === true ? 'Orphan' : undefined);
    const outcome = this.deleteObject(type, current, policy, options.dryRun, options.gracePeriodSeconds);
    if (outcome.deleted) {
      return { status: 200, body: type.returnDeletedObject ? outcome.object : successStatus(type, name, current.metadata.uid) };
    }
    return { status: options.orphanDependents === false ? 202 : 200, body: outcome.object };
  }

  /**
   * store.Delete: finalizers (including the orphan / foregroundDeletion ones the propagation
   * policy adds) turn the delete into setting deletionTimestamp; otherwise the object goes now.
   */
  private deleteObject(
    type: ResourceType,
    current: KubeStoredObject,
    policy: PropagationPolicy | undefined,
    dryRun: boolean,
    gracePeriodSeconds?: number,
  ): { deleted: boolean; object: KubeStoredObject } {
    if (current.metadata.deletionTimestamp) {
      // a pod already terminating can be forced (gracePeriodSeconds=0) or have its grace shortened
      if (
        type.plural === 'pods' &&
        gracePeriodSeconds !== undefined &&
        gracePeriodSeconds < (current.metadata.deletionGracePeriodSeconds ?? 0)
      ) {
        return this.terminatePod(type, current, policy, dryRun, gracePeriodSeconds);
      }
      return { deleted: false, object: deepCopy(current) };
    }
    if (type.plural === 'pods') {
      const grace = podGracePeriod(current, gracePeriodSeconds);
      if (grace > 0) return this.terminatePod(type, current, policy, dryRun, grace);
    }
    if (type.plural === 'namespaces') {
      // the namespace REST: Terminating until the namespace controller has emptied it
      const next = deepCopy(current);
      next.metadata.deletionTimestamp = this.now();
      next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
      if (dryRun) return { deleted: false, object: next };
      const stored = this.store.replace(type.plural, next);
      this.gc.schedule();
      return { deleted: false, object: stored };
    }
    const finalizers = finalizersForPolicy(current, policy);
    if (finalizers.length > 0) {
      const next = deepCopy(current);
      next.metadata.finalizers = finalizers;
      next.metadata.deletionTimestamp = this.now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (dryRun) return { deleted: false, object: next };
      const stored = this.store.replace(type.plural, next);
      this.afterWrite(type, stored, current);
      return { deleted: false, object: stored };
    }
    return this.deleteNow(type, current, dryRun);
  }

  /** The object goes from storage now (nothing holds it). */
  private deleteNow(type: ResourceType, current: KubeStoredObject, dryRun: boolean): { deleted: true; object: KubeStoredObject } {
    if (dryRun) return { deleted: true, object: deepCopy(current) };
    const removed = this.removeStored(type, current.metadata.namespace, current.metadata.name);
    if (!removed) throw notFound(type, current.metadata.name);
    return { deleted: true, object: removed };
  }

  /** Removes from storage, then the follow-ups of a removal; undefined when it was already gone. */
  private removeStored(type: ResourceType, namespace: string | undefined, name: string): KubeStoredObject | undefined {
    const removed = this.store.remove(type.plural, namespace, name);
    if (removed) this.afterRemove(type, removed);
    return removed;
  }

  /**
   * Graceful deletion of a pod bound to a node (pod strategy CheckGracefulDelete): deletionTimestamp
   * is set to now + grace and the pod stays until the kubelet has stopped it and deletes it with grace 0.
   * The simulated kubelet does that after the controller delay (gcDelayMs), or at once with grace 0.
   */
  private terminatePod(
    type: ResourceType,
    current: KubeStoredObject,
    policy: PropagationPolicy | undefined,
    dryRun: boolean,
    grace: number,
  ): { deleted: boolean; object: KubeStoredObject } {
    const finalizers = finalizersForPolicy(current, policy);
    // a forced deletion (gracePeriodSeconds=0) of a pod nothing holds: gone now
    if (grace === 0 && finalizers.length === 0) return this.deleteNow(type, current, dryRun);
    const next = deepCopy(current);
    if (finalizers.length > 0) next.metadata.finalizers = finalizers;
    else delete next.metadata.finalizers;
    next.metadata.deletionTimestamp = kubeTime(this.nowMs() + grace * 1000);
    next.metadata.deletionGracePeriodSeconds = grace;
    if (dryRun) return { deleted: false, object: next };
    const stored = this.store.replace(type.plural, next);
    this.afterWrite(type, stored, current);
    if (grace > 0) {
      const uid = stored.metadata.uid;
      const timer = setTimeout(() => {
        this.terminations.delete(timer);
        this.kubeletFinishTermination(type, stored.metadata.namespace, stored.metadata.name, uid);
      }, this.controllerDelayMs);
      this.terminations.add(timer);
    }
    return { deleted: false, object: stored };
  }

  /** The kubelet, once the containers are stopped: DELETE with grace 0 (finalizers still hold the object). */
  private kubeletFinishTermination(type: ResourceType, namespace: string | undefined, name: string, uid: string): void {
    const pod = this.store.peek(type.plural, namespace, name);
    if (!pod || pod.metadata.uid !== uid) return;
    if ((pod.metadata.finalizers ?? []).length > 0) {
      const next = deepCopy(pod);
      next.metadata.deletionGracePeriodSeconds = 0;
      this.writeInternal(type, next);
      return;
    }
    this.removeStored(type, namespace, name);
  }

  deleteCollection(req: ResourceRequest, body: unknown): ApiResponse {
    checkDryRunValues(req.query, 'DeleteOptions');
    const { type } = req;
    const options = parseDeleteOptions(req.query, body);
    const namespace = type.namespaced ? req.namespace : undefined;
    const revision = this.store.currentRevision;
    const items = selectObjects(this.store, type, namespace, req.query);
    for (const item of items) {
      const current = this.store.peek(type.plural, item.metadata.namespace, item.metadata.name);
      if (current)
        this.deleteObject(
          type,
          current,
          options.policy ?? (options.orphanDependents === true ? 'Orphan' : undefined),
          options.dryRun,
          options.gracePeriodSeconds,
        );
    }
    return {
      status: 200,
      body: {
        kind: type.listKind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(revision) },
        items: items.map((o) => listItem(type, o)),
      },
    };
  }

  // ---------- pods/log ----------

  readLog(req: ResourceRequest): ApiResponse {
    const pod = this.mustGet(req.type, req.namespace, req.name ?? '');
    const container = logContainer(pod, req.query);
    const node = stringAt(pod, 'spec', 'nodeName');
    if (node !== undefined && this.unreachableNodes.has(node)) {
      // The API server proxies pods/log to the node's kubelet; with the node gone the dial fails and
      // the client gets that Go error as it is (errToAPIStatus: 500, no reason).
      const hostIp = stringAt(pod, 'status', 'hostIP') ?? node;
      throw unknownServerError(
        `Get "https://${hostIp}:10250/containerLogs/${pod.metadata.namespace ?? ''}/${pod.metadata.name}/${container}": dial tcp ${hostIp}:10250: i/o timeout`,
      );
    }
    return { status: 200, body: sliceLog(this.logs.get(pod.metadata.uid) ?? [], req.query, this.nowMs()), contentType: 'text/plain' };
  }

  /** Replaces the pod's log with `text`, every line received now. */
  setLog(namespace: string, name: string, text: string): void {
    this.logs.set(this.podUid(namespace, name), logLines(text, this.now()));
  }

  /** Adds lines to the pod's log as the container writes them, each at its own time (default now). */
  appendLog(namespace: string, name: string, lines: readonly { readonly text: string; readonly at?: string }[]): void {
    const uid = this.podUid(namespace, name);
    const log = this.logs.get(uid) ?? [];
    for (const line of lines) log.push(...logLines(line.text, line.at ?? this.now()));
    this.logs.set(uid, log);
  }

  /** A node's kubelet stops (false) or starts again (true) answering the API server. */
  setNodeReachable(node: string, reachable: boolean): void {
    if (reachable) this.unreachableNodes.delete(node);
    else this.unreachableNodes.add(node);
  }

  private podUid(namespace: string, name: string): string {
    const pod = this.store.peek('pods', namespace, name);
    if (!pod) throw new Error(`pods "${name}" not found in namespace ${namespace}`);
    return pod.metadata.uid;
  }

  // ---------- writes by controllers (GC, quota, simulation) ----------

  /** A write by a controller or the kubelet simulation: no admission, no optimistic lock. */
  writeInternal(type: ResourceType, next: KubeStoredObject): KubeStoredObject {
    const current = this.store.peek(type.plural, next.metadata.namespace, next.metadata.name);
    if (!current) throw new Error(`${type.plural} "${next.metadata.name}" not found`);
    const copy = deepCopy(next);
    copy.metadata.resourceVersion = current.metadata.resourceVersion;
    if (deepEqual(copy, current)) return deepCopy(current);
    const stored = this.store.replace(type.plural, copy);
    this.afterWrite(type, stored, current);
    return stored;
  }

  gcDelete(type: ResourceType, obj: KubeStoredObject, policy: PropagationPolicy): void {
    const current = this.store.peek(type.plural, obj.metadata.namespace, obj.metadata.name);
    if (current && current.metadata.uid === obj.metadata.uid) this.deleteObject(type, current, policy, false);
  }

  gcWrite(type: ResourceType, obj: KubeStoredObject): void {
    const current = this.store.peek(type.plural, obj.metadata.namespace, obj.metadata.name);
    if (!current || current.metadata.uid !== obj.metadata.uid) return;
    const stored = this.writeInternal(type, obj);
    if (shouldDeleteDuringUpdate(type, stored)) this.gcRemove(type, stored);
  }

  gcRemove(type: ResourceType, obj: KubeStoredObject): void {
    this.removeStored(type, obj.metadata.namespace, obj.metadata.name);
  }

  /** After a write: the quota controller recounts the namespace, the GC looks at owners and finalizers. */
  private afterWrite(type: ResourceType, stored: KubeStoredObject, before?: KubeStoredObject): void {
    if (type.namespaced && stored.metadata.namespace) this.refreshQuota(stored.metadata.namespace, type);
    const ownersChanged = !deepEqual(stored.metadata.ownerReferences ?? [], before?.metadata.ownerReferences ?? []);
    const finalizersChanged = !deepEqual(stored.metadata.finalizers ?? [], before?.metadata.finalizers ?? []);
    if ((stored.metadata.ownerReferences ?? []).length > 0 && (ownersChanged || !before)) this.gc.schedule();
    if (stored.metadata.deletionTimestamp || finalizersChanged) this.gc.schedule();
  }

  private afterRemove(type: ResourceType, removed: KubeStoredObject): void {
    if (type.plural === 'pods') this.logs.delete(removed.metadata.uid);
    if (type.namespaced && removed.metadata.namespace) this.refreshQuota(removed.metadata.namespace, type);
    this.gc.schedule();
  }

  /** `changed`: the type just written (only the quotas counting it are recounted); undefined: all. */
  private refreshQuota(namespace: string, changed?: ResourceType): void {
    this.quota.refresh(
      namespace,
      (q) => {
        this.store.replace('resourcequotas', q);
      },
      changed,
    );
  }

  /** For stats resets: recompute every namespace. */
  refreshAllQuotas(): void {
    for (const ns of this.store.peekAll('namespaces')) this.refreshQuota(ns.metadata.name);
  }
}
