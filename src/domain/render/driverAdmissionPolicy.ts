/**
 * What a driver may write in its namespace, beyond what RBAC can say. The driver runs the tenant's
 * Python with its service account, and RBAC cannot tell an executor pod from any other pod: with
 * `create pods` alone a driver could start a pod that mounts any Secret of the namespace, runs another
 * image or service account, or takes a name the dispatcher will use. This ValidatingAdmissionPolicy
 * (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30, OpenShift 4.17) lets the driver service
 * account create only executor pods the way Spark builds them, their ConfigMap and on-demand PVCs,
 * change only its own executor pods, and delete only what its own pod owns.
 *
 * One policy for the cluster (`clusterBundle`) and one binding per team namespace (`namespaceBundle`).
 * The binding's parameter is the namespace's driver ServiceAccount itself, so the policy learns the
 * driver's name without a ConfigMap that someone with `configmaps` rights could replace, and the
 * policy holds what is the same everywhere: the rules and the catalog's images (changing the catalog
 * means re-applying the policy).
 *
 * CEL cannot look up the driver pod, so it cannot compare an executor's spark-app-selector with the
 * driver's. What it can see is who asks: a pod's service account token is bound to the pod, and the
 * API server puts the pod's name and uid in the request's user info. The policy therefore requires
 * that the request comes from a pod named `…-driver` and that every object it writes names that very
 * pod (name and uid) as its owner, as Spark does; the app selector is checked for its form only.
 */
import type { KubeObjectRecord } from './kubeObjects.js';
import { LABELS, MANAGER, PART_OF } from './naming.js';

export const DRIVER_POLICY_NAME = 'spark-dispatch-driver';
export const driverPolicyBindingName = (namespace: string): string => `${DRIVER_POLICY_NAME}.${namespace}`;

const ADMISSION_API = 'admissionregistration.k8s.io/v1';
/** What the service account authenticator adds to the user info of a pod-bound token (k8s.io/apiserver pkg/serviceaccount). */
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';

/** Spark's application id: `spark-` + 32 hex (KubernetesConf.getKubernetesAppId; spark-dispatch's job key hash). */
export const APP_SELECTOR_PATTERN = '^spark-[0-9a-f]{32}$';
/** `<spark.kubernetes.executor.podNamePrefix>-exec-<executor id>` (BasicExecutorFeatureStep.configurePod). */
export const EXECUTOR_POD_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?-exec-[0-9]+$';
/** `spark-exec-<KubernetesUtils.uniqueID: hex>-conf-map` (KubernetesClientUtils.configMapNameExecutor). */
export const EXECUTOR_CONFIGMAP_NAME_PATTERN = '^spark-exec-[0-9a-f]+-conf-map$';

export interface Validation {
  readonly expression: string;
  readonly message: string;
  readonly reason: 'Forbidden';
}

/** A single-quoted CEL string literal. */
const cel = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const labelIs = (key: string, test: string) => `${cel(key)} in variables.labels && variables.labels[${cel(key)}]${test}`;
const forbid = (expression: string, message: string): Validation => ({ expression, message, reason: 'Forbidden' });

const VARIABLES = [
  // Empty unless the token is bound to a pod (the driver's own token always is: it has no Secrets to read a legacy one from, and no serviceaccounts/token).
  { name: 'requesterPod', expression: extra(POD_NAME_EXTRA) },
  { name: 'requesterUid', expression: extra(POD_UID_EXTRA) },
  { name: 'write', expression: "request.operation != 'DELETE'" },
  // On DELETE (deletecollection too: the API server admits each deleted object) only oldObject is set.
  { name: 'subject', expression: 'variables.write ? object : oldObject' },
  {
    name: 'ownedByRequester',
    expression:
      'has(variables.subject.metadata.ownerReferences) && variables.subject.metadata.ownerReferences.exists(r, ' +
      "r.apiVersion == 'v1' && r.kind == 'Pod' && r.name == variables.requesterPod && r.uid == variables.requesterUid)",
  },
  { name: 'podWrite', expression: "variables.write && request.resource.resource == 'pods'" },
  { name: 'labels', expression: 'variables.write && has(object.metadata.labels) ? object.metadata.labels : {}' },
  {
    name: 'containers',
    expression: 'variables.podWrite ? (has(object.spec.initContainers) ? object.spec.initContainers : []) + object.spec.containers : []',
  },
  { name: 'volumes', expression: 'variables.podWrite && has(object.spec.volumes) ? object.spec.volumes : []' },
  // Each container's env list (a list of lists).
  { name: 'envLists', expression: 'variables.containers.map(c, has(c.env) ? c.env : [])' },
] as const;

function extra(key: string): string {
  const value = `request.userInfo.extra[${cel(key)}]`;
  return `has(request.userInfo.extra) && ${cel(key)} in request.userInfo.extra && size(${value}) == 1 ? ${value}[0] : ''`;
}

export function driverPolicyValidations(images: readonly string[]): Validation[] {
  if (images.length === 0) throw new Error('the driver admission policy needs the catalog images: none given');
  const pods = (test: string) => `!variables.podWrite || (${test})`;
  const writes = (resource: string, test: string) => `!variables.write || request.resource.resource != ${cel(resource)} || (${test})`;
  return [
    forbid(
      "variables.requesterPod.endsWith('-driver') && variables.requesterUid != ''",
      'only a Spark driver pod may write here, with its own pod-bound token: this request does not come from a pod named <prefix>-driver',
    ),
    forbid(
      "request.resource.resource == 'pods' || (request.resource.resource in ['configmaps', 'persistentvolumeclaims'] && request.operation != 'UPDATE') || (request.resource.resource == 'services' && request.operation == 'DELETE')",
      'a driver creates only executor pods, their ConfigMap and on-demand PersistentVolumeClaims, changes only executor pods, and deletes Services only (Spark does on stop)',
    ),
    forbid(
      'variables.ownedByRequester',
      "the object must name the requesting driver pod as its owner (ownerReference kind Pod with the driver's name and uid, as Spark sets it): a driver writes and deletes only what it owns",
    ),
    forbid(
      pods(`object.metadata.name.matches(${cel(EXECUTOR_POD_NAME_PATTERN)})`),
      'an executor pod is named <prefix>-exec-<id>, as Spark names executors',
    ),
    forbid(pods(labelIs(LABELS.role, " == 'executor'")), 'an executor pod carries the label spark-role=executor'),
    forbid(
      pods(labelIs(LABELS.appSelector, `.matches(${cel(APP_SELECTOR_PATTERN)})`)),
      'an executor pod carries the label spark-app-selector=spark-<32 hex>, the application id',
    ),
    forbid(pods(labelIs(LABELS.managedBy, ` == ${cel(MANAGER)}`)), `an executor pod carries the label ${LABELS.managedBy}=${MANAGER}`),
    forbid(
      pods('has(object.spec.serviceAccountName) && object.spec.serviceAccountName == params.metadata.name'),
      "an executor pod runs as the driver's service account (spec.serviceAccountName)",
    ),
    forbid(
      `variables.containers.all(c, has(c.image) && c.image in [${images.map(cel).join(', ')}])`,
      "every container and init container runs one of the version catalog's images",
    ),
    forbid('variables.volumes.all(v, !has(v.secret))', 'no Secret volumes'),
    forbid(
      'variables.volumes.all(v, !has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, !has(s.secret)))',
      'no projected volumes with a Secret source',
    ),
    forbid('variables.volumes.all(v, !has(v.hostPath))', 'no hostPath volumes'),
    forbid(
      'variables.volumes.all(v, has(v.emptyDir) || has(v.configMap) || has(v.projected) || has(v.downwardAPI) || has(v.persistentVolumeClaim))',
      'volumes are emptyDir, configMap, projected, downwardAPI or persistentVolumeClaim only',
    ),
    forbid(
      'variables.envLists.all(envs, envs.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef)))',
      'no environment variable from a Secret (valueFrom.secretKeyRef)',
    ),
    forbid('variables.containers.all(c, !has(c.envFrom) || c.envFrom.all(f, !has(f.secretRef)))', 'no envFrom from a Secret (secretRef)'),
    forbid(
      pods(
        '!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)',
      ),
      'no hostNetwork, hostPID or hostIPC',
    ),
    forbid(
      'variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)',
      'no privileged containers',
    ),
    forbid(
      writes('configmaps', `object.metadata.name.matches(${cel(EXECUTOR_CONFIGMAP_NAME_PATTERN)})`),
      "a driver's ConfigMap is its executors' spark-exec-<hex>-conf-map",
    ),
    forbid(
      writes(
        'configmaps',
        `${labelIs(LABELS.role, " == 'executor'")} && ${labelIs(LABELS.appSelector, `.matches(${cel(APP_SELECTOR_PATTERN)})`)}`,
      ),
      "the executors' ConfigMap carries the labels spark-role=executor and spark-app-selector=spark-<32 hex>",
    ),
    forbid(
      writes('persistentvolumeclaims', '!has(object.spec.dataSource) && !has(object.spec.dataSourceRef) && !has(object.spec.volumeName)'),
      'an on-demand PersistentVolumeClaim starts empty: no dataSource, dataSourceRef or volumeName',
    ),
  ];
}

/** The cluster-wide policy: the rules, and the images of the version catalog (settings.images). */
export function driverAdmissionPolicy(images: readonly string[]): KubeObjectRecord {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: DRIVER_POLICY_NAME, labels: { ...PART_OF } },
    spec: {
      failurePolicy: 'Fail',
      // The parameter is the driver ServiceAccount named by each namespace's binding.
      paramKind: { apiVersion: 'v1', kind: 'ServiceAccount' },
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: ['pods', 'configmaps', 'services', 'persistentvolumeclaims'],
          },
        ],
      },
      matchConditions: [
        {
          name: 'driver-service-account',
          expression: "request.userInfo.username == 'system:serviceaccount:' + params.metadata.namespace + ':' + params.metadata.name",
        },
      ],
      variables: VARIABLES.map((v) => ({ ...v })),
      validations: driverPolicyValidations([...new Set(images)].sort()),
    },
  };
}

/**
 * Binds the policy in one team namespace, with its driver ServiceAccount as the parameter. A missing
 * ServiceAccount leaves nothing to check (no token of a deleted service account authenticates), so
 * parameterNotFoundAction is Allow: Deny would refuse every write of these kinds in the namespace,
 * including the namespace controller's when the namespace is deleted.
 */
export function driverAdmissionPolicyBinding(namespace: string, driverServiceAccount: string): KubeObjectRecord {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: driverPolicyBindingName(namespace), labels: { ...PART_OF } },
    spec: {
      policyName: DRIVER_POLICY_NAME,
      paramRef: { name: driverServiceAccount, namespace, parameterNotFoundAction: 'Allow' },
      matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
      validationActions: ['Deny'],
    },
  };
}
