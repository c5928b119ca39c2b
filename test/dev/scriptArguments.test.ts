import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { startPodLifecycle, type InjectedFailure } from '../../dev/kube-standin/index.js';
import type { KubeStoredObject } from '../../dev/kube-standin/standInTypes.js';
import { launchJob } from '../../src/usecases/launchJob.js';
import { declaredArguments, driverCommand, driverFate, type ScriptRead } from '../../dev/kube-standin/scriptArguments.js';
import { standInCluster } from '../support/standInCluster.js';
import { eventually } from '../support/eventually.js';
import { resolved } from '../support/fixtures.js';

const WORDCOUNT = readFileSync('examples/wordcount/main.py', 'utf8');
const MAIN = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/wordcount/main.py';

describe('what the simulated driver knows of a script', () => {
  it.each([
    ['# spark-dispatch-example: args=2', { min: 2, max: 2 }],
    ['#spark-dispatch-example: args=1-3', { min: 1, max: 3 }],
    ['# spark-dispatch-example: args=1+', { min: 1, max: Infinity }],
    ['# spark-dispatch-example: args=0', { min: 0, max: 0 }],
  ])('%s', (header, expected) => expect(declaredArguments(`${header}\nprint("hi")\n`)).toEqual({ ...expected, usage: undefined }));

  it.each(['print(1)', '# spark-dispatch-example: args=two', '# spark-dispatch-example: args=3-1', '# spark-dispatch-example: nothing'])(
    'no judgement without a readable header: %s',
    (text) => expect(declaredArguments(text)).toBeUndefined(),
  );

  it("reads the word count's header and its own usage line", () =>
    expect(declaredArguments(WORDCOUNT)).toEqual({ min: 2, max: 2, usage: 'usage: main.py INPUT_PATH OUTPUT_PATH' }));

  it('a wrong number of arguments exits 2 with the usage line; the right number runs', () => {
    const found: ScriptRead = { kind: 'found', text: WORDCOUNT };
    expect(driverFate(found, MAIN, [])).toEqual({
      kind: 'exits',
      exitCode: 2,
      lines: ['usage: main.py INPUT_PATH OUTPUT_PATH'],
      why: 'main.py takes 2 arguments, got 0',
    });
    expect(driverFate(found, MAIN, ['a', 'b', 'c'])).toMatchObject({ kind: 'exits', exitCode: 2 });
    expect(driverFate(found, MAIN, ['a', 'b'])).toEqual({ kind: 'runs' });
    expect(driverFate({ kind: 'found', text: '# spark-dispatch-example: args=1+\n' }, MAIN, [])).toMatchObject({
      lines: ['usage: main.py (at least 1 arguments)'],
    });
  });

  it('a main script that is not there fails as spark-submit does (exit 1); one it cannot read runs', () => {
    const missing = driverFate({ kind: 'missing', url: 'https://a.dfs.core.windows.net/jobs/x/main.py' }, MAIN, []);
    expect(missing).toMatchObject({ kind: 'exits', exitCode: 1 });
    expect(missing.kind === 'exits' && missing.lines[0]).toMatch(
      /^Exception in thread "main" java\.io\.FileNotFoundException: Operation failed: "The specified path does not exist\.", 404, HEAD, https:\/\/a\.dfs/,
    );
    expect(driverFate({ kind: 'unknown' }, MAIN, [])).toEqual({ kind: 'runs' });
  });

  it('finds the main script and its arguments in the driver container args', () => {
    const pod = renderNative(resolved({ main: MAIN, args: ['in', 'out'] })).pod;
    expect(driverCommand(pod.spec.containers[0]!.args ?? [])).toEqual({ main: MAIN, args: ['in', 'out'] });
    expect(driverCommand(['executor'])).toBeUndefined();
  });
});

describe('the pod lifecycle with scripts', () => {
  async function run(spec: Record<string, unknown>, read: ScriptRead, failures: Record<string, InjectedFailure> = {}) {
    const kube = await standInCluster();
    const lifecycle = startPodLifecycle(kube.standIn, {
      pendingMs: 0,
      runningMs: 300,
      tickMs: 20,
      executors: 1,
      failures,
      scripts: async () => read,
    });
    const job = resolved(spec);
    expect((await launchJob(job, kube.cluster)).kind).toBe('launched');
    const pod = { metadata: { name: job.names.driverPod } };
    const driver = () => kube.standIn.objects('pods', 'spark-jobs').find((p) => p.metadata.name === pod.metadata.name)!;
    const executors = () => kube.standIn.objects('pods', 'spark-jobs', { labelSelector: 'spark-role=executor' }).length;
    const log = async () => (await fetch(`${kube.standIn.url}/api/v1/namespaces/spark-jobs/pods/${pod.metadata.name}/log`)).text();
    return { kube, lifecycle, driver, executors, log, close: async () => (lifecycle.stop(), await kube.close()) };
  }
  const terminated = (p: KubeStoredObject) =>
    (p.status as { containerStatuses?: { state: { terminated?: { exitCode: number } } }[] }).containerStatuses?.[0]?.state.terminated;
  const phase = (p: KubeStoredObject) => (p.status as { phase?: string } | undefined)?.phase;

  it('no arguments for a script that takes two: Failed, exit 2, its usage line in the log, no executors', async () => {
    const r = await run({ main: MAIN, args: [] }, { kind: 'found', text: WORDCOUNT });
    try {
      await eventually(() => expect(phase(r.driver())).toBe('Failed'), 5_000);
      expect(terminated(r.driver())?.exitCode).toBe(2);
      expect(await r.log()).toMatch(
        /^usage: main\.py INPUT_PATH OUTPUT_PATH\n\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d INFO ShutdownHookManager: Shutdown hook called\n$/,
      );
      expect(r.executors()).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('the right arguments: runs with executors and succeeds', async () => {
    const r = await run({ main: MAIN, args: ['in', 'out'] }, { kind: 'found', text: WORDCOUNT });
    try {
      await eventually(() => expect(phase(r.driver())).toBe('Succeeded'), 5_000);
      expect(terminated(r.driver())?.exitCode).toBe(0);
      expect(await r.log()).toContain('INFO SparkContext: Running Spark version');
    } finally {
      await r.close();
    }
  });

  it('a hung driver (no-executors) stays Running without executors and logs nothing more', async () => {
    const r = await run({ name: 'hangs', main: MAIN, args: ['in', 'out'] }, { kind: 'found', text: WORDCOUNT }, { hangs: 'no-executors' });
    try {
      await eventually(() => expect(phase(r.driver())).toBe('Running'), 5_000);
      const log = await r.log();
      await new Promise((done) => setTimeout(done, 800)); // more than runningMs
      expect(phase(r.driver())).toBe('Running');
      expect(r.executors()).toBe(0);
      expect(await r.log()).toBe(log);
    } finally {
      await r.close();
    }
  });
});
