/**
 * Deep and oversized inputs, each run in a freshly started Node process, as a cold Functions
 * worker meets its first message. A process that has run a while has compiled the regular
 * expressions its code uses; a fresh one compiles each on first use, and a stack overflow during
 * that compilation is not a RangeError but a fatal V8 error (exit 134). A test in a warm process
 * cannot see that, so each case gets a process of its own: it runs the exported function handler
 * with a real InvocationContext on in-memory ports, and reports what the ledger holds.
 *
 * `runFreshCase` starts the process (test/support/freshCaseProcess.ts); `freshInputsScenario` runs
 * them all and counts, for the integration test and `npm run soak`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MAX_ALIAS_COUNT, MAX_DOCUMENT_BYTES, MAX_NESTING } from '../../src/domain/spec/bounds.js';

export type Via = 'message' | 'event' | 'upload';

export interface FreshCase {
  readonly id: string;
  readonly via: Via;
  readonly what: string;
  /** The reason recorded in the ledger must name the limit it broke. */
  readonly limit: RegExp;
}

const NESTING = new RegExp(`nested at most ${MAX_NESTING} levels deep`);
const SIZE = new RegExp(`at most ${MAX_DOCUMENT_BYTES / 1024} KiB`);
const SIDECAR_SIZE = /a job file of at most 64 KiB/;
const ALIASES = new RegExp(`YAML aliases \\(\\*name\\) expand at most ${MAX_ALIAS_COUNT} times`);

export const FRESH_CASES: readonly FreshCase[] = [
  { id: 'json-text-1000', via: 'message', what: 'a 2 KB JSON message of 1,000 nested arrays', limit: NESTING },
  { id: 'json-text-40000', via: 'message', what: '40,000 nested JSON objects as text (200 KB)', limit: NESTING },
  { id: 'json-bytes-5000', via: 'message', what: '5,000 nested arrays as bytes', limit: NESTING },
  { id: 'yaml-flow-3000', via: 'message', what: '3,000 nested YAML flow maps', limit: NESTING },
  { id: 'yaml-block-seq-5000', via: 'message', what: '5,000 nested YAML block sequences', limit: NESTING },
  { id: 'yaml-block-map-600', via: 'message', what: '600 YAML block maps nested by indentation', limit: NESTING },
  { id: 'decoded-1000', via: 'message', what: 'an already-decoded body 1,000 deep', limit: NESTING },
  { id: 'decoded-100000', via: 'message', what: 'an already-decoded body 100,000 deep', limit: NESTING },
  { id: 'decoded-template-parameters', via: 'message', what: 'a template message whose parameters are 5,000 deep', limit: NESTING },
  { id: 'decoded-amqp-list', via: 'message', what: 'an AMQP-decoded list of lists 20,000 deep, binary at the bottom', limit: NESTING },
  { id: 'wide-text', via: 'message', what: 'a 2 MB JSON message one level deep', limit: SIZE },
  { id: 'wide-decoded', via: 'message', what: 'an already-decoded body with 1,000,000 arguments', limit: SIZE },
  { id: 'wide-bytes', via: 'message', what: '10 MB of bytes', limit: SIZE },
  { id: 'event-deep', via: 'event', what: 'a storage event with a field 100,000 deep', limit: NESTING },
  { id: 'event-deep-no-id', via: 'event', what: 'a storage event without id, 5,000 deep', limit: NESTING },
  { id: 'event-wide', via: 'event', what: 'a storage event with 1,000,000 items', limit: SIZE },
  { id: 'sidecar-flow-5000', via: 'upload', what: 'a job.yaml of 5,000 nested flow lists', limit: NESTING },
  { id: 'sidecar-block-1000', via: 'upload', what: 'a job.yaml of 1,000 nested block sequences', limit: NESTING },
  { id: 'sidecar-alias-depth', via: 'upload', what: 'a 1.3 KB job.yaml whose aliases nest 601 deep', limit: NESTING },
  { id: 'sidecar-alias-bomb', via: 'upload', what: 'a job.yaml alias bomb (10⁹ strings once expanded)', limit: ALIASES },
  { id: 'sidecar-large', via: 'upload', what: 'a job.yaml of 1 MB', limit: SIDECAR_SIZE },
];

/** What the fresh process reports on stdout (one JSON line) before it exits. */
export interface CaseReport {
  readonly id: string;
  /** The handler resolved (the message is completed, the event batch acknowledged). */
  readonly settled: boolean;
  readonly error?: string;
  readonly records: readonly {
    readonly key: string;
    readonly state: string;
    readonly reasons: readonly string[];
    readonly payloadBytes: number;
  }[];
}

export interface FreshOutcome {
  readonly id: string;
  /** null when the process was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly report?: CaseReport;
  /** The end of stderr: a V8 fatal error says why there. */
  readonly stderr: string;
  readonly ms: number;
}

const CHILD = fileURLToPath(new URL('./freshCaseProcess.ts', import.meta.url));

/** Runs one case in a new Node process (tsx for TypeScript, the default stack size). */
export function runFreshCase(id: string, timeoutMs = 60_000): Promise<FreshOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, id], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{"id":'));
      resolve({
        id,
        exitCode,
        signal,
        ...(line ? { report: JSON.parse(line) as CaseReport } : {}),
        stderr,
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/** What went wrong with a case, or undefined when it was recorded as rejected with a reason naming its limit. */
export function caseFailure(c: FreshCase, o: FreshOutcome): string | undefined {
  if (o.exitCode !== 0)
    return `${c.id}: the process died (exit ${o.exitCode ?? o.signal}): ${o.stderr.split('\n').find((l) => /FATAL|Error/.test(l)) ?? o.stderr.slice(-300)}`;
  if (!o.report) return `${c.id}: no report from the process`;
  if (!o.report.settled) return `${c.id}: the handler threw (${o.report.error ?? '?'}), so the input would come again`;
  const records = o.report.records;
  if (records.length !== 1) return `${c.id}: ${records.length} ledger records (expected one)`;
  const record = records[0]!;
  if (record.state !== 'rejected') return `${c.id}: recorded as ${record.state}`;
  if (!record.reasons.some((r) => c.limit.test(r)))
    return `${c.id}: no reason names the limit (${c.limit.source}): ${record.reasons.join(' | ').slice(0, 300)}`;
  return undefined;
}

export interface FreshInputsResult {
  readonly inputs: number;
  readonly rejectedWithReason: number;
  /** Processes that died: must be 0. */
  readonly crashes: number;
  /** Inputs not recorded as rejected with a reason naming the limit (the handler threw, or the ledger has nothing): must be 0. */
  readonly lost: number;
  readonly failures: readonly string[];
  readonly seconds: number;
  /** The slowest single process, start to exit. */
  readonly slowestMs: number;
  readonly outcomes: readonly FreshOutcome[];
}

/** Every case in its own process, `parallel` at a time. */
export async function freshInputsScenario(parallel = 3, cases: readonly FreshCase[] = FRESH_CASES): Promise<FreshInputsResult> {
  const started = performance.now();
  const outcomes: FreshOutcome[] = new Array<FreshOutcome>(cases.length);
  let nextIndex = 0;
  const worker = async () => {
    for (let i = nextIndex++; i < cases.length; i = nextIndex++) outcomes[i] = await runFreshCase(cases[i]!.id);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, cases.length) }, worker));
  const failures = cases.map((c, i) => caseFailure(c, outcomes[i]!)).filter((f): f is string => f !== undefined);
  const crashes = outcomes.filter((o) => o.exitCode !== 0).length;
  return {
    inputs: cases.length,
    rejectedWithReason: cases.length - failures.length,
    crashes,
    lost: failures.length - crashes,
    failures,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    slowestMs: Math.max(...outcomes.map((o) => o.ms)),
    outcomes,
  };
}
