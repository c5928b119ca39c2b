import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { uploadSpec } from '../domain/intake/uploadSidecar.js';
import { MAX_DOCUMENT_BYTES, parseDocument } from '../domain/spec/document.js';
import { prepareJob } from '../domain/spec/prepareJob.js';
import { fail, type Problem, type Result } from '../domain/spec/problem.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import { tenantById } from '../domain/tenant/tenancy.js';
import type { Settings } from '../settings/settingsSchema.js';
import { isUploadJobFile, jobNameOf, uploadJobFileProblems, uploadPlace } from './uploadFolder.js';

/** Reads and parses one job file (size-checked); every problem is a value, never a throw. */
export function readJobDocument(file: string, cwd: string): Result<unknown> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    if (statSync(path).size > MAX_DOCUMENT_BYTES) {
      return fail([
        {
          path: '(file)',
          expected: `a job file of at most ${MAX_DOCUMENT_BYTES / 1024} KiB`,
          found: `${Math.ceil(statSync(path).size / 1024)} KiB`,
        },
      ]);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return fail([{ path: '(file)', expected: 'a readable JSON or YAML job file', found: code === 'ENOENT' ? 'no such file' : code }]);
  }
  return parseDocument(text, file);
}

/** A job file read by validate or render; `asUpload`: it is an upload's job file, read with main.py at this URI. */
export type JobFileResult = Result<ResolvedJob> & { readonly asUpload?: string };

/**
 * Reads, parses and resolves one job file for a tenant; every problem is a value, never a throw.
 * A job file of an upload folder (job.yaml without main, main.py beside it) is read as the
 * storage-event function will read it once both are uploaded to the tenant's first upload folder.
 */
export function readJobFile(file: string, cwd: string, settings: Settings, tenant: string): JobFileResult {
  const doc = readJobDocument(file, cwd);
  if (!doc.ok) return doc;
  const path = resolve(cwd, file);
  const fields = doc.value as Record<string, unknown>;
  if ('main' in fields || !isUploadJobFile(path)) return prepareJob(doc.value, settings, { tenant, source: { kind: 'cli', ref: file } });

  const target = tenantById(settings, tenant)?.tenant.intake.scriptUploads[0];
  if (!target) {
    return fail([
      {
        path: 'main',
        expected: 'a string (required)',
        found: 'nothing',
        hint: `${basename(path)} beside main.py is an upload's job file, and tenant ${tenant} has no upload folder (intake.scriptUploads) to read it from`,
      },
    ]);
  }
  const refused: Problem[] = uploadJobFileProblems(fields);
  if (refused.length > 0) return fail(refused);
  const place = uploadPlace(target, jobNameOf(resolve(dirname(path), 'main.py')), basename(path));
  const built = uploadSpec(fields, place, undefined);
  if (!built.ok) return fail(built.reasons.map((reason) => ({ path: '(file)', expected: reason })));
  return { ...prepareJob(built.spec, settings, { tenant, source: { kind: 'cli', ref: file } }), asUpload: place.mainUri };
}

/**
 * For the commands that launch a spec as it is (submit, publish): a job file of an upload folder
 * has no main of its own, so say what to do with it instead of "main: required".
 */
export function uploadJobFileRefusal(file: string, cwd: string, doc: unknown): Problem | undefined {
  const path = resolve(cwd, file);
  if (typeof doc !== 'object' || doc === null || 'main' in doc || !isUploadJobFile(path)) return undefined;
  const script = join(dirname(file), 'main.py');
  const spec = ['spec.yaml', 'spec.yml', 'spec.json'].map((name) => join(dirname(file), name)).find((f) => existsSync(resolve(cwd, f)));
  return {
    path: 'main',
    expected: 'a job spec that names its main script',
    found: `${basename(path)} beside main.py: an upload's job file, whose main is the uploaded main.py`,
    hint: `start it with \`spark-dispatch upload ${script}\`; to launch it from here, use a spec with main${spec ? `: ${spec}` : ''}`,
  };
}
