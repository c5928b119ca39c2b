/**
 * Rendering entry point: a resolved job → the Kubernetes objects to create, in creation order.
 */
import type { Backend } from '../spec/jobSpec.js';
import type { KubeList, KubeObject } from './kubeObjects.js';
import { renderNative } from './renderNative.js';
import { renderOperator } from './renderOperator.js';
import type { ResolvedJob } from '../spec/resolveJob.js';

export function renderObjects(job: ResolvedJob, backend: Backend = job.backend): KubeObject[] {
  if (backend === 'operator') return [renderOperator(job)];
  const { pod, configMap, service } = renderNative(job);
  // Spark's order: the pod first, so that its uid can own the ConfigMap and Service.
  return [pod, configMap, service];
}

export function renderList(job: ResolvedJob, backend: Backend = job.backend): KubeList {
  return { apiVersion: 'v1', kind: 'List', items: renderObjects(job, backend) };
}
