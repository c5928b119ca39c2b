/**
 * The QoS class the apiserver stores in status.qosClass on create
 * (pkg/apis/core/helper/qos.GetPodQOS, computed in pkg/registry/core/pod/strategy.go PrepareForCreate).
 */
import { arrayAt, isRecord, recordAt } from './jsonValues.js';
import { parseQuantity } from './quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const SUPPORTED = ['cpu', 'memory'] as const;

export function podQosClass(spec: unknown): QosClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let isGuaranteed = true;
  const containers = [...(arrayAt(spec, 'containers') ?? []), ...(arrayAt(spec, 'initContainers') ?? [])].filter(isRecord);
  for (const container of containers) {
    const containerRequests = recordAt(container, 'resources', 'requests') ?? {};
    const containerLimits = recordAt(container, 'resources', 'limits') ?? {};
    for (const name of SUPPORTED) {
      const q = parseQuantity(containerRequests[name]);
      if (q !== undefined && q !== 0) requests.set(name, (requests.get(name) ?? 0) + q);
    }
    const limitsFound = new Set<string>();
    for (const name of SUPPORTED) {
      const q = parseQuantity(containerLimits[name]);
      if (q !== undefined && q !== 0) {
        limitsFound.add(name);
        limits.set(name, (limits.get(name) ?? 0) + q);
      }
    }
    if (!SUPPORTED.every((name) => limitsFound.has(name))) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || Math.abs(limit - request) > 1e-9 * Math.max(1, limit)) {
        isGuaranteed = false;
        break;
      }
    }
  }
  return isGuaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
