/**
 * The script-upload convention seen from a local folder: a job folder holds main.py and, beside it,
 * an optional job file (job.yaml, job.yml or job.json) without `main`, and py-files it lists
 * relative to the folder. `upload` sends such a folder; `validate` and `render` read its job file
 * as the storage-event function will once it is uploaded.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SIDECAR_FILES, type UploadPlace } from '../domain/intake/uploadSidecar.js';
import { sanitizeName } from '../domain/render/naming.js';
import { describeValue, type Problem } from '../domain/spec/problem.js';

export const SCRIPT_FILE = 'main.py';

export interface UploadTarget {
  readonly account: string;
  readonly filesystem: string;
  /** Normalised by the settings: `uploads/`, or `` for the whole filesystem. */
  readonly prefix: string;
}

/** Where an upload of job `jobName` goes: its folder, and the URIs the function will see. */
export function uploadPlace(
  target: UploadTarget,
  jobName: string,
  sidecarFile = SIDECAR_FILES[0]!,
): UploadPlace & { readonly folder: string } {
  const folder = `${target.prefix}${jobName}`;
  const folderUri = `abfss://${target.filesystem}@${target.account}.dfs.core.windows.net/${folder}/`;
  return { folder, jobName, folderUri, mainUri: `${folderUri}${SCRIPT_FILE}`, sidecarRef: `${folder}/${sidecarFile}` };
}

/** The job's name from a local script: its folder's name for main.py, else the file's name. */
export function jobNameOf(scriptPath: string): string {
  return sanitizeName(basename(scriptPath) === SCRIPT_FILE ? basename(dirname(scriptPath)) : basename(scriptPath, '.py'), 63);
}

/** The job file beside a script, in the order the function looks for one; undefined when there is none. */
export function jobFileBeside(scriptPath: string): string | undefined {
  return SIDECAR_FILES.map((name) => join(dirname(scriptPath), name)).find((path) => existsSync(path) && statSync(path).isFile());
}

/** A job file of an upload folder: named as the convention names it, with main.py beside it. */
export function isUploadJobFile(path: string): boolean {
  return SIDECAR_FILES.includes(basename(path)) && existsSync(join(dirname(path), SCRIPT_FILE));
}

/** What a job file beside main.py may not hold, as problems (the function refuses both). */
export function uploadJobFileProblems(doc: Readonly<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  if ('main' in doc)
    problems.push({
      path: 'main',
      expected: 'no main in a job file beside main.py: the uploaded main.py is the main',
      found: describeValue(doc.main),
      hint: 'remove main (spec.yaml-style files that name their main are for submit and publish)',
    });
  if ('jobKey' in doc)
    problems.push({
      path: 'jobKey',
      expected: 'no jobKey in a job file beside main.py: the upload itself (URL + eTag) is the job key',
      found: describeValue(doc.jobKey),
    });
  return problems;
}
