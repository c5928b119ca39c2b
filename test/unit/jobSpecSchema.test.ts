import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JOB_SPEC_SCHEMA_PATH, jobSpecSchemaText } from '../../src/cli/commands/schema.js';
import { keyedRecord, parseJobSpec } from '../../src/domain/spec/jobSpec.js';
import { parseDocument } from '../../src/domain/spec/document.js';

describe('schemas/job-spec.schema.json', () => {
  it('is exactly what the zod schema generates (run `npm run schema` after changing the spec)', () => {
    expect(readFileSync(JOB_SPEC_SCHEMA_PATH, 'utf8')).toBe(jobSpecSchemaText());
  });

  it('agrees with the zod schema on the examples and on structural mistakes', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(JOB_SPEC_SCHEMA_PATH, 'utf8')) as object);
    for (const file of ['examples/wordcount/spec.yaml', 'examples/daily-sales/spec.json']) {
      const doc = parseDocument(readFileSync(file, 'utf8'), file);
      if (!doc.ok) throw new Error(file);
      expect(validate(doc.value), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(parseJobSpec(doc.value).ok).toBe(true);
    }
    for (const bad of [
      { name: 'x' },
      { name: 'x', main: 'local:///a.py', colour: 1 },
      { name: 'x', main: 'local:///a.py', backend: 'yarn' },
      { name: 'x', main: 'local:///a.py', executor: { instances: -1 } },
    ]) {
      expect(validate(bad)).toBe(false);
      expect(parseJobSpec(bad).ok).toBe(false);
    }
  });
});

describe('keyedRecord (maps with checked keys, shared by job specs and settings)', () => {
  const labels = keyedRecord(/^[a-z]+$/, 'a lower-case key', z.string().min(1, 'a non-empty string'), { maxEntries: 2, what: 'labels' });

  it("reports a bad key together with its value's problem, and too many entries", () => {
    const r = labels.safeParse({ Bad: '', ok: 'x', more: 'y' });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['Bad', 'a non-empty string'],
        ['Bad', 'a lower-case key'],
        ['', 'at most 2 labels'],
      ]),
    );
  });

  it('without maxEntries, has no limit', () => {
    const unbounded = keyedRecord(/^[a-z]+$/, 'a lower-case key', z.string());
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => ['a'.repeat(i + 1), 'v']));
    expect(unbounded.safeParse(many).success).toBe(true);
  });

  it('says only "not a map" for a list, without checking its indexes as keys', () => {
    const r = labels.safeParse(['a', 'b', 'c']);
    expect(r.error!.issues.map((i) => i.code)).toEqual(['invalid_type']);
  });
});

// Item "A main script ending in `.PY` (any non-lower-case extension) is accepted, but Spark's isPython
// is case-sensitive: the driver treats it as a JAR". Follows apache/spark
// core/src/main/scala/org/apache/spark/deploy/SparkSubmit.scala (`isPython(res) = res != null &&
// res.endsWith(".py") || res == PYSPARK_SHELL`, unchanged from 1.x through the 3.5 and 4.0 lines),
// core/src/main/scala/org/apache/spark/deploy/PythonRunner.scala (`resolvePyFiles`: only
// `pyFile.endsWith(".py")` is copied into a PYTHONPATH directory, anything else is put on the
// PYTHONPATH as it is; read at a 3.x/4.x-line revision) and python/pyspark/context.py (3.5;
// python/pyspark/core/context.py in 4.0): `filename[-4:].lower() in PACKAGE_EXTENSIONS`, (".zip",
// ".egg", ".jar"), so archives work in any case.
describe('a main script ending in .PY is accepted, but Spark isPython is case-sensitive', () => {
  const ROOT = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net';
  const problemsOf = (spec: Record<string, unknown>) => {
    const parsed = parseJobSpec({ name: 'x', main: `${ROOT}/job/main.py`, ...spec });
    return parsed.ok ? [] : parsed.problems;
  };

  it.each(['main.PY', 'main.Py', 'main.pY'])('main %s is refused with a hint to rename it to .py', (file) => {
    expect(problemsOf({ main: `${ROOT}/job/${file}` })).toEqual([
      expect.objectContaining({
        path: 'main',
        hint: expect.stringMatching(/case-sensitive ".py" \(SparkSubmit\.isPython\) and would start ".*" as a JAR; rename it to main\.py/),
      }),
    ]);
    expect(problemsOf({ main: `local:///opt/app/${file}` })).toHaveLength(1);
  });

  it.each(['helpers.PY', 'helpers.Py'])('py-file %s is refused with a hint to rename it to .py', (file) => {
    expect(problemsOf({ pyFiles: [`${ROOT}/lib/${file}`] })).toEqual([
      expect.objectContaining({ path: 'pyFiles[0]', hint: expect.stringContaining('rename it to helpers.py') }),
    ]);
  });

  it('lower-case .py, and .zip and .egg in any case, are what Spark takes', () => {
    expect(problemsOf({ main: `${ROOT}/job/main.py` })).toEqual([]);
    expect(problemsOf({ pyFiles: ['a.py', 'b.zip', 'c.ZIP', 'd.egg', 'e.Egg'].map((f) => `${ROOT}/lib/${f}`) })).toEqual([]);
    // A directory named like a script does not make the file one.
    expect(problemsOf({ main: `${ROOT}/job.py/main.PY` })).toHaveLength(1);
    expect(problemsOf({ pyFiles: [`${ROOT}/lib/deps.jar`] })).toEqual([
      expect.objectContaining({ path: 'pyFiles[0]', hint: 'a file ending in .py, .zip, .egg' }),
    ]);
  });
});
