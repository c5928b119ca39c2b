import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createBlobFiles } from '../../adapters/blob/blobFiles.js';
import { isRelative, SIDECAR_FILES, uploadSpec } from '../../domain/intake/uploadSidecar.js';
import { parseDocument } from '../../domain/spec/document.js';
import { prepareJob } from '../../domain/spec/prepareJob.js';
import { sanitizeName } from '../../domain/render/naming.js';
import { uploadJobKey } from '../../domain/intake/storageEvent.js';
import { ids } from '../formatOutcome.js';
import type { Problem } from '../../domain/spec/problem.js';
import { stringOption, UsageError, type Command } from '../command.js';
import { EXIT, type CliIo } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { CONFIG_OPTION, TENANT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { cliAzure, withAccess } from '../cliAzure.js';
import { jobFileBeside, jobNameOf, SCRIPT_FILE, uploadJobFileProblems, uploadPlace } from '../uploadFolder.js';
import { writeProblems } from '../writeProblems.js';
import { scopedKey } from '../../domain/tenant/jobIdentity.js';

const MAX_SCRIPT_BYTES = 4 * 1024 * 1024;
const MAX_PY_FILE_BYTES = 64 * 1024 * 1024;

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload a PySpark script to the watched container, so that the upload itself starts the job',
  usage: 'SCRIPT [--job NAME] [--job-file FILE] [--tenant ID]',
  description:
    "Uploads a job folder to the tenant's first upload folder (settings intake.scriptUploads), in the order the\n" +
    'script-upload convention needs: the py-files its job file lists by relative path, the job file as\n' +
    '<prefix><job-name>/job.yaml, and last <prefix><job-name>/main.py, whose storage event starts the job. The job\n' +
    'file is --job-file, else the job.yaml (job.yml, job.json) beside a script named main.py. It must not have main\n' +
    '(the uploaded script is the main) or jobKey (the upload is the key), and is checked as the dispatcher will\n' +
    "check it before anything is uploaded. A deployment's account is written with your Azure sign-in (az login), which\n" +
    "needs Storage Blob Data Contributor on the upload folder's container; its settings come from --config (see\n" +
    '`spark-dispatch settings pull`).',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    job: {
      type: 'string',
      description: "job name, the folder under the watched prefix (default: the script's folder or file name)",
      valueName: 'NAME',
    },
    'job-file': {
      type: 'string',
      description: 'the job file to upload as job.yaml (YAML or JSON, without main; default: the one beside main.py)',
      valueName: 'FILE',
    },
  },
  examples: [
    'spark-dispatch upload examples/wordcount/main.py',
    'spark-dispatch upload etl.py --job nightly-etl --job-file etl.yaml',
    'spark-dispatch upload examples/wordcount/main.py --config spark-dispatch.contoso-spark-dispatch.yaml',
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one script');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const owner = cliTenant(args, loaded.settings);
    const target = owner.tenant.intake.scriptUploads[0];
    if (!target) {
      io.stderr.write(
        `spark-dispatch upload: tenant ${owner.id} has no upload folder: set its intake.scriptUploads (or run \`npm start\`, which watches jobs/uploads/)\n`,
      );
      return EXIT.infrastructure;
    }
    const scriptArg = args.positionals[0]!;
    const script = resolve(io.cwd, scriptArg);
    if (!script.endsWith('.py')) throw new UsageError('the script must be a .py file');
    const content = readInput(scriptArg, io, MAX_SCRIPT_BYTES);
    if (content === undefined) return EXIT.invalid;

    // Everything is read and checked before anything is uploaded: a bad job file or a missing
    // py-file must not leave a half job folder behind.
    const named = stringOption(args, 'job-file');
    // Beside a main.py only: a job folder holds one job; job.yaml next to another script is not its.
    const besideScript = named === undefined && basename(script) === SCRIPT_FILE ? jobFileBeside(script) : undefined;
    const jobFile = named ?? (besideScript === undefined ? undefined : shown(besideScript, io.cwd));
    const job = stringOption(args, 'job') === undefined ? jobNameOf(script) : sanitizeName(stringOption(args, 'job')!, 63);
    const place = uploadPlace(target, job);
    let jobYaml: string | undefined;
    const pyFiles: { readonly local: string; readonly remote: string }[] = [];
    if (jobFile !== undefined) {
      const text = readInput(jobFile, io); // parseDocument enforces the size limit of job files
      if (text === undefined) return EXIT.invalid;
      const doc = parseDocument(text, jobFile);
      if (!doc.ok) {
        writeProblems(io.stderr, jobFile, doc.problems);
        return EXIT.invalid;
      }
      const fields = doc.value as Record<string, unknown>;
      const problems: Problem[] = uploadJobFileProblems(fields);
      const built = uploadSpec(fields, place, undefined);
      if (problems.length === 0 && built.ok) {
        const job = prepareJob(built.spec, loaded.settings, { tenant: owner.id, source: { kind: 'cli', ref: jobFile } });
        if (!job.ok) problems.push(...job.problems);
      }
      // py-files listed relative to the job folder travel with it, from the script's folder.
      const listed = Array.isArray(fields.pyFiles) ? fields.pyFiles : [];
      listed.forEach((file, i) => {
        if (typeof file !== 'string' || !isRelative(file)) return;
        const name = file.replace(/^\.\//, '');
        const local = join(dirname(script), name);
        if (existsSync(local) && statSync(local).isFile()) {
          if (statSync(local).size <= MAX_PY_FILE_BYTES) pyFiles.push({ local, remote: `${place.folder}/${name}` });
          else
            problems.push({
              path: `pyFiles[${i}]`,
              expected: `a py-file of at most ${MAX_PY_FILE_BYTES / 1024 / 1024} MiB to upload`,
              found: `${Math.ceil(statSync(local).size / 1024 / 1024)} MiB`,
            });
        } else
          problems.push({
            path: `pyFiles[${i}]`,
            expected: `a file to upload beside the script (${shown(local, io.cwd)})`,
            found: existsSync(local) ? 'a directory' : 'nothing',
            hint: buildHint(local, io.cwd),
          });
      });
      if (problems.length > 0) {
        writeProblems(io.stderr, jobFile, problems);
        io.stderr.write('nothing was uploaded\n');
        return EXIT.invalid;
      }
      jobYaml = text;
    }

    const azure = cliAzure(io);
    const service = azure.blobService(loaded.settings);
    const files = createBlobFiles(service);
    const access = {
      service: 'storage',
      doing: 'upload scripts',
      account: target.account,
      container: target.filesystem,
      role: 'Storage Blob Data Contributor',
    } as const;
    const at = { account: target.account, filesystem: target.filesystem };
    for (const f of pyFiles) {
      io.stdout.write(`uploading ${shown(f.local, io.cwd)} → ${target.filesystem}/${f.remote}\n`);
      const bytes = readFileSync(f.local);
      await withAccess(azure, access, async () =>
        (await service(target.account))
          .getContainerClient(target.filesystem)
          .getBlockBlobClient(f.remote)
          .uploadData(bytes, { blobHTTPHeaders: { blobContentType: f.remote.endsWith('.py') ? 'text/x-python' : 'application/zip' } }),
      );
    }
    if (jobYaml !== undefined) {
      io.stdout.write(`uploading ${jobFile} → ${target.filesystem}/${place.folder}/job.yaml\n`);
      await withAccess(azure, access, () => files.writeText({ ...at, path: `${place.folder}/job.yaml` }, jobYaml, 'application/yaml'));
    } else {
      // The job reads whatever job file is in its folder: an earlier upload's, if one is left there.
      const left = [];
      for (const name of SIDECAR_FILES)
        if (await withAccess(azure, access, () => files.properties({ ...at, path: `${place.folder}/${name}` }))) left.push(name);
      io.stdout.write(
        left.length > 0
          ? `no job file here: the job reads ${target.filesystem}/${place.folder}/${left[0]}, left by an earlier upload\n`
          : 'no job file (job.yaml beside main.py, or --job-file): the job starts with no arguments and the default resources\n',
      );
    }
    io.stdout.write(`uploading ${scriptArg} → ${target.filesystem}/${place.folder}/${SCRIPT_FILE}\n`);
    const path = `${place.folder}/${SCRIPT_FILE}`;
    const eTag = await withAccess(azure, access, () => files.writeText({ ...at, path }, content, 'text/x-python'));
    // The job's key is this version of main.py (its URL and eTag), as the storage event will carry it.
    io.stdout.write(
      `uploaded: the storage event starts job "${job}"\n${ids(scopedKey(owner.id, uploadJobKey(target.account, target.filesystem, path, eTag)))}`,
    );
    return EXIT.ok;
  },
  errorHint: (error) => (error.kind === 'forbidden' || error.kind === 'unauthorized' ? undefined : 'Check settings.blob for the account.'),
};

/** How to make a missing py-file, when the folder beside it says what it should hold. */
function buildHint(local: string, cwd: string): string | undefined {
  if (!local.endsWith('.zip')) return undefined;
  const dir = local.slice(0, -'.zip'.length);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  return `build it first: cd ${shown(dirname(local), cwd)} && python3 -m zipfile -c ${basename(local)} ${basename(dir)}/`;
}

/** A local path as the user would type it from here: relative below the current folder, else absolute. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

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
