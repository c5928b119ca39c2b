/**
 * One hostile input in this (fresh) process: `node --import tsx test/support/freshCaseProcess.ts <case>`.
 * Runs the exported function handler, as the Functions host would on a cold worker, on in-memory
 * ports, then prints one JSON line (a CaseReport) with what the ledger holds. If the process dies
 * instead, the exit code says so (134 for a V8 fatal error). See freshInputs.ts.
 */
import functions from '@azure/functions';
import { makeJobMessagesHandler } from '../../src/triggers/jobMessagesHandler.js';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { blobCreated } from './blobEvents.js';
import { settingsWith } from './fixtures.js';
import type { CaseReport } from './freshInputs.js';
import { memoryDeps } from './memoryPorts.js';

const ACCOUNT = 'sparkdispatchdemo';
const MAIN = `abfss://jobs@${ACCOUNT}.dfs.core.windows.net/fresh/main.py`;

const nestedObject = (levels: number, leaf: unknown = 'x {date}'): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
const nestedList = (levels: number, leaf: unknown = 'x'): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};
const aliasBomb = (() => {
  const names = 'abcdefghi'.split('');
  let doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < names.length; i++)
    doc += `${names[i]}: &${names[i]} [${Array(10)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  return doc;
})();
const aliasDepth = (() => {
  const list = (inner: string) => `${'['.repeat(120)}${inner}${']'.repeat(120)}`;
  let doc = `a0: &a0 ${list('x')}\n`;
  for (let i = 1; i < 5; i++) doc += `a${i}: &a${i} ${list(`*a${i - 1}`)}\n`;
  return doc;
})();

/** The body of each message case, or the event, or the job.yaml of an upload. */
function input(id: string): { message: unknown } | { event: unknown } | { sidecar: string | Buffer } {
  switch (id) {
    case 'json-text-1000':
      return { message: `${'['.repeat(1000)}${']'.repeat(1000)}` };
    case 'json-text-40000':
      return { message: `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}` };
    case 'json-bytes-5000':
      return { message: Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`) };
    case 'yaml-flow-3000':
      return { message: `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}` };
    case 'yaml-block-seq-5000':
      return { message: `${'- '.repeat(5000)}x\n` };
    case 'yaml-block-map-600':
      return { message: Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ` x\n` };
    case 'decoded-1000':
      return { message: { name: 'fresh', main: MAIN, extra: nestedObject(1000) } };
    case 'decoded-100000':
      return { message: nestedObject(100_000) };
    case 'decoded-template-parameters':
      return { message: { template: 'daily-report', parameters: nestedObject(5000) } };
    case 'decoded-amqp-list':
      return { message: nestedList(20_000, Buffer.from('binary')) };
    case 'wide-text':
      return { message: JSON.stringify({ name: 'fresh', main: MAIN, args: Array.from({ length: 200_000 }, (_, i) => `a${i}`) }) };
    case 'wide-decoded':
      return { message: { name: 'fresh', main: MAIN, args: Array.from({ length: 1_000_000 }, (_, i) => i) } };
    case 'wide-bytes':
      return { message: Buffer.alloc(10 * 1024 * 1024, 0x20) };
    case 'event-deep':
      return {
        event: withData(blobCreated('jobs', 'uploads/fresh/main.py', '0x8DC0F1B5F2D3A10'), { storageDiagnostics: nestedObject(100_000) }),
      };
    case 'event-deep-no-id': {
      const { id: _id, ...event } = withData(blobCreated('jobs', 'uploads/fresh/main.py', '0x8DC0F1B5F2D3A10'), {
        storageDiagnostics: nestedList(5000),
      });
      return { event };
    }
    case 'event-wide':
      return {
        event: withData(blobCreated('jobs', 'uploads/fresh/main.py', '0x8DC0F1B5F2D3A10'), {
          storageDiagnostics: Array.from({ length: 1_000_000 }, () => 'x'),
        }),
      };
    case 'sidecar-flow-5000':
      return { sidecar: `args: ${'['.repeat(5000)}${']'.repeat(5000)}\n` };
    case 'sidecar-block-1000':
      return { sidecar: `args:\n${'- '.repeat(1000)}x\n` };
    case 'sidecar-alias-depth':
      return { sidecar: aliasDepth };
    case 'sidecar-alias-bomb':
      return { sidecar: aliasBomb };
    case 'sidecar-large':
      return { sidecar: `args: [${Array.from({ length: 150_000 }, (_, i) => `"a${i}"`).join(', ')}]\n` };
    default:
      throw new Error(`unknown case ${id}`);
  }
}

function withData<T extends { data: Record<string, unknown> }>(event: T, data: Record<string, unknown>): T {
  return { ...event, data: { ...event.data, ...data } };
}

async function main(id: string): Promise<CaseReport> {
  const settings = settingsWith({
    intake: {
      scriptUploads: [{ account: ACCOUNT, filesystem: 'jobs', prefix: 'uploads/' }],
      templates: { 'daily-report': { name: 'daily-report', main: MAIN, args: ['--date', '{date}'] } },
    },
  });
  const deps = memoryDeps(settings);
  const what = input(id);
  const context = new functions.InvocationContext({
    invocationId: `fresh-${id}`,
    functionName: 'message' in what ? 'jobMessages' : 'storageEvents',
    logHandler: () => {},
    triggerMetadata: { messageId: id, deliveryCount: 1 },
  });
  let settled = true;
  let error: string | undefined;
  try {
    if ('message' in what) await makeJobMessagesHandler(async () => deps)(what.message, context);
    else if ('event' in what) await makeStorageEventsHandler(async () => deps)([what.event] as never, context);
    else {
      const folder = { account: ACCOUNT, filesystem: 'jobs' };
      deps.files.put({ ...folder, path: 'uploads/fresh/job.yaml' }, what.sidecar);
      const eTag = deps.files.put({ ...folder, path: 'uploads/fresh/main.py' }, 'print("fresh")\n');
      await makeStorageEventsHandler(async () => deps)([blobCreated('jobs', 'uploads/fresh/main.py', eTag)] as never, context);
    }
  } catch (e) {
    settled = false;
    error = e instanceof Error ? `${e.name}: ${e.message.slice(0, 300)}` : String(e);
  }
  const records = [...deps.ledger.records.values()].map((r) => ({
    key: r.jobKey,
    state: r.state,
    reasons: r.reasons ?? [],
    payloadBytes: Buffer.byteLength(r.payload ?? ''),
  }));
  return { id, settled, ...(error ? { error } : {}), records };
}

const id = process.argv[2];
if (id === undefined) {
  process.stderr.write('usage: freshCaseProcess.ts <case id>\n');
  process.exit(2);
}
const report = await main(id);
process.stdout.write(`${JSON.stringify(report)}\n`);
