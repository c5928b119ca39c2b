/**
 * The stand-in stores what the real kube-apiserver stores: the same launch on both, and the driver
 * Pod, its ConfigMap and Service read back from each, compared field by field (apart from what is
 * unique to each object: uid, resourceVersion, times, the Service's cluster IP).
 */
import { describe, expect, it } from 'vitest';
import { launchJob } from '../../src/usecases/launchJob.js';
import type { StoredObject } from '../../src/usecases/clusterPort.js';
import { resolved } from '../support/fixtures.js';
import { useContractServer } from '../support/contractServers.js';

const standIn = useContractServer({ name: 'stand-in' }, 'stored');
const real = useContractServer({ name: 'realkube' }, 'stored');

/**
 * Fields of 1.20 that newer servers (the stand-in's model) no longer write or that came later
 * (Service IP families 1.21, internalTrafficPolicy 1.22), and managedFields, which the stand-in
 * does not keep (nothing in spark-dispatch reads them; see docs/testing.md).
 */
const VERSION_ONLY = new Set([
  'managedFields',
  'seccomp.security.alpha.kubernetes.io/pod',
  'container.seccomp.security.alpha.kubernetes.io/spark-kubernetes-driver',
  'ipFamilies',
  'ipFamilyPolicy',
  'internalTrafficPolicy',
]);
const SERVICE_ACCOUNT_VOLUME = /^(kube-api-access-[a-z0-9]{5}|.+-token-[a-z0-9]{5})$/;

/**
 * Blanks what differs between any two objects, names the namespace NS, and makes the service
 * account's credentials one volume: 1.20 mounts the account's token Secret, 1.22+ (the stand-in)
 * the projected kube-api-access volume, at the same path.
 */
function comparable(object: StoredObject | undefined, namespace: string): unknown {
  const text = JSON.stringify(object).replaceAll(namespace, 'NS');
  return JSON.parse(text, (key, value: unknown) => {
    if (VERSION_ONLY.has(key)) return undefined;
    if (['uid', 'resourceVersion', 'creationTimestamp', 'clusterIP'].includes(key)) return typeof value;
    if (key === 'clusterIPs') return 'array';
    if (isRecord(value) && typeof value.name === 'string' && SERVICE_ACCOUNT_VOLUME.test(value.name)) {
      return typeof value.mountPath === 'string' ? { ...value, name: 'API-CREDENTIALS' } : { name: 'API-CREDENTIALS' };
    }
    return value;
  }) as unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

describe('what a launch stores, on both servers', () => {
  it('driver Pod, ConfigMap and Service: the same fields, the same defaults, lists in the same order', async () => {
    const seen: Record<string, unknown[]> = {};
    for (const server of [standIn, real]) {
      const namespace = await server.namespace();
      const job = resolved({ namespace, jobKey: 'same-everywhere' }, { namespaces: { [namespace]: {} } });
      expect((await launchJob(job, server.cluster)).kind).toBe('launched');
      const read = async (kind: string, name: string) =>
        comparable(await server.cluster.read({ apiVersion: 'v1', kind, namespace, name }), namespace);
      seen[server.name] = [
        await read('Pod', job.names.driverPod),
        await read('ConfigMap', job.names.configMap),
        await read('Service', job.names.service),
      ];
    }
    // Arrays in order (volumes, mounts, env, tolerations); the order of keys inside an object is not
    // compared: the stand-in orders only the top level and metadata as the server's Go structs do.
    expect(seen['stand-in']).toEqual(seen.realkube);
  });
});
