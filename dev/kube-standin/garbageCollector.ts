/**
 * The garbage collector of kube-controller-manager (pkg/controller/garbagecollector) and the
 * namespace controller (pkg/controller/namespace), run asynchronously, never inside the request
 * that deleted an owner: clients must not rely on synchronous collection.
 *
 * One sweep does what the GC's workers do for every item:
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
 */
import type { ObjectStore } from './objectStore.js';
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

export class GarbageCollector {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly host: GcHost,
    private readonly delayMs: number,
  ) {}

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
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get store(): ObjectStore {
    return this.host.store;
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

  private dependentsOf(owner: KubeStoredObject): { type: ResourceType; obj: KubeStoredObject }[] {
    const out: { type: ResourceType; obj: KubeStoredObject }[] = [];
    for (const type of RESOURCE_TYPES) {
      for (const obj of this.store.peekAll(type.plural)) {
        if ((obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid)) out.push({ type, obj });
      }
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

  /** One pass over everything; true when something changed. */
  sweep(): boolean {
    let changed = false;
    const namespaceType = resourceTypeByPlural('namespaces');

    // namespace controller
    for (const ns of this.store.peekAll('namespaces')) {
      if (!ns.metadata.deletionTimestamp || !namespaceType) continue;
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
    for (const type of RESOURCE_TYPES) {
      for (const owner of this.store.peekAll(type.plural)) {
        if (!owner.metadata.deletionTimestamp) continue;
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
            if (otherOwners.some((r) => this.ownerState(current, r) === 'solid')) this.host.gcWrite(dep.type, this.withoutOwner(current, owner.metadata.uid));
            else this.host.gcDelete(dep.type, current, 'Foreground');
            changed = true;
          }
        }
      }
    }

    // attemptToDeleteItem: dangling owner references
    for (const type of RESOURCE_TYPES) {
      for (const obj of this.store.peekAll(type.plural)) {
        const refs = obj.metadata.ownerReferences ?? [];
        if (refs.length === 0 || obj.metadata.deletionTimestamp) continue;
        const current = this.fresh(type, obj);
        if (!current) continue;
        const states = refs.map((r) => this.ownerState(current, r));
        if (states.includes('unresolvable')) continue;
        if (states.every((s) => s === 'absent')) {
          const finalizers = current.metadata.finalizers ?? [];
          this.host.gcDelete(type, current, finalizers.includes('orphan') ? 'Orphan' : finalizers.includes('foregroundDeletion') ? 'Foreground' : 'Background');
          changed = true;
        } else if (states.includes('absent')) {
          const copy = structuredClone(current);
          copy.metadata.ownerReferences = refs.filter((_, i) => states[i] !== 'absent');
          this.host.gcWrite(type, copy);
          changed = true;
        }
      }
    }
    return changed;
  }
}
