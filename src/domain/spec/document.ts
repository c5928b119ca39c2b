/**
 * Job specs and settings arrive as JSON or YAML text. YAML is read with the 1.2 core schema
 * (so `no` stays a string), duplicate keys are errors, and alias expansion is bounded so a
 * "billion laughs" document cannot exhaust memory.
 */
import { parse as parseYaml } from 'yaml';
import { fail, ok, type Result } from './problem.js';

export const MAX_DOCUMENT_BYTES = 256 * 1024;

export function parseDocument(text: string, origin: string): Result<unknown> {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES) {
    return fail([{ path: '(root)', expected: `a document of at most ${MAX_DOCUMENT_BYTES / 1024} KiB`, found: `${Math.ceil(bytes / 1024)} KiB` }]);
  }
  const isJsonFile = origin.toLowerCase().endsWith('.json');
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both and refuses duplicate keys in both
    // (JSON.parse would silently keep the last one). A .json file gets JSON's own syntax check
    // first, for the clearer message.
    if (isJsonFile) JSON.parse(text);
    const value: unknown = parseYaml(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return fail([{ path: '(root)', expected: 'a mapping of fields (a JSON object or YAML map)', found: value === null ? 'an empty document' : describeKind(value) }]);
    }
    return ok(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return fail([{ path: '(root)', expected: isJsonFile ? 'valid JSON' : 'valid YAML or JSON', found: `a syntax error: ${reason}` }]);
  }
}

function describeKind(value: unknown): string {
  return Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
