import { connectCluster } from '../../adapters/kubernetes/connectCluster.js';
import { fail, problemToString } from '../../domain/spec/problem.js';
import { DispatchError } from '../../shared/errors.js';
import { launchJob } from '../../usecases/launchJob.js';
import { oneOf, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { TENANT_OPTION, CONFIG_OPTION, OUTPUT_OPTION } from '../commonOptions.js';
import { formatOutcome, outcomeExitCode } from '../formatOutcome.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { readJobDocument, uploadJobFileRefusal } from '../readJobFile.js';
import { prepareJob } from '../../domain/spec/prepareJob.js';
import { record } from '../../usecases/jobLedger.js';
import { KeyTaken } from '../../domain/intake/ledgerRecord.js';
import { NO_EVENTS } from '../../usecases/queuePort.js';
import { cliLedger } from '../cliLedger.js';
import { cliAzure } from '../cliAzure.js';
import { writeProblems } from '../writeProblems.js';
import { publishCommand } from './publish.js';
import { requestFingerprint } from '../../domain/tenant/jobIdentity.js';

export const submitCommand: Command = {
  name: 'submit',
  summary: 'launch a job in the cluster now (idempotent: the same job key never launches twice)',
  usage: 'FILE [--via cluster|queue] [--kubeconfig PATH] [--dry-run] [-o text|json]',
  description:
    'Creates the driver Pod, then its ConfigMap and Service (or one SparkApplication), retrying throttling and\n' +
    'server errors. Exit 0: launched or already launched; 1: rejected; 3: deferred (the cluster is full) or the\n' +
    'cluster failed. The cluster comes from settings.kubernetes, or --kubeconfig.',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    kubeconfig: {
      type: 'string',
      description: 'kubeconfig file of the target cluster (default: settings, KUBECONFIG, ~/.kube/config)',
      valueName: 'PATH',
    },
    'dry-run': { type: 'boolean', description: 'server-side dry run: every check the API server makes (names, quota), nothing stored' },
    via: {
      type: 'string',
      description: 'cluster: launch now from here (default); queue: publish a job message, as an orchestrator would',
      valueName: 'WAY',
    },
    ...OUTPUT_OPTION(['text', 'json'], 'text'),
  },
  examples: [
    'spark-dispatch submit examples/wordcount/spec.yaml --kubeconfig .spark-dispatch/standin.kubeconfig',
    'spark-dispatch submit job.yaml --dry-run -o json',
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one job file');
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    if (oneOf(args, 'via', ['cluster', 'queue'], 'cluster') === 'queue') {
      // publish has none of these: refuse them rather than silently launch without them.
      const ignored = [
        args.values['dry-run'] === true && '--dry-run',
        args.values.kubeconfig !== undefined && '--kubeconfig',
        format === 'json' && '-o json',
      ].filter(Boolean);
      if (ignored.length > 0)
        throw new UsageError(
          `${ignored.join(', ')} do${ignored.length === 1 ? 'es' : ''} not apply with --via queue (the dispatcher launches the job from the queue)`,
        );
      return publishCommand.run({ values: { config: args.values.config, tenant: args.values.tenant }, positionals: args.positionals }, io);
    }
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const file = args.positionals[0]!;
    const tenant = cliTenant(args, loaded.settings).id;
    const read = readJobDocument(file, io.cwd);
    const asUpload = read.ok ? uploadJobFileRefusal(file, io.cwd, read.value) : undefined;
    const doc: typeof read = asUpload ? fail([asUpload]) : read;
    const job = doc.ok ? prepareJob(doc.value, loaded.settings, { tenant, source: { kind: 'cli', ref: file } }) : doc;
    if (!job.ok) {
      if (format === 'json')
        io.stdout.write(
          `${JSON.stringify({ kind: 'rejected', reasons: job.problems.map(problemToString), problems: job.problems }, null, 2)}\n`,
        );
      else writeProblems(io.stderr, file, job.problems);
      return EXIT.invalid;
    }
    try {
      const kubeconfigPath = stringOption(args, 'kubeconfig');
      const azure = cliAzure(io);
      const cluster = await connectCluster(loaded.settings.kubernetes, { kubeconfigPath, credentialFor: azure.credentialFor });
      const { retry } = loaded.settings.kubernetes;
      const dryRun = args.values['dry-run'] === true;
      // With a ledger, a job launched from here is told in it as any other: claimed ahead of the
      // create, then launched, deferred or rejected (a dry run stores nothing, there either).
      const ledger = !dryRun && loaded.settings.ledger.account ? cliLedger(loaded.settings, azure, io.cwd) : undefined;
      const deps = ledger ? { ledger, events: NO_EVENTS, now: () => new Date(), settings: loaded.settings } : undefined;
      const where = {
        name: job.value.name,
        namespace: job.value.namespace,
        driverPod: job.value.names.driverPod,
        backend: job.value.backend,
      };
      if (deps && doc.ok) {
        try {
          await record(deps, job.value.jobKey, {
            state: 'launching',
            tenant,
            fingerprint: requestFingerprint(tenant, doc.value as Record<string, unknown>),
            source: job.value.source,
            ...where,
          });
        } catch (error) {
          if (!(error instanceof KeyTaken)) throw error;
          const refused = { kind: 'rejected' as const, jobKey: job.value.jobKey, namespace: job.value.namespace, reasons: [error.message] };
          io.stdout.write(format === 'json' ? `${JSON.stringify(refused, null, 2)}\n` : formatOutcome(refused));
          return EXIT.invalid;
        }
      }
      const outcome = await launchJob(job.value, cluster, {
        dryRun,
        retry,
        retryHooks: {
          onRetry: (e, attempt, delay) =>
            format === 'text' && io.stderr.write(`  retrying after ${e.kind} (attempt ${attempt + 1} in ${delay} ms)\n`),
        },
      });
      if (deps) {
        await record(
          deps,
          job.value.jobKey,
          outcome.kind === 'rejected'
            ? { state: 'rejected', reasons: outcome.reasons, ...where }
            : outcome.kind === 'deferred'
              ? { state: 'deferred', detail: outcome.reason, ...where }
              : { state: outcome.kind, driverUid: outcome.driverUid, ...where },
        );
      }
      io.stdout.write(format === 'json' ? `${JSON.stringify(outcome, null, 2)}\n` : formatOutcome(outcome));
      return outcomeExitCode(outcome);
    } catch (error) {
      // -o json readers get the failure as an outcome on stdout; main prints the text form.
      if (format !== 'json' || !(error instanceof DispatchError)) throw error;
      io.stdout.write(
        `${JSON.stringify({ kind: 'error', errorKind: error.kind, retryable: error.retryable, message: error.message }, null, 2)}\n`,
      );
      return EXIT.infrastructure;
    }
  },
  errorHint: (error, args) =>
    args.values.via === 'queue'
      ? publishCommand.errorHint?.(error, args)
      : 'Trying again will not help: check the cluster settings (see docs/settings.md, "Clusters").',
};
