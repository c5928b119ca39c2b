/**
 * What the use cases need from a Kubernetes cluster. The adapter (adapters/kubernetes) implements
 * it with @kubernetes/client-node; every failure it raises is a DispatchError.
 */
import type { KubeObject, ObjectMeta } from '../domain/render/kubeObjects.js';

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface StoredObject extends KubeObject {
  readonly metadata: ObjectMeta & { readonly uid: string; readonly resourceVersion?: string };
  readonly [field: string]: unknown;
}

/**
 * What a create answers: the object's kind and the metadata the server stored (uid,
 * resourceVersion, creationTimestamp, and any defaults it wrote there). The rest of the stored
 * object, defaulted by the server, is not sent back: read it when it is needed.
 */
export interface CreatedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: StoredObject['metadata'];
}

export interface ListQuery {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continueToken?: string;
}

export interface ListPage {
  readonly items: readonly StoredObject[];
  readonly continueToken?: string | undefined;
}

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

export interface ClusterPort {
  /** Creates the object; `dryRun` runs every server-side check and stores nothing. */
  create(object: KubeObject, options?: { readonly dryRun?: boolean }): Promise<CreatedObject>;
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<StoredObject | undefined>;
  /**
   * Deletes; false when it was already gone. With `uid`, only that object: false too when the name
   * now holds another one (the server's 409 on the precondition), which is then left alone.
   */
  remove(ref: ObjectRef, options?: { readonly uid?: string; readonly propagation?: Propagation }): Promise<boolean>;
  list(query: ListQuery): Promise<ListPage>;
  /**
   * The tail of a pod's log (pods/log), or undefined when the pod is gone. With `timestamps`, the
   * kubelet starts each line with the RFC 3339 time it received it, and a space.
   */
  readLog(
    ref: ObjectRef,
    options: { readonly tailLines: number; readonly limitBytes: number; readonly container?: string; readonly timestamps?: boolean },
  ): Promise<string | undefined>;
}

export const refOf = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  namespace: object.metadata.namespace ?? '',
  name: object.metadata.name,
});

export const describeRef = (ref: ObjectRef): string => `${ref.kind.toLowerCase()}/${ref.name} in ${ref.namespace}`;
