import { connectCluster } from '../../adapters/kubernetes/connectCluster.js';
import { DispatchError, isDispatchError } from '../../shared/errors.js';
import { integerOption, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliLedger, findRecord } from '../cliLedger.js';
import { CONFIG_OPTION, STORAGE_ACCOUNT_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { cliAzure, withAccess } from '../cliAzure.js';
import { loadCliSettings } from '../loadCliSettings.js';

export const logsCommand: Command = {
  name: 'logs',
  summary: "print a job's driver log: from the cluster while the pod exists, else the tail the sweeper saved",
  usage: 'JOBKEY [--tail N] [--kubeconfig PATH] [--storage-account NAME]',
  description:
    'Finds the driver through the job ledger, read with your Azure sign-in (az login) for a deployment; the cluster is\n' +
    'the current context of your kubeconfig (az aks get-credentials) unless settings.kubernetes or --kubeconfig say otherwise.',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    ...STORAGE_ACCOUNT_OPTION,
    tail: { type: 'string', description: 'lines from the end (default 200)', valueName: 'N' },
    kubeconfig: { type: 'string', description: 'kubeconfig of the cluster', valueName: 'PATH' },
  },
  examples: ['spark-dispatch logs wordcount/2026-11-23', 'spark-dispatch logs 3f2a9c0d1e4b5a6f --storage-account sdlake7x2q4'],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one job key (see spark-dispatch status)');
    const tail = integerOption(args, 'tail', { min: 1, max: 100_000 }) ?? 200;
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const { settings } = loaded;
    const key = args.positionals[0]!;
    const azure = cliAzure(io);
    const ledger = cliLedger(settings, azure, io.cwd);
    const access = {
      service: 'storage',
      doing: 'read the job ledger',
      account: settings.ledger.account!,
      container: settings.ledger.container,
      role: 'Storage Blob Data Reader',
    } as const;
    const record = await withAccess(azure, access, () => findRecord(ledger, settings, key, stringOption(args, 'tenant')));
    if (!record) {
      io.stderr.write(`spark-dispatch logs: no job with key ${JSON.stringify(key)} (see spark-dispatch status)\n`);
      return EXIT.invalid;
    }
    // From the cluster while the pod exists. Someone without access to the cluster (no kubeconfig,
    // no RoleBinding) still gets the tail the sweeper saved, told why there is no live log.
    let liveFailure: DispatchError | undefined;
    if (record.driverPod && record.namespace) {
      try {
        const cluster = await connectCluster(settings.kubernetes, {
          kubeconfigPath: stringOption(args, 'kubeconfig'),
          credentialFor: azure.credentialFor,
        });
        // readLog already answers undefined for a pod that is gone (404); a 400 means its container
        // has not started yet. Anything else (401, 403, 5xx) is a failure to report, not "no log yet".
        const live = await cluster
          .readLog(
            { apiVersion: 'v1', kind: 'Pod', namespace: record.namespace, name: record.driverPod },
            { tailLines: tail, limitBytes: 4 * 1024 * 1024 },
          )
          .catch((error: unknown) => {
            if (isDispatchError(error, 'invalid')) return undefined;
            throw error;
          });
        if (live !== undefined) {
          io.stdout.write(live.endsWith('\n') || live === '' ? live : `${live}\n`);
          return EXIT.ok;
        }
      } catch (error) {
        if (!(error instanceof DispatchError)) throw error;
        liveFailure = error;
      }
    }
    const saved = await withAccess(azure, access, () => ledger.readLog(record.jobKey));
    if (saved !== undefined) {
      if (liveFailure)
        io.stderr.write(`note: no live log from the cluster (${liveFailure.message.split('\n')[0]}): the tail the sweeper saved follows\n`);
      io.stdout.write(saved.endsWith('\n') ? saved : `${saved}\n`);
      return EXIT.ok;
    }
    if (liveFailure) throw liveFailure;
    io.stderr.write(
      `spark-dispatch logs: job ${JSON.stringify(key)} is ${record.state}${record.driverPod ? ` (driver ${record.driverPod})` : ''}, and no log is available${record.driverPod ? ' yet' : ': it never had a driver'}\n`,
    );
    return EXIT.invalid;
  },
};
