/**
 * The body of a job message on the Service Bus queue. Three forms:
 *  1. a job spec, as in a job file;
 *  2. `{ "template": "<name>", "parameters": {…}, "jobKey"?: "…" }`: a named job template from
 *     settings, its `{placeholders}` filled with the parameters;
 *  3. a job spec without `main` but with `"script": { "content": "…", "fileName"?: "main.py" }`:
 *     a small script passed inline (as orchestrators pass a main_script.py), staged in ADLS by the
 *     dispatcher and loaded by the driver over abfss like any other.
 */
import { z } from 'zod';
import { boundsProblem, MAX_DOCUMENT_BYTES, sizeExpected } from './bounds.js';
import { parseDocument } from './document.js';
import { fillPlaceholders } from '../intake/placeholders.js';
import { describeValue, fail, ok, type Problem, type Result } from './problem.js';
import { decodeUtf8, notUtf8, textFault } from './text.js';
import { problemsFromZod } from './zodProblems.js';

export interface InlineScript {
  readonly content: string;
  readonly fileName: string;
}

export interface JobRequest {
  /** The job spec to validate (main filled in later for inline scripts). */
  readonly spec: Record<string, unknown>;
  readonly inlineScript?: InlineScript;
  /** The template a message named, for the ledger. */
  readonly template?: string;
}

const TemplateMessageSchema = z.strictObject({
  template: z.string().min(1, 'a template name'),
  parameters: z.record(z.string(), z.string()).default({}),
  jobKey: z.string().min(1).max(512).optional(),
  namespace: z.string().optional(),
});

const InlineScriptSchema = z.strictObject({
  content: z.string(),
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.py$/, 'a file name such as main_script.py (letters, digits, _ . -; ending in .py)')
    .default('main.py'),
});

/** Turns a message body (already decoded, or raw text) into a job request, or says why not. */
export function readJobMessage(
  body: unknown,
  templates: Readonly<Record<string, Record<string, unknown>>>,
  maxScriptBytes: number,
): Result<JobRequest> {
  const decoded = decodeBody(body);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail([
      {
        path: '(root)',
        expected: 'a JSON object: a job spec, a template reference or a spec with an inline script',
        found: describeValue(value),
      },
    ]);
  }
  const record = value as Record<string, unknown>;

  if ('template' in record) {
    const parsed = TemplateMessageSchema.safeParse(record);
    if (!parsed.success) return fail(problemsFromZod(parsed.error.issues, record, TemplateMessageSchema));
    const template = templates[parsed.data.template];
    if (!template) {
      return fail([
        {
          path: 'template',
          expected: `a template from settings.intake.templates (${Object.keys(templates).join(', ') || 'none configured'})`,
          found: describeValue(parsed.data.template),
        },
      ]);
    }
    const filled = fillPlaceholders(structuredClone(template), parsed.data.parameters);
    if (filled.unknown.length > 0) {
      return fail(
        filled.unknown.map((name) => ({
          path: `parameters.${name}`,
          expected: `a value for the template placeholder {${name}}`,
          found: 'nothing',
        })),
      );
    }
    const spec = { ...(filled.value as Record<string, unknown>) };
    if (parsed.data.jobKey !== undefined) spec.jobKey = parsed.data.jobKey;
    if (parsed.data.namespace !== undefined) spec.namespace = parsed.data.namespace;
    return ok({ spec, template: parsed.data.template });
  }

  if ('script' in record) {
    const { script, ...spec } = record;
    const problems: Problem[] = [];
    const parsed = InlineScriptSchema.safeParse(script);
    if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues, script, InlineScriptSchema, ['script']));
    if ('main' in spec)
      problems.push({
        path: 'main',
        expected: 'no main with an inline script (the dispatcher stages the script and sets main)',
        found: describeValue(spec.main),
      });
    if (parsed.success) {
      const bytes = Buffer.byteLength(parsed.data.content, 'utf8');
      if (bytes === 0) problems.push({ path: 'script.content', expected: 'a non-empty Python script', found: 'an empty string' });
      if (bytes > maxScriptBytes)
        problems.push({
          path: 'script.content',
          expected: `a script of at most ${maxScriptBytes} bytes (larger scripts belong in ADLS: use main)`,
          found: `${bytes} bytes`,
        });
      // Scripts are text: tabs and newlines are fine, other control characters and bidi tricks are not.
      const fault = textFault(parsed.data.content.replace(/[\t\n\r]/g, ''));
      if (fault)
        problems.push({ path: 'script.content', expected: 'Python source text without control or invisible characters', found: fault });
    }
    if (problems.length > 0 || !parsed.success) return fail(problems);
    return ok({ spec, inlineScript: parsed.data });
  }

  return ok({ spec: record });
}

/**
 * Service Bus hands bodies over as objects (JSON the host or the SDK decoded, or an AMQP value),
 * strings or bytes, depending on the sender. Whatever the form, its size and nesting are checked
 * before anything that recurses reads it (zod, structuredClone, JSON.stringify, the placeholder filler).
 */
function decodeBody(body: unknown): Result<unknown> {
  if (body instanceof Uint8Array) {
    if (body.length > MAX_DOCUMENT_BYTES) {
      return fail([{ path: '(root)', expected: sizeExpected('a message'), found: `${Math.ceil(body.length / 1024)} KiB` }]);
    }
    const text = decodeUtf8(body);
    if (!text.ok) return fail([{ path: '(root)', expected: 'a JSON message in UTF-8 text', ...notUtf8(text, body) }]);
    return parseDocument(text.text, 'message.json');
  }
  if (typeof body === 'string') return parseDocument(body, 'message.json');
  const problem = boundsProblem(body, 'a message');
  return problem ? fail([problem]) : ok(body);
}
