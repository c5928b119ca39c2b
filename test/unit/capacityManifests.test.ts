import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { driverPriorityClass, driverQuota } from '../../src/domain/render/capacityObjects.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { resolved } from '../support/fixtures.js';

describe('capacity manifests in infra/', () => {
  it('the PriorityClass is the one the code uses', () => {
    expect(parseYaml(readFileSync('infra/kubernetes/base/driver-priorityclass.yaml', 'utf8'))).toEqual(
      driverPriorityClass('spark-dispatch-driver'),
    );
  });

  it('the driver quota is the one the code uses (cap 20 in spark-jobs)', () => {
    expect(parseYaml(readFileSync('infra/kubernetes/base/driver-quota.yaml', 'utf8'))).toEqual(
      driverQuota('spark-jobs', 'spark-dispatch-driver', 20),
    );
  });

  it("drivers fall under the quota's scope and executors do not", () => {
    const quota = driverQuota('spark-jobs', 'spark-dispatch-driver', 20);
    const { pod, configMap } = renderNative(resolved());
    expect(quota.spec.scopeSelector.matchExpressions[0]!.values).toContain(pod.spec.priorityClassName);
    expect(configMap.data['pod-spec-template.yml']).not.toContain('priorityClassName');
  });
});
