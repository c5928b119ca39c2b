import { describe, expect, it } from 'vitest';
import { uploadSpec } from '../../src/domain/intake/uploadSidecar.js';

const place = {
  jobName: 'wordcount',
  mainUri: 'abfss://jobs@acct.dfs.core.windows.net/uploads/wordcount/main.py',
  folderUri: 'abfss://jobs@acct.dfs.core.windows.net/uploads/wordcount/',
  sidecarRef: 'uploads/wordcount/job.yaml',
};

describe('the job file beside an upload', () => {
  it('gives args and resources; main is the upload, the name the folder, relative py-files are in the folder', () => {
    const built = uploadSpec(
      { args: ['a', 'b'], driver: { memory: '2g' }, pyFiles: ['lib.zip', './x.py', 'abfss://jobs@acct.dfs.core.windows.net/shared/y.zip'] },
      place,
      'k',
    );
    expect(built).toEqual({
      ok: true,
      spec: {
        name: 'wordcount',
        args: ['a', 'b'],
        driver: { memory: '2g' },
        pyFiles: [`${place.folderUri}lib.zip`, `${place.folderUri}x.py`, 'abfss://jobs@acct.dfs.core.windows.net/shared/y.zip'],
        main: place.mainUri,
        jobKey: 'k',
      },
    });
  });

  it('keeps a name of its own; no job file is an upload with no arguments', () => {
    expect(uploadSpec({ name: 'wc' }, place, 'k')).toMatchObject({ ok: true, spec: { name: 'wc', main: place.mainUri } });
    expect(uploadSpec({}, place, undefined)).toEqual({ ok: true, spec: { name: 'wordcount', main: place.mainUri } });
  });

  it('refuses main and jobKey, naming the file', () => {
    expect(uploadSpec({ main: 'abfss://x', jobKey: 'y' }, { ...place, sidecarRef: 'uploads/wordcount/job.json' }, 'k')).toEqual({
      ok: false,
      reasons: [
        'uploads/wordcount/job.json: main is the uploaded main.py; remove it (a job file beside an upload holds every other field)',
        'uploads/wordcount/job.json: the job key is the upload itself (URL + eTag); remove jobKey',
      ],
    });
  });
});
