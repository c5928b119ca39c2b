/**
 * The Kubernetes objects that cap concurrent drivers, per namespace. The API server enforces the
 * cap atomically: a create that would exceed it is refused with 403 "exceeded quota", so any
 * number of dispatcher instances can launch at once without overshooting.
 */
import type { PriorityClass, ResourceQuota } from './kubeObjects.js';
import { PART_OF } from './naming.js';

/**
 * The driver PriorityClass. A modest value above the default 0 of executors, and
 * preemptionPolicy Never: drivers queue for room instead of evicting someone else's pods.
 */
export function driverPriorityClass(name: string): PriorityClass {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name, labels: { ...PART_OF } },
    value: 1000,
    globalDefault: false,
    preemptionPolicy: 'Never',
    description: 'Spark drivers launched by spark-dispatch; a ResourceQuota scoped to this class caps concurrent drivers.',
  };
}

export const DRIVER_QUOTA_NAME = 'spark-dispatch-drivers';

/**
 * At most `cap` driver pods, scoped to the driver PriorityClass (drivers carry it, executors do
 * not). It limits `pods`, not `count/pods`: Kubernetes' pod usage function counts every stored pod
 * under count/pods, finished ones included, but only live (not Succeeded/Failed) pods under
 * `pods`. The cap is about drivers holding resources, so a finished driver must free its slot at
 * once, not when the sweeper deletes it.
 */
export function driverQuota(namespace: string, priorityClassName: string, cap: number): ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: DRIVER_QUOTA_NAME, namespace, labels: { ...PART_OF } },
    spec: {
      hard: { pods: String(cap) },
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [priorityClassName] }] },
    },
  };
}
