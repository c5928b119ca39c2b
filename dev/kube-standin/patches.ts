/**
 * The three patch types of the apiserver (endpoints/handlers/patch.go):
 *  - application/merge-patch+json: RFC 7386 (evanphx/json-patch MergePatch),
 *  - application/json-patch+json: RFC 6902 (evanphx/json-patch v4: add, remove, replace, move, copy, test),
 *  - application/strategic-merge-patch+json: a merge patch where lists with a patchMergeKey in the
 *    Go types (containers by name, conditions by type, ...) are merged by that key, with the
 *    `$patch: delete|replace`, `$deleteFromPrimitiveList/...` and `$setElementOrder/...` directives.
 */
import { deepCopy, deepEqual, isRecord, type JsonRecord } from './jsonValues.js';

export class PatchError extends Error {
  constructor(
    message: string,
    /** 'bad-request': the patch itself is malformed (400); 'unprocessable': it does not apply (422). */
    readonly kind: 'bad-request' | 'unprocessable',
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** RFC 7386. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return deepCopy(patch);
  const result: JsonRecord = isRecord(target) ? deepCopy(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

// ---- RFC 6902 ----

interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
  hasValue: boolean;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: "${pointer}"`, 'unprocessable');
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Operation.Path() / From(): a missing (or null) field, or json.Unmarshal's error for a non-string. */
function fieldError(value: unknown, name: 'path' | 'from'): string {
  if (value === undefined || value === null)
    return name === 'path' ? 'operation missing path field: missing value' : 'operation, missing from field: missing value';
  return `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value} into Go value of type string`;
}

export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 'bad-request');
  return body.map((raw) => {
    if (!isRecord(raw)) throw new PatchError('json: cannot unmarshal into Go value of type jsonpatch.Operation', 'bad-request');
    // A missing op or path must never read as '' (that path is the whole document). evanphx/json-patch
    // v4 refuses such an operation when it reaches it (422), in these words; `from` is read before `path`.
    if (typeof raw.op !== 'string') throw new PatchError('Unexpected kind: unknown', 'unprocessable');
    const op = raw.op;
    if (!JSON_PATCH_OPS.includes(op)) throw new PatchError(`Unexpected kind: ${op}`, 'unprocessable');
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string')
      throw new PatchError(`${op} operation failed to decode from: ${fieldError(raw.from, 'from')}`, 'unprocessable');
    if (typeof raw.path !== 'string') {
      // add, remove and copy wrap ErrMissing whatever went wrong; the others wrap the cause
      const cause = ['add', 'remove', 'copy'].includes(op) ? 'missing value' : fieldError(raw.path, 'path');
      throw new PatchError(`${op} operation failed to decode path: ${cause}`, 'unprocessable');
    }
    const path = raw.path;
    return {
      op,
      path,
      ...(typeof raw.from === 'string' ? { from: raw.from } : {}),
      value: raw.value,
      hasValue: Object.prototype.hasOwnProperty.call(raw, 'value'),
    };
  });
}

type Container = JsonRecord | unknown[];

function isContainer(value: unknown): value is Container {
  return isRecord(value) || Array.isArray(value);
}

/** The parent container and last key of `pointer` in `doc`. */
function locate(doc: unknown, pointer: string, op: string): { parent: Container; key: string } {
  const parts = decodePointer(pointer);
  const last = parts.pop();
  if (last === undefined)
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 'unprocessable');
  let current: unknown = doc;
  for (const part of parts) {
    if (Array.isArray(current)) current = current[arrayIndex(current, part, false, pointer, op)];
    else if (isRecord(current)) current = current[part];
    else current = undefined;
    if (!isContainer(current))
      throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 'unprocessable');
  }
  if (!isContainer(current))
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 'unprocessable');
  return { parent: current, key: last };
}

function arrayIndex(array: unknown[], key: string, forInsert: boolean, pointer: string, op: string): number {
  if (forInsert && key === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(key))
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 'unprocessable');
  const index = Number(key);
  const max = forInsert ? array.length : array.length - 1;
  if (index > max) throw new PatchError(`Unable to access invalid index: ${index}: invalid index referenced`, 'unprocessable');
  return index;
}

function getAt(parent: Container, key: string, pointer: string, op: string): unknown {
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, pointer, op)];
  if (!Object.prototype.hasOwnProperty.call(parent, key)) {
    throw new PatchError(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`, 'unprocessable');
  }
  return parent[key];
}

function removeAt(parent: Container, key: string, pointer: string, op: string): unknown {
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, key, false, pointer, op);
    return parent.splice(index, 1)[0];
  }
  if (!Object.prototype.hasOwnProperty.call(parent, key)) {
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 'unprocessable');
  }
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(parent: Container, key: string, value: unknown, pointer: string, op: string): void {
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer, op), 0, value);
  else parent[key] = value;
}

/** RFC 6902 over a copy of `target`. */
export function applyJsonPatch(target: unknown, operations: readonly JsonPatchOperation[]): unknown {
  let doc: unknown = deepCopy(target);
  for (const operation of operations) {
    const { op, path } = operation;
    const requireValue = () => {
      if (!operation.hasValue) throw new PatchError(`${op} operation does not apply: missing value`, 'unprocessable');
      return deepCopy(operation.value);
    };
    switch (op) {
      case 'add': {
        const value = requireValue();
        if (path === '') {
          doc = value;
          break;
        }
        const { parent, key } = locate(doc, path, op);
        addAt(parent, key, value, path, op);
        break;
      }
      case 'remove': {
        const { parent, key } = locate(doc, path, op);
        removeAt(parent, key, path, op);
        break;
      }
      case 'replace': {
        const value = requireValue();
        if (path === '') {
          doc = value;
          break;
        }
        const { parent, key } = locate(doc, path, op);
        if (Array.isArray(parent)) parent[arrayIndex(parent, key, false, path, op)] = value;
        else {
          if (!Object.prototype.hasOwnProperty.call(parent, key)) {
            throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: missing value`, 'unprocessable');
          }
          parent[key] = value;
        }
        break;
      }
      case 'move':
      case 'copy': {
        if (operation.from === undefined) throw new PatchError(`${op} operation does not apply: missing from`, 'unprocessable');
        const source = locate(doc, operation.from, op);
        const value =
          op === 'move'
            ? removeAt(source.parent, source.key, operation.from, op)
            : deepCopy(getAt(source.parent, source.key, operation.from, op));
        const { parent, key } = locate(doc, path, op);
        addAt(parent, key, value, path, op);
        break;
      }
      case 'test': {
        const expected = operation.value;
        let actual: unknown;
        if (path === '') actual = doc;
        else {
          const { parent, key } = locate(doc, path, op);
          actual = Array.isArray(parent) ? parent[Number(key)] : parent[key];
        }
        if (!deepEqual(actual ?? null, expected ?? null))
          throw new PatchError(`testing value ${path} failed: test failed`, 'unprocessable');
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${op}`, 'unprocessable');
    }
  }
  return doc;
}

// ---- strategic merge patch ----

/**
 * patchMergeKey / patchStrategy of the Go types the stand-in serves, by field path (object keys
 * only; array elements keep their list's path). 'set' = a list of primitives merged as a set.
 */
const MERGE_KEYS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'metadata.finalizers': 'set',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.containers.env': 'name',
  'spec.initContainers.env': 'name',
  'spec.containers.ports': 'containerPort',
  'spec.initContainers.ports': 'containerPort',
  'spec.containers.volumeMounts': 'mountPath',
  'spec.initContainers.volumeMounts': 'mountPath',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.ports': 'port',
  'status.conditions': 'type',
};

const DIRECTIVE_PATCH = '$patch';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const RETAIN_KEYS = '$retainKeys';

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  return strategicMerge(target, patch, []);
}

function strategicMerge(target: unknown, patch: unknown, path: readonly string[]): unknown {
  if (!isRecord(patch)) return deepCopy(patch);
  if (patch[DIRECTIVE_PATCH] === 'replace') {
    const replaced = deepCopy(patch);
    delete replaced[DIRECTIVE_PATCH];
    return replaced;
  }
  if (patch[DIRECTIVE_PATCH] === 'delete') return undefined;
  const result: JsonRecord = isRecord(target) ? deepCopy(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE_PATCH || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((item) => !value.some((v) => deepEqual(v, item)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const childPath = [...path, key];
    const mergeKey = MERGE_KEYS[childPath.join('.')];
    if (mergeKey && Array.isArray(value)) {
      result[key] = mergeList(result[key], value, mergeKey, childPath);
      continue;
    }
    const merged = strategicMerge(result[key], value, childPath);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function mergeList(current: unknown, patch: readonly unknown[], mergeKey: string, path: readonly string[]): unknown[] {
  const base = Array.isArray(current) ? deepCopy(current) : [];
  if (mergeKey === 'set') {
    for (const item of patch) if (!base.some((b) => deepEqual(b, item))) base.push(deepCopy(item));
    return base;
  }
  if (patch.some((item) => isRecord(item) && item[DIRECTIVE_PATCH] === 'replace')) {
    return patch.filter((item) => !(isRecord(item) && item[DIRECTIVE_PATCH] === 'replace')).map((item) => deepCopy(item));
  }
  for (const item of patch) {
    if (!isRecord(item)) {
      base.push(deepCopy(item));
      continue;
    }
    const keyValue = item[mergeKey];
    const index = base.findIndex((b) => isRecord(b) && deepEqual(b[mergeKey], keyValue));
    if (item[DIRECTIVE_PATCH] === 'delete') {
      if (index >= 0) base.splice(index, 1);
      continue;
    }
    if (index >= 0) base[index] = strategicMerge(base[index], item, path);
    else base.push(strategicMerge(undefined, item, path));
  }
  return base;
}
