import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { driverPriorityClass, driverQuota } from '../../domain/render/capacityObjects.js';
import { startStandIn } from '../../standin/index.js';
import { postObject } from '../../standin/postObject.js';
import { integerOption, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { CONFIG_OPTION } from '../commonOptions.js';
import { allNamespaces, namespaceSettings } from '../../domain/tenant/tenancy.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { stopSignal } from '../stopSignal.js';

export const DEFAULT_STANDIN_KUBECONFIG = '.spark-dispatch/standin.kubeconfig';

export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'run the Kubernetes API stand-in, to try spark-dispatch without a cluster',
  usage: 'start [--port N] [--kubeconfig-out PATH] [--driver-cap N]',
  description:
    'Starts an in-process server that behaves like the Kubernetes API where spark-dispatch depends on it\n' +
    '(names, conflicts, selectors, garbage collection, quotas), with the namespaces of the settings, and writes a\n' +
    'kubeconfig for it. It runs no containers: pods stay Pending. Stop it with Ctrl-C.',
  options: {
    ...CONFIG_OPTION,
    port: { type: 'string', description: 'port to listen on (default: a free one)', valueName: 'N' },
    'kubeconfig-out': { type: 'string', description: `where to write its kubeconfig (default ${DEFAULT_STANDIN_KUBECONFIG})`, valueName: 'PATH' },
    'driver-cap': { type: 'string', description: 'at most N concurrent drivers per namespace (default: settings.namespaces.<ns>.maxConcurrentDrivers)', valueName: 'N' },
  },
  examples: ['spark-dispatch cluster start', 'spark-dispatch submit examples/wordcount/spec.yaml --kubeconfig .spark-dispatch/standin.kubeconfig'],
  async run(args, io) {
    if (args.positionals[0] !== 'start' || args.positionals.length !== 1) throw new UsageError('the only subcommand is "start"');
    const port = integerOption(args, 'port', { min: 0, max: 65535 }) ?? 0;
    // A cap of 0 would refuse every driver: never what someone trying spark-dispatch wants.
    const cap = integerOption(args, 'driver-cap', { min: 1, max: 100_000 });
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const namespaces = allNamespaces(loaded.settings);
    const nsSettings = (ns: string) => namespaceSettings(loaded.settings, ns);

    const standIn = await startStandIn({ port, namespaces });
    // As infra/ installs it: without it the Priority admission plugin refuses every driver pod.
    await postObject(standIn.url, '/apis/scheduling.k8s.io/v1/priorityclasses', driverPriorityClass(loaded.settings.driverPriorityClassName));
    // --driver-cap wins; else each namespace's own maxConcurrentDrivers.
    for (const namespace of namespaces) {
      const limit = cap ?? nsSettings(namespace)?.maxConcurrentDrivers;
      if (limit !== undefined) await createDriverQuota(standIn.url, namespace, nsSettings(namespace)?.priorityClassName ?? loaded.settings.driverPriorityClassName, limit);
    }
    const out = resolve(io.cwd, stringOption(args, 'kubeconfig-out') ?? DEFAULT_STANDIN_KUBECONFIG);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, standIn.kubeconfig({ namespace: namespaces[0] }), { mode: 0o600 });
    io.stdout.write(
      `Kubernetes API stand-in listening on ${standIn.url}\n` +
        `  namespaces: ${namespaces.map((n) => { const limit = cap ?? nsSettings(n)?.maxConcurrentDrivers; return limit === undefined ? n : `${n} (driver cap ${limit})`; }).join(', ')}\n` +
        `  kubeconfig: ${out}\n\n` +
        `Try: spark-dispatch submit examples/wordcount/spec.yaml --kubeconfig ${out}\n` +
        `Stop with Ctrl-C.\n`,
    );
    await stopSignal();
    await standIn.close();
    io.stdout.write('stand-in stopped\n');
    return EXIT.ok;
  },
};

async function createDriverQuota(url: string, namespace: string, priorityClassName: string, cap: number): Promise<void> {
  await postObject(url, `/api/v1/namespaces/${namespace}/resourcequotas`, driverQuota(namespace, priorityClassName, cap));
}

