/**
 * The object storage: etcd as the apiserver uses it. One global revision (etcd's) stamped as
 * metadata.resourceVersion on every write, objects kept in key order (/registry/<resource>/<ns>/<name>),
 * and a bounded change history so that paginated lists can be served from a consistent snapshot
 * (etcd MVCC reads at a revision) and watches can resume, until the history is compacted
 * (the apiserver compacts etcd every 5 minutes: older continue tokens get 410 Expired).
 */
import { deepCopy, deepFreeze } from './jsonValues.js';
import type { KubeStoredObject } from './standInTypes.js';
import { OBJECT_META_FIELDS } from './knownFields.js';

export interface StoreChange {
  readonly revision: number;
  readonly resource: string;
  readonly key: string;
  /** The object before the change (undefined for a create). */
  readonly before?: KubeStoredObject;
  /** The object after the change (undefined for a delete). */
  readonly after?: KubeStoredObject;
  readonly at: number;
}

export type ChangeListener = (change: StoreChange) => void;

export class CompactedError extends Error {
  constructor(readonly revision: number) {
    super(`required revision ${revision} has been compacted`);
    this.name = 'CompactedError';
  }
}

/** apiserver --etcd-compaction-interval default. */
const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;
const MAX_HISTORY = 100_000;

export function storeKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The field order the apiserver serializes in (Go struct order): kind, apiVersion, metadata, the rest. */
export function canonicalOrder(object: KubeStoredObject): KubeStoredObject {
  const { kind, apiVersion, metadata, ...rest } = object;
  const meta: Record<string, unknown> = {};
  for (const key of OBJECT_META_FIELDS) if (metadata[key] !== undefined) meta[key] = metadata[key];
  for (const [key, value] of Object.entries(metadata)) if (!(key in meta) && value !== undefined) meta[key] = value;
  return { kind, apiVersion, metadata: meta as KubeStoredObject['metadata'], ...rest };
}

const byKey = (a: [string, KubeStoredObject], b: [string, KubeStoredObject]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class ObjectStore {
  private readonly buckets = new Map<string, Map<string, KubeStoredObject>>();
  /** Keys of each bucket in order, rebuilt lazily after an insert or a removal. */
  private readonly sortedKeys = new Map<string, string[]>();
  /**
   * The objects of each bucket in key order, rebuilt lazily after any write to the bucket: a
   * paginated list asks for them once per page, and a large namespace has many pages.
   */
  private readonly sortedObjects = new Map<string, readonly KubeStoredObject[]>();
  private readonly history: StoreChange[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private revision = 0;
  private compacted = 0;

  constructor(private readonly compactionIntervalMs = DEFAULT_COMPACTION_INTERVAL_MS) {}

  get currentRevision(): number {
    return this.revision;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  private bucket(resource: string): Map<string, KubeStoredObject> {
    let bucket = this.buckets.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(resource, bucket);
    }
    return bucket;
  }

  /** The stored object itself (not a copy): callers must not mutate it. */
  peek(resource: string, namespace: string | undefined, name: string): KubeStoredObject | undefined {
    return this.buckets.get(resource)?.get(storeKey(namespace, name));
  }

  /** The stored objects themselves in key order, optionally of one namespace: callers must not mutate them. */
  peekAll(resource: string, namespace?: string): readonly KubeStoredObject[] {
    const bucket = this.buckets.get(resource);
    if (!bucket) return [];
    let objects = this.sortedObjects.get(resource);
    if (!objects) {
      let keys = this.sortedKeys.get(resource);
      if (!keys) {
        keys = [...bucket.keys()].sort();
        this.sortedKeys.set(resource, keys);
      }
      const ordered: KubeStoredObject[] = [];
      for (const key of keys) {
        const obj = bucket.get(key);
        if (obj) ordered.push(obj);
      }
      objects = ordered;
      this.sortedObjects.set(resource, objects);
    }
    return namespace === undefined ? objects : objects.filter((obj) => obj.metadata.namespace === namespace);
  }

  /** Stores a new object: stamps the next revision as its resourceVersion. Returns a copy of what was stored. */
  insert(resource: string, object: KubeStoredObject): KubeStoredObject {
    const key = storeKey(object.metadata.namespace, object.metadata.name);
    const bucket = this.bucket(resource);
    if (bucket.has(key)) throw new Error(`stand-in bug: ${resource} ${key} already stored`);
    const stored = canonicalOrder(deepCopy(object));
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key, deepFreeze(stored));
    this.sortedKeys.delete(resource);
    this.sortedObjects.delete(resource);
    this.record({ revision: this.revision, resource, key, after: stored, at: Date.now() });
    return deepCopy(stored);
  }

  /** Replaces a stored object (same key): stamps the next revision. Returns a copy of what was stored. */
  replace(resource: string, object: KubeStoredObject): KubeStoredObject {
    const key = storeKey(object.metadata.namespace, object.metadata.name);
    const bucket = this.bucket(resource);
    const before = bucket.get(key);
    if (!before) throw new Error(`stand-in bug: ${resource} ${key} not stored`);
    const stored = canonicalOrder(deepCopy(object));
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key, deepFreeze(stored));
    this.sortedObjects.delete(resource);
    this.record({ revision: this.revision, resource, key, before, after: stored, at: Date.now() });
    return deepCopy(stored);
  }

  /** Removes an object; the deletion takes a revision too (as in etcd), which the returned copy carries. */
  remove(resource: string, namespace: string | undefined, name: string): KubeStoredObject | undefined {
    const key = storeKey(namespace, name);
    const bucket = this.buckets.get(resource);
    const before = bucket?.get(key);
    if (!bucket || !before) return undefined;
    bucket.delete(key);
    this.sortedKeys.delete(resource);
    this.sortedObjects.delete(resource);
    this.revision++;
    this.record({ revision: this.revision, resource, key, before, at: Date.now() });
    const out = deepCopy(before);
    out.metadata.resourceVersion = String(this.revision);
    return out;
  }

  /**
   * The objects of `resource` as they were at `revision`, in key order (etcd range read at a
   * revision). Throws CompactedError when the history needed has been compacted away.
   */
  snapshot(resource: string, revision: number): readonly KubeStoredObject[] {
    this.compact();
    if (revision < this.compacted) throw new CompactedError(revision);
    // The usual case while paging: nothing of this resource changed since the first page, so the
    // state at `revision` is the current one (and its sorted keys are cached).
    let changedSince = false;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const change = this.history[i];
      if (!change || change.revision <= revision) break;
      if (change.resource === resource) {
        changedSince = true;
        break;
      }
    }
    if (!changedSince) return this.peekAll(resource);
    const state = new Map(this.buckets.get(resource) ?? []);
    for (let i = this.history.length - 1; i >= 0; i--) {
      const change = this.history[i];
      if (!change || change.revision <= revision) break;
      if (change.resource !== resource) continue;
      if (change.before) state.set(change.key, change.before);
      else state.delete(change.key);
    }
    return [...state.entries()].sort(byKey).map(([, obj]) => obj);
  }

  /** Changes after `revision` (for watches resuming from a resourceVersion). */
  changesSince(revision: number): StoreChange[] {
    this.compact();
    if (revision < this.compacted) throw new CompactedError(revision);
    return this.history.filter((c) => c.revision > revision);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: StoreChange): void {
    this.history.push(change);
    this.compact();
    for (const listener of [...this.listeners]) listener(change);
  }

  private compact(): void {
    const cutoff = Date.now() - this.compactionIntervalMs;
    let drop = 0;
    while (drop < this.history.length) {
      const change = this.history[drop];
      if (!change || (change.at >= cutoff && this.history.length - drop <= MAX_HISTORY)) break;
      this.compacted = change.revision;
      drop++;
    }
    if (drop > 0) this.history.splice(0, drop);
  }
}
