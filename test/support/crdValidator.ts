/**
 * Checks a SparkApplication the way the Kubernetes API server would accept it with
 * `fieldValidation=Strict`, using the vendored CRD schema (test/fixtures/crd, see its README).
 *
 * The CRD's openAPIV3Schema is a structural schema with Kubernetes extensions, which plain JSON
 * Schema does not know. Before compiling it with ajv we translate what matters:
 * - An object schema with `properties`, no `additionalProperties` and no
 *   `x-kubernetes-preserve-unknown-fields: true` gets `additionalProperties: false`. The API server
 *   prunes unknown fields silently by default and rejects them with fieldValidation=Strict: either
 *   way a misspelled field never takes effect, so a test must see it.
 * - `x-kubernetes-int-or-string: true`: an integer or a string (the `pattern` applies to strings).
 * - `nullable: true`: null is allowed besides the declared type.
 * - `x-kubernetes-list-type: set` (unique items) and `map` (unique `x-kubernetes-list-map-keys`
 *   tuples, a missing key taking its schema default): the API server reports duplicates.
 * - `format: int32 | int64` are range checks on integers; `date-time` is RFC 3339.
 *
 * The CRD schema says nothing about `metadata` (it is `type: object`): the API server validates
 * ObjectMeta itself, so that is done here separately (see `validateMetadata`).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';

export const CRD_SCHEMA_FILE = new URL('../fixtures/crd/sparkapplication-v1beta2.schema.json', import.meta.url);

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
/** One JSON-pointer segment (RFC 6901), as in ajv's instancePath. */
const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';
const LIST_TYPE = 'x-kubernetes-list-type';
const LIST_MAP_KEYS = 'x-kubernetes-list-map-keys';

/** A copy of a CRD schema node (and all nodes under it) with the Kubernetes semantics above made explicit. */
export function strictStructuralSchema(node: unknown): unknown {
  if (!isMap(node)) return node;
  const out: Json = { ...node };

  if (isMap(node.properties)) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strictStructuralSchema(v)]));
  }
  if (node.items !== undefined) out.items = strictStructuralSchema(node.items);
  if (isMap(node.additionalProperties)) out.additionalProperties = strictStructuralSchema(node.additionalProperties);
  for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map(strictStructuralSchema);
  }
  if (node.not !== undefined) out.not = strictStructuralSchema(node.not);

  if (isMap(node.properties) && node.additionalProperties === undefined && node[PRESERVE] !== true) out.additionalProperties = false;

  if (node[INT_OR_STRING] === true) {
    delete out.type;
    if (!Array.isArray(out.anyOf)) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  delete out.nullable;
  if (node[LIST_TYPE] === 'set') out.uniqueItems = true;
  return out;
}

const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] } as const;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function listMapDuplicates(keys: unknown, data: unknown, parentSchema: AnySchemaObject): boolean {
  if (!Array.isArray(keys) || !Array.isArray(data) || parentSchema[LIST_TYPE] !== 'map') return true;
  const props = isMap(parentSchema.items) && isMap(parentSchema.items.properties) ? parentSchema.items.properties : {};
  const seen = new Set<string>();
  for (const item of data) {
    if (!isMap(item)) continue;
    const tuple = JSON.stringify(keys.map((k: string) => item[k] ?? (isMap(props[k]) ? props[k].default : undefined) ?? null));
    if (seen.has(tuple)) return false;
    seen.add(tuple);
  }
  return true;
}

function compile(raw: unknown = JSON.parse(readFileSync(CRD_SCHEMA_FILE, 'utf8'))): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= INT_RANGE.int32[0] && n <= INT_RANGE.int32[1],
  });
  ajv.addFormat('int64', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= INT_RANGE.int64[0] && n <= INT_RANGE.int64[1],
  });
  ajv.addFormat('date-time', RFC3339);
  ajv.addKeyword({
    keyword: LIST_MAP_KEYS,
    type: 'array',
    schemaType: 'array',
    errors: false,
    validate: (keys: unknown, data: unknown, parentSchema?: AnySchemaObject) => listMapDuplicates(keys, data, parentSchema ?? {}),
  });
  return ajv.compile(strictStructuralSchema(raw) as AnySchemaObject);
}

let compiled: ValidateFunction | undefined;
/** The compiled CRD validator (compiled once: the schema is large). */
export function crdValidator(): ValidateFunction {
  compiled ??= compile();
  return compiled;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(root)' : e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}: unknown field "${String(e.params.additionalProperty)}" (not in the CRD schema)`;
    case 'required':
      return `${at}: missing required field "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${at}: ${JSON.stringify(e.data)} is not one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case LIST_MAP_KEYS:
      return `${at}: duplicate entries for the list-map keys ${JSON.stringify(e.schema)}`;
    default:
      return `${at}: ${e.message ?? e.keyword}${e.keyword === 'type' || e.keyword === 'pattern' || e.keyword === 'format' ? ` (found ${JSON.stringify(e.data)})` : ''}`;
  }
}

/**
 * spec.driver.template and spec.executor.template are `x-kubernetes-preserve-unknown-fields` in the
 * CRD (a corev1.PodTemplateSpec, Schemaless): the API server checks nothing in them, and the
 * operator hands them to Spark as pod template files, where a misspelled field is dropped. So the
 * fields the renderer uses are checked here with the Kubernetes schemas the same CRD carries
 * elsewhere: PodSecurityContext (spec.driver.podSecurityContext), Container (spec.driver.sidecars,
 * for the containers), Volume (spec.volumes). A field outside these is reported as not checkable.
 */
function podTemplateSchema(raw: unknown): Json {
  const at = (node: unknown, ...path: string[]): Json => {
    let cur = node;
    for (const key of path) cur = isMap(cur) ? cur[key] : undefined;
    if (!isMap(cur)) throw new Error(`CRD schema has no ${path.join('.')}`);
    return cur;
  };
  const spec = at(raw, 'properties', 'spec', 'properties');
  const driver = at(spec, 'driver', 'properties');
  const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
  return {
    type: 'object',
    properties: {
      metadata: { type: 'object', properties: { labels: stringMap, annotations: stringMap } },
      spec: {
        type: 'object',
        required: ['containers'],
        properties: {
          securityContext: at(driver, 'podSecurityContext'),
          priorityClassName: at(driver, 'priorityClassName'),
          activeDeadlineSeconds: { type: 'integer', format: 'int64', minimum: 1 },
          containers: at(driver, 'sidecars'),
          volumes: at(spec, 'volumes'),
        },
      },
    },
  };
}

let compiledTemplate: ValidateFunction | undefined;
/** Every reason the pod template `template` (at `path`) would not reach the pods as written. */
export function validatePodTemplate(template: unknown, path: string): string[] {
  compiledTemplate ??= compile(podTemplateSchema(JSON.parse(readFileSync(CRD_SCHEMA_FILE, 'utf8'))));
  if (compiledTemplate(template)) return [];
  return withoutBranchNoise(compiledTemplate.errors ?? []).map((e) => describeError({ ...e, instancePath: `${path}${e.instancePath}` }));
}

/** Errors inside a failed anyOf (int-or-string) say "must be integer" and "must be string": keep only the anyOf one. */
function withoutBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const anyOf = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => e.keyword === 'anyOf' || !anyOf.some((prefix) => e.schemaPath.startsWith(prefix)));
}

// apimachinery/pkg/util/validation.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const TOTAL_ANNOTATION_BYTES = 256 * 1024;

/** IsQualifiedName: `[prefix/]name`, prefix a DNS-1123 subdomain ≤ 253, name ≤ 63. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'at most one "/"';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    return 'a prefix that is a DNS-1123 subdomain of at most 253 characters';
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name))
    return 'a name of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  return undefined;
}

function labelProblems(path: string, labels: unknown): string[] {
  if (labels === undefined) return [];
  if (!isMap(labels)) return [`${path}: must be a map of strings`];
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) out.push(`${path}: label key ${JSON.stringify(key)} must be ${keyProblem}`);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      out.push(
        `${path}/${pointer(key)}: label value ${JSON.stringify(value)} must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
      );
    }
  }
  return out;
}

/**
 * ObjectMeta, which the CRD schema leaves to the API server:
 * - metadata.name: the API server requires a DNS-1123 subdomain of at most 253 characters for
 *   custom resources (NameIsDNSSubdomain).
 * - metadata.name, operator rule: the Spark Operator's validating webhook requires a DNS-1035
 *   label (at most 63, starting with a letter, no dots) because it derives Service names from it,
 *   and it puts the name in the `sparkoperator.k8s.io/app-name` label of the pods it starts, whose
 *   values are at most 63 characters. This is not stated in the CRD's descriptions; it comes from
 *   the operator's source (internal/webhook/sparkapplication_validator.go, validateName).
 * - metadata.namespace: a DNS-1123 label; labels and annotations: Kubernetes key/value syntax.
 */
export function validateMetadata(metadata: unknown): string[] {
  if (!isMap(metadata)) return ['/metadata: must be an object'];
  const out: string[] = [];
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== 'string' || name === '') out.push('/metadata/name: missing required field "name"');
  else {
    if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      out.push(
        `/metadata/name: ${JSON.stringify(name)} must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)`,
      );
    }
    if (name.length > 63 || !DNS1035_LABEL.test(name)) {
      out.push(
        `/metadata/name: ${JSON.stringify(name)} must be a DNS-1035 label (at most 63 lower-case letters, digits and "-", starting with a letter) for the Spark Operator`,
      );
    }
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace))) {
    out.push(`/metadata/namespace: ${JSON.stringify(namespace)} must be a DNS-1123 label of at most 63 characters`);
  }
  out.push(...labelProblems('/metadata/labels', labels));
  if (annotations !== undefined) {
    if (!isMap(annotations)) out.push('/metadata/annotations: must be a map of strings');
    else {
      let bytes = 0;
      for (const [key, value] of Object.entries(annotations)) {
        const keyProblem = qualifiedNameProblem(key.toLowerCase());
        if (keyProblem) out.push(`/metadata/annotations: annotation key ${JSON.stringify(key)} must be ${keyProblem}`);
        if (typeof value !== 'string') out.push(`/metadata/annotations/${pointer(key)}: must be a string`);
        bytes += Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : '');
      }
      if (bytes > TOTAL_ANNOTATION_BYTES)
        out.push(`/metadata/annotations: ${bytes} bytes, more than the ${TOTAL_ANNOTATION_BYTES} allowed in total`);
    }
  }
  return out;
}

/**
 * Every reason the API server (strict field validation) or the Spark Operator's admission checks
 * would refuse `obj` as a sparkoperator.k8s.io/v1beta2 SparkApplication; empty when it is valid.
 * The object is first sent through JSON, as a client would send it (undefined fields vanish).
 */
export function validateSparkApplication(obj: unknown): string[] {
  const wire: unknown = obj === undefined ? undefined : JSON.parse(JSON.stringify(obj));
  const errors: string[] = [];
  if (!isMap(wire)) return ['(root): must be an object'];
  if (wire.apiVersion !== 'sparkoperator.k8s.io/v1beta2')
    errors.push(`/apiVersion: ${JSON.stringify(wire.apiVersion)} is not "sparkoperator.k8s.io/v1beta2"`);
  if (wire.kind !== 'SparkApplication') errors.push(`/kind: ${JSON.stringify(wire.kind)} is not "SparkApplication"`);

  const validate = crdValidator();
  if (!validate(wire)) errors.push(...withoutBranchNoise(validate.errors ?? []).map(describeError));
  if (wire.metadata !== undefined) errors.push(...validateMetadata(wire.metadata));

  // Pod labels: the CRD types them as plain string maps, but the operator copies them onto the
  // driver and executor pods, where the API server checks their syntax.
  const spec = isMap(wire.spec) ? wire.spec : {};
  for (const role of ['driver', 'executor'] as const) {
    const pod = spec[role];
    if (isMap(pod)) errors.push(...labelProblems(`/spec/${role}/labels`, pod.labels));
    if (isMap(pod) && pod.template !== undefined) errors.push(...validatePodTemplate(pod.template, `/spec/${role}/template`));
  }
  return errors;
}
