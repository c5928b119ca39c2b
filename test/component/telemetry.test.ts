/**
 * Traces and metrics as a telemetry backend (Application Insights in Azure) receives them, through
 * the OpenTelemetry SDK's in-memory exporters, while real launches, ledger steps and sweeps run.
 */
import { metrics, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../src/usecases/jobLedger.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { SILENT } from '../../src/shared/logger.js';
import { NO_EVENTS } from '../../src/usecases/queuePort.js';
import { sweep } from '../../src/usecases/sweep.js';
import { resolved, settingsWith } from '../support/fixtures.js';
import { memoryLedger } from '../support/memoryPorts.js';
import { standInCluster, type StandInCluster } from '../support/standInCluster.js';

const spans = new InMemorySpanExporter();
const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 3_600_000,
});
let kube: StandInCluster;

async function points(name: string) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return metric?.dataPoints ?? [];
}

/** The ledger port in memory: this test is about what reaches telemetry, not about storage. */

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  kube = await standInCluster();
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  await kube?.close();
});

describe('telemetry', () => {
  it('a launch is a span carrying the job key, namespace, driver pod and outcome, and a latency data point', async () => {
    const job = resolved({ jobKey: 'otel-1' });
    await launchJob(job, kube.cluster);
    const span = spans.getFinishedSpans().find((s) => s.name === 'spark-dispatch launch');
    expect(span?.attributes).toMatchObject({
      'spark_dispatch.job_key': 'default/otel-1',
      'k8s.namespace.name': 'spark-jobs',
      'k8s.pod.name': job.names.driverPod,
      'spark_dispatch.outcome': 'launched',
    });
    const latency = await points('spark_dispatch.launch.duration');
    expect(latency[0]?.attributes).toEqual({ outcome: 'launched', backend: 'native' });
    expect((latency[0]?.value as { count: number }).count).toBeGreaterThanOrEqual(1);
  });

  it('every ledger step counts by state and namespace', async () => {
    const deps = { ledger: memoryLedger(), events: NO_EVENTS, now: () => new Date(), settings: settingsWith() };
    await record(deps, 'otel-2', { state: 'received' });
    await record(deps, 'otel-2', { state: 'deferred', namespace: 'spark-jobs' });
    await record(deps, 'otel-3', { state: 'rejected', reasons: ['x'] });
    const jobs = await points('spark_dispatch.jobs');
    const value = (attrs: Record<string, string>) => jobs.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attrs))?.value;
    expect(value({ state: 'received' })).toBe(1);
    expect(value({ state: 'deferred', namespace: 'spark-jobs' })).toBe(1);
    expect(value({ state: 'rejected' })).toBe(1);
  });

  it('sweeps count what they clear, by reason', async () => {
    const job = resolved({ jobKey: 'otel-stalled' });
    await launchJob(job, kube.cluster);
    kube.standIn.setPodStatus('spark-jobs', job.names.driverPod, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: '2020-01-01T00:00:00Z' }],
    });
    await sweep({ settings: settingsWith(), cluster: kube.cluster, events: NO_EVENTS, now: () => new Date(), log: SILENT });
    const cleared = await points('spark_dispatch.sweep.cleared');
    expect(cleared.find((p) => p.attributes.reason === 'unschedulable')).toMatchObject({
      attributes: { reason: 'unschedulable', namespace: 'spark-jobs' },
      value: 1,
    });
  });

  it('in observe mode, sweeps count what they would have cleared, once per driver and reason', async () => {
    const job = resolved({ jobKey: 'otel-observed' });
    await launchJob(job, kube.cluster);
    kube.standIn.setPodStatus('spark-jobs', job.names.driverPod, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'spark-kubernetes-driver', state: { waiting: { reason: 'ImagePullBackOff' } } }],
    });
    const settings = settingsWith({ sweeper: { mode: 'observe' } });
    const ledger = memoryLedger();
    for (let run = 0; run < 3; run++)
      await sweep({ settings, cluster: kube.cluster, ledger, events: NO_EVENTS, now: () => new Date(), log: SILENT });
    const observed = await points('spark_dispatch.sweep.would_clear');
    expect(observed.find((p) => p.attributes.reason === 'image-pull-failed')).toMatchObject({
      attributes: { reason: 'image-pull-failed', namespace: 'spark-jobs' },
      value: 1,
    });
    expect(kube.standIn.objects('pods', 'spark-jobs').some((p) => p.metadata.name === job.names.driverPod)).toBe(true);
  });
});
