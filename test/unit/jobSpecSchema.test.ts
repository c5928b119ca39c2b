import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { JOB_SPEC_SCHEMA_PATH, jobSpecSchemaText } from '../../src/cli/commands/schema.js';
import { parseJobSpec } from '../../src/domain/spec/jobSpec.js';
import { parseDocument } from '../../src/domain/spec/document.js';

describe('schemas/job-spec.schema.json', () => {
  it('is exactly what the zod schema generates (run `npm run schema` after changing the spec)', () => {
    expect(readFileSync(JOB_SPEC_SCHEMA_PATH, 'utf8')).toBe(jobSpecSchemaText());
  });

  it('agrees with the zod schema on the examples and on structural mistakes', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(JOB_SPEC_SCHEMA_PATH, 'utf8')) as object);
    for (const file of ['examples/wordcount/job.yaml', 'examples/daily-sales/job.json']) {
      const doc = parseDocument(readFileSync(file, 'utf8'), file);
      if (!doc.ok) throw new Error(file);
      expect(validate(doc.value), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(parseJobSpec(doc.value).ok).toBe(true);
    }
    for (const bad of [{ name: 'x' }, { name: 'x', main: 'local:///a.py', colour: 1 }, { name: 'x', main: 'local:///a.py', backend: 'yarn' }, { name: 'x', main: 'local:///a.py', executor: { instances: -1 } }]) {
      expect(validate(bad)).toBe(false);
      expect(parseJobSpec(bad).ok).toBe(false);
    }
  });
});
