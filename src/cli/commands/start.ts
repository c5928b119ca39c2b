import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LABELS } from '../../domain/render/naming.js';
import type { LedgerRecord } from '../../domain/intake/ledgerRecord.js';
import type { LocalStack, SeedFile } from '../../../dev/local-stack/localStack.js';
import type { InjectedFailure } from '../../../dev/kube-standin/index.js';
import { integerOption, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { CONFIG_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { cliAzure } from '../cliAzure.js';
import { stopSignal } from '../stopSignal.js';

/** The local stack and its live view, from dev/: imported on `start`, never by other commands. */
async function loadLocalStack() {
  const [{ startLocalStack }, { jobTable }, { enterAlternateScreen, frame }] = await Promise.all([
    import('../../../dev/local-stack/localStack.js'),
    import('../../../dev/local-stack/jobTable.js'),
    import('../../../dev/local-stack/liveView.js'),
  ]);
  return { startLocalStack, jobTable, enterAlternateScreen, frame };
}
type LocalStackModules = Awaited<ReturnType<typeof loadLocalStack>>;

/** Jobs with these names fail on purpose in the stand-in, so the sweeper has something to clear. */
export const DEMO_FAILURES: Readonly<Record<string, InjectedFailure>> = {
  'broken-image': 'image-pull',
  'too-big': 'unschedulable',
  hangs: 'no-executors',
  'oom-demo': 'oom',
};

const FAILURE_KINDS: readonly InjectedFailure[] = ['image-pull', 'unschedulable', 'no-executors', 'oom'];
const DAY_MS = 86_400_000;

/** The local settings shipped with the repo: watched folders, a template, short sweeper thresholds. */
export const LOCAL_SETTINGS = fileURLToPath(new URL('../../../../examples/settings/local.yaml', import.meta.url));

/**
 * The example scripts and where the example specs (spec.yaml, spec.json, stalled/*.yaml) and the
 * local settings' template name them: the local stack writes them there at start, as a real
 * installation keeps its scripts in the lake, so their simulated drivers find their main script.
 */
export const EXAMPLE_SCRIPTS: readonly {
  readonly file: string;
  readonly account: string;
  readonly filesystem: string;
  readonly path: string;
}[] = [
  { file: 'wordcount/main.py', account: 'sparkdispatchdemo', filesystem: 'jobs', path: 'wordcount/main.py' },
  { file: 'daily-sales/main.py', account: 'sparkdispatchdemo', filesystem: 'jobs', path: 'daily-sales/main.py' },
];
const EXAMPLES_DIR = fileURLToPath(new URL('../../../../examples/', import.meta.url));

function exampleSeeds(): SeedFile[] {
  return EXAMPLE_SCRIPTS.flatMap(({ file, ...at }) => {
    try {
      return [{ ...at, text: readFileSync(join(EXAMPLES_DIR, file), 'utf8') }];
    } catch {
      return []; // an installed CLI without the examples folder
    }
  });
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run the whole dispatcher on this machine: storage, broker, cluster stand-in, functions, sweeper',
  usage: '[--kubeconfig PATH] [--pending-ms N] [--running-ms N] [--fail NAME=KIND]… [--sweep-every S] [--plain]',
  description:
    'Starts Azurite, the Service Bus-compatible broker and the Kubernetes stand-in (drivers go Pending → Running →\n' +
    'Succeeded), and runs the same handlers as the Azure Functions: uploads to the watched containers start jobs,\n' +
    'job messages on the queue start jobs, the sweeper clears stalled drivers. Settings: --config, else\n' +
    'examples/settings/local.yaml. A connection string or endpoint in settings uses that real service instead;\n' +
    '--kubeconfig uses a real cluster. While it runs, the other commands (upload, publish, submit, status, logs,\n' +
    `sweep) use it automatically. Jobs named ${Object.entries(DEMO_FAILURES)
      .map(([n, k]) => `${n} (${k})`)
      .join(', ')} fail on purpose.\n` +
    'Logs go to .spark-dispatch/local.log. Ctrl-C stops everything.',
  options: {
    ...CONFIG_OPTION,
    kubeconfig: { type: 'string', description: 'use the cluster of this kubeconfig instead of the stand-in', valueName: 'PATH' },
    'pending-ms': { type: 'string', description: 'how long simulated drivers stay Pending (default 2000)', valueName: 'N' },
    'running-ms': { type: 'string', description: 'how long simulated drivers run before they succeed (default 10000)', valueName: 'N' },
    fail: {
      type: 'string',
      multiple: true,
      description: `make jobs of this name fail: NAME=${FAILURE_KINDS.join('|')}`,
      valueName: 'NAME=KIND',
    },
    'sweep-every': { type: 'string', description: 'seconds between sweeps (default 5)', valueName: 'S' },
    plain: {
      type: 'boolean',
      description: 'print changes line by line instead of the live table on the alternate screen (default when not a terminal)',
    },
  },
  examples: ['npm start', 'spark-dispatch start --fail etl=oom --running-ms 30000', 'spark-dispatch start --kubeconfig ~/.kube/config'],
  async run(args, io) {
    // At most a day each; the sweep interval also stays under setInterval's 2^31-1 ms, above which it fires at once.
    const pendingMs = integerOption(args, 'pending-ms', { min: 0, max: DAY_MS, unit: 'milliseconds' }) ?? 2_000;
    const runningMs = integerOption(args, 'running-ms', { min: 0, max: DAY_MS, unit: 'milliseconds' }) ?? 10_000;
    const sweepEverySeconds = integerOption(args, 'sweep-every', { min: 1, max: DAY_MS / 1000, unit: 'seconds' }) ?? 5;
    const failures: Record<string, InjectedFailure> = { ...DEMO_FAILURES };
    for (const f of (args.values.fail as string[] | undefined) ?? []) {
      const [name, kind] = f.split('=');
      if (!name || !FAILURE_KINDS.includes(kind as InjectedFailure))
        throw new UsageError(`--fail takes NAME=KIND with KIND one of ${FAILURE_KINDS.join(', ')}, not "${f}"`);
      failures[name] = kind as InjectedFailure;
    }
    const explicit = stringOption(args, 'config') !== undefined || io.env.SPARK_DISPATCH_CONFIG || io.env.SPARK_DISPATCH_SETTINGS;
    const loaded = loadCliSettings(
      explicit ? args : { ...args, values: { ...args.values, config: existsSync(LOCAL_SETTINGS) ? LOCAL_SETTINGS : undefined } },
      io,
      { ignoreLocalStack: true },
    );
    if (!loaded) return EXIT.infrastructure;

    const plain = args.values.plain === true || !(io.stdout as { isTTY?: boolean }).isTTY;
    const say = (line: string) => io.stdout.write(`${line}\n`);
    let stack: LocalStack;
    let dev: LocalStackModules;
    try {
      // Loaded here, not with the CLI: the development stack (broker, Azurite, stand-in) lives in
      // dev/, beside the product, and only this command pays for it.
      dev = await loadLocalStack();
      const kubeconfig = stringOption(args, 'kubeconfig');
      stack = await dev.startLocalStack({
        cwd: io.cwd,
        settings: loaded.settings,
        kubeconfigPath: kubeconfig === undefined ? undefined : resolve(io.cwd, kubeconfig),
        pendingMs,
        runningMs,
        sweepEveryMs: sweepEverySeconds * 1000,
        failures,
        onProgress: say,
        // A piece made real by settings (an account, a namespace, an AKS cluster) is reached as the user.
        credentialFor: cliAzure(io).credentialFor,
        seedFiles: exampleSeeds(),
      });
    } catch (error) {
      io.stderr.write(`spark-dispatch start: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.infrastructure;
    }
    const header = [
      'spark-dispatch is running locally:',
      ...stack.components.map((c) => `  - ${c}`),
      '',
      'Try, in another terminal:',
      '  npx spark-dispatch upload examples/wordcount/main.py --job wordcount   # a script upload (with the job.yaml beside it) starts a job',
      '  npx spark-dispatch publish examples/daily-sales/spec.json              # a job message starts a job',
      '  npx spark-dispatch publish examples/stalled/broken-image.yaml          # a driver that never starts: the sweeper clears it',
      '  npx spark-dispatch publish examples/stalled/hangs.yaml                 # a driver that hangs without executors: cleared once silent',
      '  npx spark-dispatch status        npx spark-dispatch logs <job key>',
      `Logs: ${stack.logFile}. Stop with Ctrl-C.`,
      '',
    ].join('\n');
    say(header);
    say('ready');

    const shown = new Map<string, string>();
    const { ledger } = stack;
    const terminal = io.stdout as {
      columns?: number;
      rows?: number;
      on?: (event: 'resize', listener: () => void) => unknown;
      off?: (event: 'resize', listener: () => void) => unknown;
    };
    const size = () => ({ columns: terminal.columns ?? 80, rows: terminal.rows ?? 24 });
    let stopped = false; // no frame once the view has left the alternate screen
    let latest: { records: readonly LedgerRecord[]; phases: ReadonlyMap<string, string> } = { records: [], phases: new Map() };
    const draw = () => {
      const { columns, rows } = size();
      const table = dev.jobTable(latest.records, latest.phases, new Date(), columns);
      io.stdout.write(dev.frame([...header.split('\n'), ...table.trimEnd().split('\n')], { columns, rows }));
    };
    const refresh = async () => {
      const records = await ledger.latest(15);
      const phases = new Map<string, string>();
      for (const pod of stack.standIn?.objects('pods') ?? []) {
        if ((pod.metadata.labels as Record<string, string> | undefined)?.[LABELS.role] === 'driver')
          phases.set(`${pod.metadata.namespace}/${pod.metadata.name}`, (pod.status as { phase?: string } | undefined)?.phase ?? 'Pending');
      }
      latest = { records, phases };
      if (plain) {
        for (const r of records) {
          const line = `${r.state}${r.final ? ` ${r.final.phase}` : ''}`;
          if (shown.get(r.jobKey) === line) continue;
          shown.set(r.jobKey, line);
          say(
            `${new Date().toISOString().slice(11, 19)}  ${(r.name ?? '-').padEnd(16)} ${line.padEnd(24)} ${r.namespace ?? '-'}/${r.driverPod ?? '-'}  ${r.jobKey}`,
          );
        }
      } else if (!stopped) draw();
    };

    // On a terminal the table lives on the alternate screen: the scrollback keeps the start-up lines
    // above and nothing of the redraws. The normal screen comes back on Ctrl-C, on an error, on any exit.
    const screen = plain ? undefined : dev.enterAlternateScreen((text) => io.stdout.write(text), process);
    const redraw = () => draw();
    if (screen) {
      draw();
      terminal.on?.('resize', redraw);
    }
    let refreshing = false;
    const view = setInterval(() => {
      if (refreshing) return;
      refreshing = true;
      refresh()
        .catch((error: unknown) => stack.log.warn('view refresh failed', { error: String(error) }))
        .finally(() => (refreshing = false));
    }, 1_000);

    try {
      await stopSignal();
    } finally {
      clearInterval(view);
      stopped = true;
      if (screen) {
        terminal.off?.('resize', redraw);
        screen.leave();
        // The last state stays in the scrollback once the view is gone.
        io.stdout.write(dev.jobTable(latest.records, latest.phases, new Date(), size().columns));
      }
    }
    say('\nstopping…');
    await stack.close();
    say('stopped: nothing left running');
    return EXIT.ok;
  },
};
