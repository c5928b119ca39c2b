import { connectCluster } from '../../adapters/kubernetes/connectCluster.js';
import { jsonLogger, SILENT } from '../../shared/logger.js';
import { NO_EVENTS } from '../../usecases/queuePort.js';
import { sweep, type SweepReport } from '../../usecases/sweep.js';
import { oneOf, stringOption, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliLedger } from '../cliLedger.js';
import { cliAzure } from '../cliAzure.js';
import { CONFIG_OPTION, OUTPUT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'find and clear stalled drivers and leftovers once (what the timer function does)',
  usage: '[--dry-run] [--kubeconfig PATH] [-o text|json]',
  description:
    'Looks only at pods, ConfigMaps, Services and SparkApplications labelled app.kubernetes.io/managed-by=spark-dispatch\n' +
    'in the allowed namespaces. A driver is cleared only on evidence that it cannot make progress (its status, its log\n' +
    "tail, its events), after its reason's grace (settings.sweeper.grace.*); with settings.sweeper.mode observe it records\n" +
    'what it would have cleared and clears nothing. Records how finished jobs ended and saves driver logs in the ledger when one is\n' +
    'configured. Exit 0 when the sweep ran without errors, 3 when some object could not be read or cleared.',
  options: {
    ...CONFIG_OPTION,
    'dry-run': { type: 'boolean', description: 'report what would be cleared; change nothing (no deletions, no ledger writes)' },
    kubeconfig: { type: 'string', description: 'kubeconfig file of the target cluster', valueName: 'PATH' },
    verbose: { type: 'boolean', description: 'also print the structured log lines' },
    ...OUTPUT_OPTION(['text', 'json'], 'text'),
  },
  examples: ['spark-dispatch sweep --dry-run', 'spark-dispatch sweep -o json'],
  async run(args, io) {
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const { settings } = loaded;
    const azure = cliAzure(io);
    const cluster = await connectCluster(settings.kubernetes, {
      kubeconfigPath: stringOption(args, 'kubeconfig'),
      credentialFor: azure.credentialFor,
    });
    // The ledger is optional here: without one the sweep still clears, it only records nothing.
    const ledger = settings.ledger.account ? cliLedger(settings, azure, io.cwd) : undefined;
    const log =
      args.values.verbose === true
        ? jsonLogger({
            info: (l) => io.stderr.write(`${l}\n`),
            warn: (l) => io.stderr.write(`${l}\n`),
            error: (l) => io.stderr.write(`${l}\n`),
          })
        : SILENT;
    const report = await sweep(
      { settings, cluster, ledger, events: NO_EVENTS, now: () => new Date(), log },
      { dryRun: args.values['dry-run'] === true },
    );
    io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, ledger !== undefined));
    return report.errors.length === 0 ? EXIT.ok : EXIT.infrastructure;
  },
};

export function formatReport(r: SweepReport, withLedger: boolean): string {
  const observing = r.mode === 'observe';
  const counted = Object.entries(observing ? r.wouldClear : r.cleared).filter(([, n]) => n > 0);
  const lines = [
    `sweep${r.dryRun ? ' (dry run: nothing changed)' : ''}${observing ? ' in observe mode (nothing is cleared: settings.sweeper.mode)' : ''} of ${r.namespaces.join(', ')}`,
    `  examined ${r.examined}, healthy ${r.healthy}, finished jobs recorded ${r.finishedRecorded}, evidence read for ${r.evidenceRead}${r.deferred > 0 ? `, ${r.deferred} suspects left for the next run` : ''}`,
    `  ${r.dryRun || observing ? 'would clear' : 'cleared'}: ${counted.length === 0 ? 'nothing' : counted.map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    ...r.actions
      .filter((a) => a.kind === 'delete' || a.kind === 'remove-second-driver')
      .map(
        (a) =>
          `    ${a.done ? 'deleted' : a.observed ? 'would have deleted' : r.dryRun ? 'would delete' : 'NOT deleted'} ${a.target.kind.toLowerCase()}/${a.target.name} (${a.reason ?? 'second driver'}): ${a.message}${a.error ? ` [${a.error}]` : ''}`,
      ),
    ...(r.capReached
      ? [
          observing
            ? '  a delete run would have stopped at the deletion cap (settings.sweeper.maxDeletionsPerRun)'
            : '  stopped at the deletion cap (settings.sweeper.maxDeletionsPerRun); the next run continues',
        ]
      : []),
    ...(withLedger ? [] : ['  no ledger configured: final states and driver logs were not recorded']),
    `  errors: ${r.errors.length}`,
    ...r.errors.map((e) => `    ${e}`),
  ];
  return `${lines.join('\n')}\n`;
}
