import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SCRIPTS } from '../../src/cli/commands/start.js';
import { uploadSpec } from '../../src/domain/intake/uploadSidecar.js';
import { parseDocument } from '../../src/domain/spec/document.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { renderObjects } from '../../src/domain/render/render.js';
import { loadSettings } from '../../src/settings/loadSettings.js';
import { declaredArguments } from '../../dev/kube-standin/scriptArguments.js';
import { settingsWith } from '../support/fixtures.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
const files = walk('examples');
/** Job folders: main.py with its upload job file beside it. */
const jobFolders = files.filter((f) => f.endsWith('/main.py')).map(dirname);
const uploadJobFiles = files.filter((f) => /\/job\.(ya?ml|json)$/.test(f));
/** Whole job specs (they name their main): for validate, render, submit and publish. */
const specs = files.filter((f) => /\/spec\.(ya?ml|json)$/.test(f) || /^examples\/stalled\/.*\.ya?ml$/.test(f));
const scripts = files.filter((f) => f.endsWith('.py'));

const read = (file: string): Record<string, unknown> => {
  const doc = parseDocument(readFileSync(file, 'utf8'), file);
  if (!doc.ok) throw new Error(doc.problems.map(problemToString).join('\n'));
  return doc.value as Record<string, unknown>;
};
const localSettings = (() => {
  const r = loadSettings({ env: {}, configFile: 'examples/settings/local.yaml', readFile: (p) => readFileSync(p, 'utf8') });
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value.settings;
})();
const uploads = localSettings.tenants.default!.intake.scriptUploads[0]!;

describe('examples', () => {
  it('include a word count and more than one job', () => {
    expect(jobFolders).toContain('examples/wordcount');
    expect(specs).toContain('examples/wordcount/spec.yaml');
    expect(jobFolders.length).toBeGreaterThanOrEqual(2);
  });

  it('every job folder holds main.py and an upload job file beside it; no job file is anywhere else', () => {
    expect(uploadJobFiles.map(dirname).sort()).toEqual([...jobFolders].sort());
  });

  it.each(specs)('%s validates and renders with both backends', (file) => {
    const job = prepareJob(read(file), settingsWith(), { tenant: 'default', source: { kind: 'cli', ref: file } });
    if (!job.ok) throw new Error(job.problems.map(problemToString).join('\n'));
    expect(renderObjects(job.value, 'native').map((o) => o.kind)).toEqual(['Pod', 'ConfigMap', 'Service']);
    expect(renderObjects(job.value, 'operator').map((o) => o.kind)).toEqual(['SparkApplication']);
  });

  it.each(uploadJobFiles)('%s works beside its upload: no main, no jobKey, and the spec it makes is valid', (file) => {
    const fields = read(file);
    expect(fields).not.toHaveProperty('main');
    expect(fields).not.toHaveProperty('jobKey');
    const job = basename(dirname(file));
    const folderUri = `abfss://${uploads.filesystem}@${uploads.account}.dfs.core.windows.net/${uploads.prefix}${job}/`;
    const built = uploadSpec(fields, { jobName: job, mainUri: `${folderUri}main.py`, folderUri, sidecarRef: file }, `upload:${job}`);
    if (!built.ok) throw new Error(built.reasons.join('\n'));
    const prepared = prepareJob(built.spec, localSettings, { tenant: 'default', source: { kind: 'script-upload', ref: file } });
    if (!prepared.ok) throw new Error(prepared.problems.map(problemToString).join('\n'));
  });

  it.each(jobFolders.filter((d) => files.some((f) => f.startsWith(`${d}/spec.`))))(
    '%s: its spec is its upload job file plus main (and a job key), where the local stack keeps the script',
    (dir) => {
      const spec = read(files.find((f) => f.startsWith(`${dir}/spec.`))!);
      const main = String(spec.main);
      const folderUri = main.slice(0, main.lastIndexOf('/') + 1);
      const built = uploadSpec(
        read(files.find((f) => f.startsWith(`${dir}/job.`))!),
        { jobName: basename(dir), mainUri: main, folderUri, sidecarRef: 'job.yaml' },
        spec.jobKey as string | undefined,
      );
      expect(built).toEqual({ ok: true, spec });
      expect(EXAMPLE_SCRIPTS.map((s) => `abfss://${s.filesystem}@${s.account}.dfs.core.windows.net/${s.path}`)).toContain(main);
    },
  );

  it.each(scripts)('%s is valid Python', (file) => {
    // Compiles without running: PySpark is not needed to check syntax.
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', file]);
  });

  it.each(jobFolders)('%s/main.py declares the arguments it checks, and its job file and spec give exactly that many', (dir) => {
    const script = readFileSync(`${dir}/main.py`, 'utf8');
    const declared = declaredArguments(script);
    expect(declared, 'a "# spark-dispatch-example: args=N" line').toBeDefined();
    // The script's own check: `if len(argv) != N` and its usage line, which the simulated driver prints.
    expect(script).toContain(`if len(argv) != ${declared!.min}:`);
    expect(declared!.usage).toMatch(/^usage: main\.py /);
    for (const file of files.filter((f) => f.startsWith(`${dir}/job.`) || f.startsWith(`${dir}/spec.`))) {
      expect((read(file).args as unknown[]).length, file).toBe(declared!.min);
    }
  });

  it("each spec's main script is an example script the local stack keeps where the spec names it", () => {
    const kept = new Map(
      EXAMPLE_SCRIPTS.map((s) => [`abfss://${s.filesystem}@${s.account}.dfs.core.windows.net/${s.path}`, `examples/${s.file}`]),
    );
    for (const file of specs) {
      const main = String(read(file).main);
      expect(files, `${file}: ${main}`).toContain(kept.get(main));
      expect(declaredArguments(readFileSync(kept.get(main)!, 'utf8'))?.min, file).toBe((read(file).args as unknown[]).length);
    }
    for (const template of Object.values(localSettings.tenants.default!.intake.templates))
      expect([...kept.keys()]).toContain(template.main);
  });
});
