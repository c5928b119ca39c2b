import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_DOCUMENT_BYTES, parseDocument } from '../domain/spec/document.js';
import { prepareJob } from '../domain/spec/prepareJob.js';
import { fail, type Result } from '../domain/spec/problem.js';
import type { ResolvedJob } from '../domain/spec/resolveJob.js';
import type { Settings } from '../settings/settingsSchema.js';

/** Reads and parses one job file (size-checked); every problem is a value, never a throw. */
export function readJobDocument(file: string, cwd: string): Result<unknown> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    if (statSync(path).size > MAX_DOCUMENT_BYTES) {
      return fail([{ path: '(file)', expected: `a job file of at most ${MAX_DOCUMENT_BYTES / 1024} KiB`, found: `${Math.ceil(statSync(path).size / 1024)} KiB` }]);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return fail([{ path: '(file)', expected: 'a readable JSON or YAML job file', found: code === 'ENOENT' ? 'no such file' : code }]);
  }
  return parseDocument(text, file);
}

/** Reads, parses and resolves one job file for a tenant; every problem is a value, never a throw. */
export function readJobFile(file: string, cwd: string, settings: Settings, tenant: string): Result<ResolvedJob> {
  const doc = readJobDocument(file, cwd);
  return doc.ok ? prepareJob(doc.value, settings, { tenant, source: { kind: 'cli', ref: file } }) : doc;
}
