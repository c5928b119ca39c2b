/** Shared pieces of the benchmark: a stand-in with the driver PriorityClass and a connected cluster, jobs, timing helpers. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectCluster } from '../src/adapters/kubernetes/connectCluster.js';
import { postObject } from '../dev/kube-standin/postObject.js';
import { driverPriorityClass } from '../src/domain/render/capacityObjects.js';
import type { ResolvedJob } from '../src/domain/spec/resolveJob.js';
import { KubernetesSettingsSchema } from '../src/settings/settingsSchema.js';
import { startStandIn, type StandIn } from '../dev/kube-standin/index.js';
import type { ClusterPort } from '../src/usecases/clusterPort.js';
import { resolved } from '../test/support/fixtures.js';

export const NAMESPACE = 'spark-jobs';

/** The nearest folder at or above `from` that holds a package.json. */
export function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`bench: no package.json above ${from}`);
  }
}

const HERE = fileURLToPath(import.meta.url);

/**
 * Node's arguments to run another bench script in a fresh process: compiled (npm run bench runs
 * dist/bench/), the .js beside this file; as TypeScript (vitest, tsx), the .ts through tsx.
 */
export function siblingScript(name: string): string[] {
  const compiled = HERE.endsWith('.js');
  const file = join(dirname(HERE), `${name}.${compiled ? 'js' : 'ts'}`);
  return compiled ? [file] : ['--import', 'tsx', file];
}

export interface BenchCluster {
  readonly standIn: StandIn;
  readonly cluster: ClusterPort;
  readonly kubeconfigPath: string;
  close(): Promise<void>;
}

/** The same setup as test/support/standInCluster.ts: fresh stand-in, driver PriorityClass, the real client. */
export async function benchCluster(latencyMs = 0): Promise<BenchCluster> {
  const standIn = await startStandIn({ namespaces: [NAMESPACE], serviceAccounts: ['spark-driver'], seed: 1 });
  await postObject(standIn.url, '/apis/scheduling.k8s.io/v1/priorityclasses', driverPriorityClass('spark-dispatch-driver'));
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, standIn.kubeconfig());
  const cluster = await connectCluster(KubernetesSettingsSchema.parse({ requestTimeoutMs: 30_000 }), { kubeconfigPath });
  if (latencyMs > 0) standIn.setFaults([{ rate: 0, kinds: ['500'], latencyMs }]);
  standIn.resetStats();
  return {
    standIn,
    cluster,
    kubeconfigPath,
    close: async () => {
      await standIn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Backend = 'native' | 'operator';

export function benchJobs(count: number, backend: Backend, prefix = 'bench'): ResolvedJob[] {
  return Array.from({ length: count }, (_, i) => resolved({ jobKey: `${prefix}-${i}`, backend }));
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` in flight; returns each item's duration (ms) and the wall time. */
export async function runPool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<{ durations: number[]; wallMs: number }> {
  const durations = new Array<number>(count).fill(0);
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = performance.now();
      await work(i);
      durations[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { durations, wallMs: performance.now() - started };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const perMinute = (count: number, ms: number): number => Math.round((count / ms) * 60_000);

export function totalRequests(standIn: StandIn): number {
  return Object.values(standIn.stats().requests).reduce((a, b) => a + b, 0);
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
