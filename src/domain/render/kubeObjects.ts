/**
 * The slice of the Kubernetes object model that spark-dispatch writes. Kept here, not imported
 * from @kubernetes/client-node, so the pure core (and the cold start of every function) does not
 * load the client.
 */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  /** Set once a deletion has begun (finalizers or a graceful period still running). */
  readonly deletionTimestamp?: string;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef: { readonly apiVersion: string; readonly fieldPath: string } };
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly drop: readonly string[] };
  readonly seccompProfile?: { readonly type: 'RuntimeDefault' };
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly imagePullPolicy?: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number; readonly protocol: 'TCP' }[];
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }[];
  readonly securityContext?: SecurityContext;
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: Readonly<Record<string, never>>;
  readonly configMap?: {
    readonly name: string;
    readonly items?: readonly { readonly key: string; readonly path: string; readonly mode?: number }[];
    readonly defaultMode?: number;
  };
}

export interface PodSpec {
  readonly restartPolicy?: 'Never' | 'OnFailure' | 'Always';
  readonly serviceAccountName?: string;
  readonly priorityClassName?: string;
  readonly activeDeadlineSeconds?: number;
  readonly enableServiceLinks?: boolean;
  readonly securityContext?: SecurityContext;
  readonly containers: readonly Container[];
  readonly volumes?: readonly Volume[];
}

export interface Pod extends KubeObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Pod';
  readonly spec: PodSpec;
}

export interface ConfigMap extends KubeObject {
  readonly apiVersion: 'v1';
  readonly kind: 'ConfigMap';
  readonly immutable?: boolean;
  readonly data: Readonly<Record<string, string>>;
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: 'TCP';
}

export interface Service extends KubeObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly spec: {
    readonly clusterIP: 'None';
    readonly ipFamilyPolicy?: 'SingleStack';
    readonly ipFamilies?: readonly ['IPv4'];
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePort[];
  };
}

// PriorityClass and ResourceQuota are type aliases, not interfaces, so that they are also plain
// JSON records (Record<string, unknown>) for the code that posts them as they are.

/** A scheduling.k8s.io/v1 PriorityClass (cluster-scoped). */
export type PriorityClass = {
  readonly apiVersion: 'scheduling.k8s.io/v1';
  readonly kind: 'PriorityClass';
  readonly metadata: ObjectMeta;
  readonly value: number;
  readonly globalDefault?: boolean;
  readonly preemptionPolicy?: 'Never' | 'PreemptLowerPriority';
  readonly description?: string;
};

/** A v1 ResourceQuota as spark-dispatch writes it: scoped to PriorityClasses. */
export type ResourceQuota = {
  readonly apiVersion: 'v1';
  readonly kind: 'ResourceQuota';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly hard: Readonly<Record<string, string>>;
    readonly scopeSelector: {
      readonly matchExpressions: readonly {
        readonly scopeName: 'PriorityClass';
        readonly operator: 'In';
        readonly values: readonly string[];
      }[];
    };
  };
};

export interface KubeList {
  readonly apiVersion: 'v1';
  readonly kind: 'List';
  readonly items: readonly KubeObject[];
}

/** A Kubernetes object as plain data, ready for YAML or JSON. */
export interface KubeObjectRecord {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}
