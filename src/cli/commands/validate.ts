import type { Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { TENANT_OPTION, CONFIG_OPTION, OUTPUT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { oneOf, UsageError } from '../command.js';
import { readJobFile } from '../readJobFile.js';
import { writeProblems } from '../writeProblems.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: "check job specs against the schema and this installation's policy",
  usage: 'FILE… [-o text|json]',
  description:
    'Exit 0 when every file is valid; exit 1 with every problem of every file listed. A job file beside main.py\n' +
    '(job.yaml, job.yml or job.json without main) is checked as its upload will be read: main is the uploaded\n' +
    "main.py in the tenant's first upload folder, py-files are relative to it.",
  options: { ...CONFIG_OPTION, ...TENANT_OPTION, ...OUTPUT_OPTION(['text', 'json'], 'text') },
  examples: [
    'spark-dispatch validate examples/wordcount/spec.yaml examples/wordcount/job.yaml',
    'spark-dispatch validate --config prod.yaml jobs/*.yaml',
  ],
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('name at least one job file');
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;

    let invalid = 0;
    const report: unknown[] = [];
    for (const file of args.positionals) {
      const result = readJobFile(file, io.cwd, loaded.settings, cliTenant(args, loaded.settings).id);
      if (result.ok) {
        const job = result.value;
        report.push({
          file,
          valid: true,
          jobKey: job.jobKey,
          namespace: job.namespace,
          driverPod: job.names.driverPod,
          sparkVersion: job.image.spark,
          ...(result.asUpload ? { asUpload: result.asUpload } : {}),
        });
        if (format === 'text') {
          // An upload's driver name depends on the upload (its key is the file's URL and eTag): only the job is told.
          io.stdout.write(
            result.asUpload
              ? `ok       ${file}: ${job.name} → ${job.namespace} (Spark ${job.image.spark}, ${job.backend}), as an upload's job file: main ${result.asUpload}\n`
              : `ok       ${file}: ${job.name} → ${job.namespace}/${job.names.driverPod} (Spark ${job.image.spark}, ${job.backend})\n`,
          );
        }
      } else {
        invalid++;
        report.push({ file, valid: false, problems: result.problems });
        if (format === 'text') writeProblems(io.stdout, file, result.problems);
      }
    }
    if (format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return invalid === 0 ? EXIT.ok : EXIT.invalid;
  },
};
