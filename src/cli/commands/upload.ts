import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createBlobFiles } from '../../adapters/blob/blobFiles.js';
import { parseDocument } from '../../domain/spec/document.js';
import { sanitizeName } from '../../domain/render/naming.js';
import { uploadJobKey } from '../../domain/intake/storageEvent.js';
import { scopedKey } from '../../domain/tenant/tenancy.js';
import { ids } from '../formatOutcome.js';
import { problemToString } from '../../domain/spec/problem.js';
import { stringOption, UsageError, type Command } from '../command.js';
import { EXIT, type CliIo } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { CONFIG_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { cliAzure, withAccess } from '../cliAzure.js';

const MAX_SCRIPT_BYTES = 4 * 1024 * 1024;

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload a PySpark script to the watched container, so that the upload itself starts the job',
  usage: 'SCRIPT [--job NAME] [--job-file FILE] [--tenant ID]',
  description:
    'Writes <prefix><job-name>/job.yaml (from --job-file) and then <prefix><job-name>/main.py to the first\n' +
    "tenant's upload folder (settings intake.scriptUploads): the script-upload convention. The storage event of\n" +
    "main.py starts the job. A deployment's account is written with your Azure sign-in (az login), which needs\n" +
    "Storage Blob Data Contributor on the upload folder's container; its settings come from --config (see\n" +
    '`spark-dispatch settings pull`).',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    job: { type: 'string', description: 'job name, the folder under the watched prefix (default: the script\'s folder or file name)', valueName: 'NAME' },
    'job-file': { type: 'string', description: 'a job spec (YAML or JSON, without main) uploaded beside the script as job.yaml', valueName: 'FILE' },
  },
  examples: ['spark-dispatch upload examples/wordcount/main.py --job wordcount', 'spark-dispatch upload examples/wordcount/main.py --job-file examples/wordcount/job.yaml --config spark-dispatch.contoso-spark-dispatch.yaml'],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one script');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const owner = cliTenant(args, loaded.settings);
    const target = owner.tenant.intake.scriptUploads[0];
    if (!target) {
      io.stderr.write(`spark-dispatch upload: tenant ${owner.id} has no upload folder: set its intake.scriptUploads (or run \`npm start\`, which watches jobs/uploads/)\n`);
      return EXIT.infrastructure;
    }
    const script = resolve(io.cwd, args.positionals[0]!);
    if (!script.endsWith('.py')) throw new UsageError('the script must be a .py file');
    const content = readInput(args.positionals[0]!, io, MAX_SCRIPT_BYTES);
    if (content === undefined) return EXIT.invalid;
    // Read and parsed before anything is uploaded: a bad job file must not leave a lone job.yaml behind.
    const jobFile = stringOption(args, 'job-file');
    let jobYaml: { readonly file: string; readonly text: string } | undefined;
    if (jobFile !== undefined) {
      const text = readInput(jobFile, io); // parseDocument enforces the size limit of job files
      if (text === undefined) return EXIT.invalid;
      const doc = parseDocument(text, jobFile);
      if (!doc.ok) {
        io.stderr.write(`invalid  ${jobFile}:\n${doc.problems.map((p) => `  - ${problemToString(p)}\n`).join('')}`);
        return EXIT.invalid;
      }
      jobYaml = { file: jobFile, text };
    }
    const fromPath = basename(script) === 'main.py' ? basename(resolve(script, '..')) : basename(script, '.py');
    const job = sanitizeName(stringOption(args, 'job') ?? fromPath, 63);
    const folder = `${target.prefix}${job}`; // the prefix is normalised when settings are parsed
    const azure = cliAzure(io);
    const files = createBlobFiles(azure.blobService(loaded.settings));
    const access = { service: 'storage', doing: 'upload scripts', account: target.account, container: target.filesystem, role: 'Storage Blob Data Contributor' } as const;
    if (jobYaml) {
      io.stdout.write(`uploading ${jobYaml.file} → ${target.filesystem}/${folder}/job.yaml\n`);
      await withAccess(azure, access, () => files.writeText({ account: target.account, filesystem: target.filesystem, path: `${folder}/job.yaml` }, jobYaml.text, 'application/yaml'));
    }
    io.stdout.write(`uploading ${args.positionals[0]} → ${target.filesystem}/${folder}/main.py\n`);
    const path = `${folder}/main.py`;
    const eTag = await withAccess(azure, access, () => files.writeText({ account: target.account, filesystem: target.filesystem, path }, content, 'text/x-python'));
    // The job's key is this version of main.py (its URL and eTag), as the storage event will carry it.
    io.stdout.write(`uploaded: the storage event starts job "${job}"\n${ids(scopedKey(owner.id, uploadJobKey(target.account, target.filesystem, path, eTag)))}`);
    return EXIT.ok;
  },
  errorHint: (error) => (error.kind === 'forbidden' || error.kind === 'unauthorized' ? undefined : 'Check settings.blob for the account.'),
};

/** A local file's text, or `undefined` after saying why it cannot be read. */
function readInput(file: string, io: CliIo, maxBytes = Infinity): string | undefined {
  const path = resolve(io.cwd, file);
  try {
    if (statSync(path).size > maxBytes) throw new Error(`larger than ${maxBytes / 1024 / 1024} MiB`);
    return readFileSync(path, 'utf8');
  } catch (error) {
    io.stderr.write(`spark-dispatch upload: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return undefined;
  }
}
