/**
 * The garbage collector of kube-controller-manager (pkg/controller/garbagecollector) and the
 * namespace controller (pkg/controller/namespace), run asynchronously, never inside the request
 * that deleted an owner: clients must not rely on synchronous collection.
 *
 * One sweep does what the GC's workers do for every item queued:
 *  - namespace controller: a terminating namespace has its content deleted, then goes,
 *  - `orphan` finalizer (propagationPolicy=Orphan): the owner reference is removed from every
 *    dependent, then the finalizer, and the owner goes,
 *  - `foregroundDeletion` finalizer (propagationPolicy=Foreground): dependents are deleted
 *    (in the foreground too); when none is left the finalizer is removed and the owner goes,
 *  - attemptToDeleteItem: an object whose owners are all absent (looked up by kind, namespace
 *    and name, and compared by uid) is deleted with background propagation; absent owners of an
 *    object that still has a live one are removed from its ownerReferences. An owner kind the
 *    stand-in does not serve cannot be resolved (a REST mapping error in the real GC): such an
 *    object is left alone.
 * A sweep that changed something schedules another one, so collection proceeds level by level
 * (the driver pod, then its executors' dependents, ...), each level a separate asynchronous step.
 * As in the real collector, a sweep looks only at what changed (objects written with owner
 * references, dependents of objects that went, owners being deleted, terminating namespaces), found
 * through a dependency graph kept from the store's change feed: its cost does not grow with the
 * number of objects stored.
 */
import { storeKey, type ObjectStore, type StoreChange } from './objectStore.js';
import { RESOURCE_TYPES, resourceTypeByKind, resourceTypeByPlural, type ResourceType } from './resourceTypes.js';
import type { KubeStoredObject, StoredOwnerReference } from './standInTypes.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface GcHost {
  readonly store: ObjectStore;
  /** DELETE as the collector sends it (honours finalizers; may leave the object terminating). */
  gcDelete(type: ResourceType, obj: KubeStoredObject, policy: PropagationPolicy): void;
  /** A write by a controller (PATCH of ownerReferences or finalizers); removes the object if it was terminating and has no finalizers left. */
  gcWrite(type: ResourceType, obj: KubeStoredObject): void;
  /** Removes the object from storage (its last finalizer is gone). */
  gcRemove(type: ResourceType, obj: KubeStoredObject): void;
}

type OwnerState = 'solid' | 'absent' | 'unresolvable';

/** Where an object is stored: its resource and store key (namespace/name). */
interface Slot {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string;
}

const typeOrder = new Map(RESOURCE_TYPES.map((type, i) => [type.plural, i]));
const slotId = (plural: string, namespace: string | undefined, name: string) => `${plural}\0${storeKey(namespace, name)}`;
/** Type order, then key order: the order a full pass over the store visits objects in. */
const bySlot = (a: Slot, b: Slot) => {
  const d = (typeOrder.get(a.type.plural) ?? 0) - (typeOrder.get(b.type.plural) ?? 0);
  if (d !== 0) return d;
  const ka = storeKey(a.namespace, a.name);
  const kb = storeKey(b.namespace, b.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * The collector's view of the store, kept up to date from its change feed as the real GC's graph
 * builder keeps its dependency graph from informers: dependents by owner uid, the objects to look at
 * again (attemptToDelete queue), owners being deleted with the orphan or foregroundDeletion
 * finalizer, and terminating namespaces. A sweep then costs what changed, not the whole store.
 */
class DependencyGraph {
  /** Owner uid → the objects whose ownerReferences name it. */
  readonly dependents = new Map<string, Map<string, Slot>>();
  /** Objects with owner references that were written, or whose owner went, since the last sweep. */
  dirty = new Map<string, Slot>();
  readonly deletingOwners = new Map<string, Slot>();
  readonly terminatingNamespaces = new Set<string>();

  observe(change: StoreChange): void {
    const type = resourceTypeByPlural(change.resource);
    if (!type) return;
    const { before, after } = change;
    const ref = before ?? after;
    if (!ref) return;
    const slot: Slot = { type, namespace: ref.metadata.namespace, name: ref.metadata.name };
    const id = slotId(type.plural, slot.namespace, slot.name);
    for (const owner of before?.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(owner.uid);
      set?.delete(id);
      if (set?.size === 0) this.dependents.delete(owner.uid);
    }
    this.deletingOwners.delete(id);
    if (type.plural === 'namespaces') this.terminatingNamespaces.delete(slot.name);
    if (after) {
      const refs = after.metadata.ownerReferences ?? [];
      for (const owner of refs) {
        let set = this.dependents.get(owner.uid);
        if (!set) this.dependents.set(owner.uid, (set = new Map()));
        set.set(id, slot);
      }
      if (refs.length > 0 && !after.metadata.deletionTimestamp) this.dirty.set(id, slot);
      if (after.metadata.deletionTimestamp) {
        const finalizers = after.metadata.finalizers ?? [];
        if (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion')) this.deletingOwners.set(id, slot);
        if (type.plural === 'namespaces') this.terminatingNamespaces.add(slot.name);
      }
    } else if (before) {
      // the owner went: every object naming it has to be looked at again
      for (const [depId, dep] of this.dependents.get(before.metadata.uid) ?? []) this.dirty.set(depId, dep);
    }
  }

  dependentsOf(uid: string): Slot[] {
    return [...(this.dependents.get(uid)?.values() ?? [])].sort(bySlot);
  }
}

export class GarbageCollector {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly graph = new DependencyGraph();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly host: GcHost,
    private readonly delayMs: number,
  ) {
    for (const type of RESOURCE_TYPES)
      for (const obj of host.store.peekAll(type.plural))
        this.graph.observe({ revision: 0, resource: type.plural, key: '', after: obj, at: 0 });
    this.unsubscribe = host.store.subscribe((change) => this.graph.observe(change));
  }

  /** Runs a sweep after the delay (one pending sweep at a time: work that arrives meanwhile joins it). */
  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      if (this.sweep()) this.schedule();
    }, this.delayMs);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get store(): ObjectStore {
    return this.host.store;
  }

  private current(slot: Slot): KubeStoredObject | undefined {
    return this.store.peek(slot.type.plural, slot.namespace, slot.name);
  }

  /** The object as currently stored (null when it went meanwhile, or was replaced by a namesake). */
  private fresh(type: ResourceType, obj: KubeStoredObject): KubeStoredObject | undefined {
    const current = this.store.peek(type.plural, obj.metadata.namespace, obj.metadata.name);
    return current && current.metadata.uid === obj.metadata.uid ? current : undefined;
  }

  private ownerState(dependent: KubeStoredObject, ref: StoredOwnerReference): OwnerState {
    const ownerType = resourceTypeByKind(ref.apiVersion, ref.kind);
    if (!ownerType) return 'unresolvable';
    // a namespaced owner can only be in the dependent's namespace; a cluster-scoped dependent cannot have one
    if (ownerType.namespaced && !dependent.metadata.namespace) return 'absent';
    const owner = this.store.peek(ownerType.plural, ownerType.namespaced ? dependent.metadata.namespace : undefined, ref.name);
    return owner && owner.metadata.uid === ref.uid ? 'solid' : 'absent';
  }

  /** The objects whose ownerReferences name `owner` (by uid), as stored now. */
  private dependentsOf(owner: KubeStoredObject): { type: ResourceType; obj: KubeStoredObject }[] {
    const out: { type: ResourceType; obj: KubeStoredObject }[] = [];
    for (const slot of this.graph.dependentsOf(owner.metadata.uid)) {
      const obj = this.current(slot);
      if (obj && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid)) out.push({ type: slot.type, obj });
    }
    return out;
  }

  private withoutOwner(obj: KubeStoredObject, uid: string): KubeStoredObject {
    const copy = structuredClone(obj);
    const refs = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (refs.length > 0) copy.metadata.ownerReferences = refs;
    else delete copy.metadata.ownerReferences;
    return copy;
  }

  private withoutFinalizer(obj: KubeStoredObject, finalizer: string): KubeStoredObject {
    const copy = structuredClone(obj);
    const finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (finalizers.length > 0) copy.metadata.finalizers = finalizers;
    else delete copy.metadata.finalizers;
    return copy;
  }

  /**
   * One pass over what changed since the last one; true when something changed. Objects queued by
   * this pass's own writes wait for the next pass, so collection proceeds level by level.
   */
  sweep(): boolean {
    let changed = false;
    const namespaceType = resourceTypeByPlural('namespaces');
    const dirty = [...this.graph.dirty.values()].sort(bySlot);
    this.graph.dirty = new Map();

    // namespace controller
    for (const name of [...this.graph.terminatingNamespaces].sort()) {
      const ns = this.store.peek('namespaces', undefined, name);
      if (!ns || !ns.metadata.deletionTimestamp || !namespaceType) continue;
      let remaining = 0;
      for (const type of RESOURCE_TYPES) {
        if (!type.namespaced) continue;
        for (const obj of this.store.peekAll(type.plural, ns.metadata.name)) {
          remaining++;
          if (!obj.metadata.deletionTimestamp) {
            this.host.gcDelete(type, obj, 'Background');
            changed = true;
          }
        }
      }
      if (remaining === 0) {
        this.host.gcRemove(namespaceType, ns);
        changed = true;
      }
    }

    // owners being deleted with the orphan or foregroundDeletion finalizer
    for (const slot of [...this.graph.deletingOwners.values()].sort(bySlot)) {
      const { type } = slot;
      const owner = this.current(slot);
      if (!owner || !owner.metadata.deletionTimestamp) continue;
      const finalizers = owner.metadata.finalizers ?? [];
      if (finalizers.includes('orphan')) {
        for (const dep of this.dependentsOf(owner)) {
          const current = this.fresh(dep.type, dep.obj);
          if (current) this.host.gcWrite(dep.type, this.withoutOwner(current, owner.metadata.uid));
        }
        const current = this.fresh(type, owner);
        if (current) this.host.gcWrite(type, this.withoutFinalizer(current, 'orphan'));
        changed = true;
      } else if (finalizers.includes('foregroundDeletion')) {
        const dependents = this.dependentsOf(owner);
        if (dependents.length === 0) {
          const current = this.fresh(type, owner);
          if (current) this.host.gcWrite(type, this.withoutFinalizer(current, 'foregroundDeletion'));
          changed = true;
          continue;
        }
        for (const dep of dependents) {
          const current = this.fresh(dep.type, dep.obj);
          if (!current || current.metadata.deletionTimestamp) continue;
          const otherOwners = (current.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
          if (otherOwners.some((r) => this.ownerState(current, r) === 'solid'))
            this.host.gcWrite(dep.type, this.withoutOwner(current, owner.metadata.uid));
          else this.host.gcDelete(dep.type, current, 'Foreground');
          changed = true;
        }
      }
    }

    // attemptToDeleteItem: dangling owner references
    for (const slot of dirty) {
      const { type } = slot;
      const current = this.current(slot);
      if (!current) continue;
      const refs = current.metadata.ownerReferences ?? [];
      if (refs.length === 0 || current.metadata.deletionTimestamp) continue;
      const states = refs.map((r) => this.ownerState(current, r));
      if (states.includes('unresolvable')) continue;
      if (states.every((s) => s === 'absent')) {
        const finalizers = current.metadata.finalizers ?? [];
        this.host.gcDelete(
          type,
          current,
          finalizers.includes('orphan') ? 'Orphan' : finalizers.includes('foregroundDeletion') ? 'Foreground' : 'Background',
        );
        changed = true;
      } else if (states.includes('absent')) {
        const copy = structuredClone(current);
        copy.metadata.ownerReferences = refs.filter((_, i) => states[i] !== 'absent');
        this.host.gcWrite(type, copy);
        changed = true;
      }
    }
    return changed;
  }
}
