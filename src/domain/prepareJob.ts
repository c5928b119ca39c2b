/**
 * From a raw document (already parsed from JSON or YAML) to a resolved job: schema first, then
 * policy. Shared by the CLI, the queue handler and the storage-event handler.
 */
import { parseJobSpec } from './jobSpec.js';
import type { Result } from './problem.js';
import { resolveJob, type ResolvedJob, type ResolveOptions } from './resolveJob.js';
import type { Settings } from '../settings/settingsSchema.js';

export function prepareJob(raw: unknown, settings: Settings, options: ResolveOptions): Result<ResolvedJob> {
  const spec = parseJobSpec(raw);
  return spec.ok ? resolveJob(spec.value, settings, options) : spec;
}
