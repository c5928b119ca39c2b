/**
 * The script-upload convention's job file: `job.yaml` (or job.yml, job.json) beside `main.py` in a
 * job folder holds any job spec field but `main` (the uploaded main.py is the main) and `jobKey`
 * (the upload itself is the key: the file's URL and eTag). py-files may be listed relative to the
 * folder. One pure function builds the spec, so the storage-event function, `spark-dispatch upload`
 * and `spark-dispatch validate` read a job file the same way.
 */

/** The names a job file beside main.py may have, in the order they are looked for. */
export const SIDECAR_FILES: readonly string[] = ['job.yaml', 'job.yml', 'job.json'];

/** The largest job file read beside an upload. */
export const MAX_SIDECAR_BYTES = 64 * 1024;

export interface UploadPlace {
  /** The job's name when the job file has none: the job folder's name. */
  readonly jobName: string;
  /** abfss URI of the uploaded main.py. */
  readonly mainUri: string;
  /** abfss URI of the job folder, with a trailing `/`. */
  readonly folderUri: string;
  /** The job file's name as the messages show it, e.g. `uploads/wordcount/job.yaml`. */
  readonly sidecarRef: string;
}

export type UploadSpec = { readonly ok: true; readonly spec: Record<string, unknown> } | { readonly ok: false; readonly reasons: string[] };

/** The fields a job file beside main.py may not set, and why. */
export function sidecarRefusals(sidecar: Readonly<Record<string, unknown>>, ref: string): string[] {
  const refusals: string[] = [];
  if ('main' in sidecar)
    refusals.push(`${ref}: main is the uploaded main.py; remove it (a job file beside an upload holds every other field)`);
  if ('jobKey' in sidecar) refusals.push(`${ref}: the job key is the upload itself (URL + eTag); remove jobKey`);
  return refusals;
}

/** The job spec an upload of main.py makes, with the job file beside it (`{}` when there is none). */
export function uploadSpec(sidecar: Readonly<Record<string, unknown>>, place: UploadPlace, jobKey: string | undefined): UploadSpec {
  const refusals = sidecarRefusals(sidecar, place.sidecarRef);
  if (refusals.length > 0) return { ok: false, reasons: refusals };
  const pyFiles = Array.isArray(sidecar.pyFiles)
    ? sidecar.pyFiles.map((f) => (typeof f === 'string' && isRelative(f) ? `${place.folderUri}${f.replace(/^\.\//, '')}` : f))
    : sidecar.pyFiles;
  return {
    ok: true,
    spec: {
      name: place.jobName,
      ...sidecar,
      ...(pyFiles === undefined ? {} : { pyFiles }),
      main: place.mainUri,
      ...(jobKey === undefined ? {} : { jobKey }),
    },
  };
}

/** A py-file listed relative to the job folder (`lib/x.zip`, `./x.py`), not a URI. */
export function isRelative(file: string): boolean {
  return !file.includes('://');
}
