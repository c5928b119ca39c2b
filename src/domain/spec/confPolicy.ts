/**
 * Which Spark conf a user may set. The dispatcher owns everything that decides where and as
 * whom the driver runs; and nothing secret may reach a spark conf, because spark.properties is a
 * ConfigMap that anyone who can read the namespace can read.
 */

import { namesACredential } from './secrets.js';

export { secretKind } from './secrets.js';

export interface DeniedKey {
  /** Key pattern: `*` matches any run of characters. */
  readonly pattern: string;
  readonly reason: string;
}

const OWNED = 'set by spark-dispatch';

/** Keys no job may set, with the reason shown to the user. */
export const BUILT_IN_DENIED_KEYS: readonly DeniedKey[] = [
  { pattern: 'spark.master', reason: `${OWNED}: the driver always runs in-cluster` },
  { pattern: 'spark.submit.deployMode', reason: `${OWNED}: always cluster` },
  { pattern: 'spark.driver.host', reason: `${OWNED}: the driver's headless Service` },
  { pattern: 'spark.driver.bindAddress', reason: 'Spark refuses it in Kubernetes; the image entrypoint binds the pod IP' },
  { pattern: 'spark.driver.port', reason: `${OWNED}: 7078, as on the driver Service` },
  { pattern: 'spark.driver.blockManager.port', reason: `${OWNED}: 7079, as on the driver Service` },
  { pattern: 'spark.blockManager.port', reason: `${OWNED}: 7079, which the namespace's NetworkPolicy opens` },
  { pattern: 'spark.app.name', reason: 'use the name field' },
  { pattern: 'spark.app.id', reason: `${OWNED}: derived from the job key` },
  { pattern: 'spark.submit.pyFiles', reason: 'use the pyFiles field' },
  { pattern: 'spark.kubernetes.namespace', reason: 'use the namespace field' },
  { pattern: 'spark.kubernetes.driver.master', reason: `${OWNED}` },
  { pattern: 'spark.kubernetes.driver.pod.name', reason: `${OWNED}: derived from the job key` },
  { pattern: 'spark.kubernetes.executor.podNamePrefix', reason: `${OWNED}: derived from the job key` },
  { pattern: 'spark.kubernetes.submitInDriver', reason: OWNED },
  { pattern: 'spark.kubernetes.resource.type', reason: `${OWNED}: python` },
  { pattern: 'spark.kubernetes.container.image*', reason: 'use sparkVersion: images come from the version catalog' },
  { pattern: 'spark.kubernetes.driver.container.image*', reason: 'use sparkVersion: images come from the version catalog' },
  { pattern: 'spark.kubernetes.executor.container.image*', reason: 'use sparkVersion: images come from the version catalog' },
  { pattern: 'spark.kubernetes.authenticate.*', reason: 'service accounts and credentials are set per namespace in settings' },
  { pattern: 'spark.kubernetes.driver.podTemplateFile', reason: `${OWNED}: pod security comes from the cluster profile` },
  { pattern: 'spark.kubernetes.executor.podTemplateFile', reason: `${OWNED}: pod security comes from the cluster profile` },
  { pattern: 'spark.kubernetes.*.podTemplateContainerName', reason: OWNED },
  { pattern: 'spark.kubernetes.driver.secrets.*', reason: 'mounting Secrets is not allowed: use workload identity' },
  { pattern: 'spark.kubernetes.executor.secrets.*', reason: 'mounting Secrets is not allowed: use workload identity' },
  { pattern: 'spark.kubernetes.driver.secretKeyRef.*', reason: 'reading Secrets is not allowed: use workload identity' },
  { pattern: 'spark.kubernetes.executor.secretKeyRef.*', reason: 'reading Secrets is not allowed: use workload identity' },
  { pattern: 'spark.kubernetes.*.volumes.hostPath.*', reason: 'hostPath volumes break restricted pod security' },
  { pattern: 'spark.kubernetes.driver.label.*', reason: 'use the labels field' },
  { pattern: 'spark.kubernetes.driver.annotation.*', reason: 'driver annotations are set by spark-dispatch' },
  { pattern: 'spark.kubernetes.executor.label.*', reason: 'use the labels field (it labels executors too)' },
  { pattern: 'spark.kubernetes.driver.scheduler.name', reason: 'the driver scheduler is part of the capacity policy' },
  { pattern: 'spark.kubernetes.driver.request.cores', reason: 'use driver.cores' },
  { pattern: 'spark.driver.cores', reason: 'use driver.cores' },
  { pattern: 'spark.driver.memory', reason: 'use driver.memory' },
  { pattern: 'spark.driver.memoryOverhead', reason: 'use driver.memoryOverhead' },
  { pattern: 'spark.executor.cores', reason: 'use executor.cores' },
  { pattern: 'spark.executor.memory', reason: 'use executor.memory' },
  { pattern: 'spark.executor.memoryOverhead', reason: 'use executor.memoryOverhead' },
  { pattern: 'spark.executor.instances', reason: 'use executor.instances' },
  { pattern: 'spark.pyspark.python', reason: 'Python comes from the image catalog: driver and executors must match' },
  { pattern: 'spark.pyspark.driver.python', reason: 'Python comes from the image catalog: driver and executors must match' },
  { pattern: 'spark.hadoop.fs.azure.account.*', reason: 'storage authentication is keyless and set by spark-dispatch (workload or managed identity)' },
  { pattern: 'spark.hadoop.fs.azure.sas.*', reason: 'SAS tokens in spark conf leak through the conf ConfigMap; use workload identity' },
  { pattern: 'spark.hadoop.fs.azure.sas.fixed.token*', reason: 'SAS tokens in spark conf leak through the conf ConfigMap; use workload identity' },
  { pattern: 'spark.hadoop.fs.s3a.*.key', reason: 'credentials in spark conf leak through the conf ConfigMap' },
  { pattern: 'spark.hadoop.fs.s3a.access.key', reason: 'credentials in spark conf leak through the conf ConfigMap' },
  { pattern: 'spark.hadoop.fs.s3a.secret.key', reason: 'credentials in spark conf leak through the conf ConfigMap' },
];

const escapeRegex = (s: string): string => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A key pattern (`*` matches anything) as a RegExp, compiled once per pattern: every conf key of
 * every launch is checked against ~50 built-in patterns and the installation's own.
 */
const compiled = new Map<string, RegExp>();
function patternRegex(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
    compiled.set(pattern, regex);
  }
  return regex;
}

export function matchesPattern(key: string, pattern: string): boolean {
  return patternRegex(pattern).test(key);
}

export function deniedKeyReason(key: string, extra: readonly string[] = []): string | undefined {
  const builtIn = BUILT_IN_DENIED_KEYS.find((d) => matchesPattern(key, d.pattern));
  if (builtIn) return builtIn.reason;
  if (extra.some((p) => matchesPattern(key, p))) return 'denied by this installation (settings.confPolicy.deniedKeys)';
  if (namesACredential(key)) return 'the key names a credential; secrets must not be in spark conf (it is stored in a ConfigMap)';
  return undefined;
}
