import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jobSpecJsonSchema } from '../../domain/spec/jobSpec.js';
import type { Command } from '../command.js';
import { EXIT } from '../cliIo.js';

export const JOB_SPEC_SCHEMA_PATH = 'schemas/job-spec.schema.json';

export const jobSpecSchemaText = (): string => `${JSON.stringify(jobSpecJsonSchema(), null, 2)}\n`;

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of a job spec (for editors and other tools)',
  usage: '[--write]',
  options: { write: { type: 'boolean', description: `write it to ${JOB_SPEC_SCHEMA_PATH} instead of printing it` } },
  async run(args, io) {
    if (args.values.write === true) {
      writeFileSync(resolve(io.cwd, JOB_SPEC_SCHEMA_PATH), jobSpecSchemaText());
      io.stdout.write(`wrote ${JOB_SPEC_SCHEMA_PATH}\n`);
    } else io.stdout.write(jobSpecSchemaText());
    return EXIT.ok;
  },
};
