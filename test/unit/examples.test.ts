import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/domain/spec/document.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { renderObjects } from '../../src/domain/render/render.js';
import { settingsWith } from '../support/fixtures.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
const files = walk('examples');
const jobFiles = files.filter((f) => /\/job\.(ya?ml|json)$/.test(f));
const scripts = files.filter((f) => f.endsWith('.py'));

describe('examples', () => {
  it('include a word count and more than one job', () => {
    expect(jobFiles).toContain('examples/wordcount/job.yaml');
    expect(jobFiles.length).toBeGreaterThanOrEqual(2);
  });

  it.each(jobFiles)('%s validates and renders with both backends', (file) => {
    const doc = parseDocument(readFileSync(file, 'utf8'), file);
    if (!doc.ok) throw new Error(doc.problems.map(problemToString).join('\n'));
    const job = prepareJob(doc.value, settingsWith(), { tenant: 'default', source: { kind: 'cli', ref: file } });
    if (!job.ok) throw new Error(job.problems.map(problemToString).join('\n'));
    expect(renderObjects(job.value, 'native').map((o) => o.kind)).toEqual(['Pod', 'ConfigMap', 'Service']);
    expect(renderObjects(job.value, 'operator').map((o) => o.kind)).toEqual(['SparkApplication']);
  });

  it.each(scripts)('%s is valid Python', (file) => {
    // Compiles without running: PySpark is not needed to check syntax.
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', file]);
  });

  it('each job\'s main script is one of the example scripts (its folder and file name)', () => {
    for (const file of jobFiles) {
      const doc = parseDocument(readFileSync(file, 'utf8'), file);
      if (!doc.ok) throw new Error(file);
      const main = String((doc.value as { main: string }).main);
      const [folder, script] = main.split('/').slice(-2);
      expect(files, `${file}: ${main}`).toContain(`examples/${folder}/${script}`);
    }
  });
});
