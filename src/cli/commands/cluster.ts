import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CLUSTER_PID_FILE, runningClusterStandIn, runningLocalStack, STANDIN_KUBECONFIG, STATE_DIR } from '../localState.js';
import { driverPriorityClass, driverQuota } from '../../domain/render/capacityObjects.js';
import { integerOption, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { CONFIG_OPTION } from '../commonOptions.js';
import { allDriverServiceAccounts, allNamespaces, namespaceSettings } from '../../domain/tenant/tenancy.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { stopSignal } from '../stopSignal.js';

export const DEFAULT_STANDIN_KUBECONFIG = `${STATE_DIR}/${STANDIN_KUBECONFIG}`;

export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'run the Kubernetes API stand-in, to try spark-dispatch without a cluster',
  usage: 'start [--port N] [--kubeconfig-out PATH] [--driver-cap N]',
  description:
    'Starts an in-process server that behaves like the Kubernetes API where spark-dispatch depends on it\n' +
    '(names, conflicts, selectors, garbage collection, quotas), with the namespaces of the settings, and writes a\n' +
    'kubeconfig for it. It runs no containers: pods stay Pending. Stop it with Ctrl-C. While a local stack\n' +
    "(npm start) runs from the same folder it refuses the default kubeconfig file, which is the stack's own:\n" +
    "use the stack's stand-in, or --kubeconfig-out.",
  options: {
    ...CONFIG_OPTION,
    port: { type: 'string', description: 'port to listen on (default: a free one)', valueName: 'N' },
    'kubeconfig-out': {
      type: 'string',
      description: `where to write its kubeconfig (default ${DEFAULT_STANDIN_KUBECONFIG})`,
      valueName: 'PATH',
    },
    'driver-cap': {
      type: 'string',
      description: 'at most N concurrent drivers per namespace (default: settings.namespaces.<ns>.maxConcurrentDrivers)',
      valueName: 'N',
    },
  },
  examples: [
    'spark-dispatch cluster start',
    'spark-dispatch submit examples/wordcount/spec.yaml --kubeconfig .spark-dispatch/standin.kubeconfig',
  ],
  async run(args, io) {
    if (args.positionals[0] !== 'start' || args.positionals.length !== 1) throw new UsageError('the only subcommand is "start"');
    const port = integerOption(args, 'port', { min: 0, max: 65535 }) ?? 0;
    // A cap of 0 would refuse every driver: never what someone trying spark-dispatch wants.
    const cap = integerOption(args, 'driver-cap', { min: 1, max: 100_000 });
    const out = resolve(io.cwd, stringOption(args, 'kubeconfig-out') ?? DEFAULT_STANDIN_KUBECONFIG);
    // `npm start` runs its own stand-in and owns its kubeconfig file: writing over it would point the
    // stack's own commands at this server, and the stack's stop would delete this one's kubeconfig.
    const stack = runningLocalStack(io.cwd);
    if (stack && out === join(stack.dir, STATE_DIR, STANDIN_KUBECONFIG)) {
      io.stderr.write(
        `spark-dispatch cluster start: a local stack (npm start) is running from ${stack.dir}, and ${out} is the kubeconfig of its own stand-in.\n` +
          '  Use that stand-in: the other commands find it by themselves (spark-dispatch submit FILE), or pass it with --kubeconfig;\n' +
          '  or run a second stand-in beside it with --kubeconfig-out PATH.\n',
      );
      return EXIT.infrastructure;
    }
    if (out === resolve(io.cwd, DEFAULT_STANDIN_KUBECONFIG) && runningClusterStandIn(io.cwd)) {
      io.stderr.write(
        `spark-dispatch cluster start: another \`spark-dispatch cluster start\` is running from ${io.cwd} and serves ${out}; stop it with Ctrl-C, or pass --kubeconfig-out PATH\n`,
      );
      return EXIT.infrastructure;
    }
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const namespaces = allNamespaces(loaded.settings);
    const nsSettings = (ns: string) => namespaceSettings(loaded.settings, ns);

    // The stand-in lives in dev/, beside the product: loaded by this command only.
    const [{ startStandIn }, { postObject }] = await Promise.all([
      import('../../../dev/kube-standin/index.js'),
      import('../../../dev/kube-standin/postObject.js'),
    ]);
    const standIn = await startStandIn({ port, namespaces, serviceAccounts: allDriverServiceAccounts(loaded.settings) });
    // As infra/ installs it: without it the Priority admission plugin refuses every driver pod.
    await postObject(
      standIn.url,
      '/apis/scheduling.k8s.io/v1/priorityclasses',
      driverPriorityClass(loaded.settings.driverPriorityClassName),
    );
    // --driver-cap wins; else each namespace's own maxConcurrentDrivers.
    for (const namespace of namespaces) {
      const limit = cap ?? nsSettings(namespace)?.maxConcurrentDrivers;
      if (limit !== undefined) {
        const priorityClassName = nsSettings(namespace)?.priorityClassName ?? loaded.settings.driverPriorityClassName;
        await postObject(standIn.url, `/api/v1/namespaces/${namespace}/resourcequotas`, driverQuota(namespace, priorityClassName, limit));
      }
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, standIn.kubeconfig({ namespace: namespaces[0] }), { mode: 0o600 });
    // The default file is also where `npm start` writes its stand-in's: say that this one is in use.
    const pidFile = out === resolve(io.cwd, DEFAULT_STANDIN_KUBECONFIG) ? join(io.cwd, STATE_DIR, CLUSTER_PID_FILE) : undefined;
    if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
    io.stdout.write(
      `Kubernetes API stand-in listening on ${standIn.url}\n` +
        `  namespaces: ${namespaces
          .map((n) => {
            const limit = cap ?? nsSettings(n)?.maxConcurrentDrivers;
            return limit === undefined ? n : `${n} (driver cap ${limit})`;
          })
          .join(', ')}\n` +
        `  kubeconfig: ${out}\n\n` +
        `Try: spark-dispatch submit examples/wordcount/spec.yaml --kubeconfig ${out}\n` +
        `Stop with Ctrl-C.\n`,
    );
    await stopSignal();
    await standIn.close();
    if (pidFile) rmSync(pidFile, { force: true });
    io.stdout.write('stand-in stopped\n');
    return EXIT.ok;
  },
};
