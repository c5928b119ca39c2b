/**
 * A throw-away Azurite blob service for integration tests: in memory, on a free port, one per
 * test file. Azurite is a devDependency, so this works in a fresh clone after `npm ci`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Azurite {
  /** Connection string for the well-known development account `devstoreaccount1`. */
  readonly connectionString: string;
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  readonly blobEndpoint: string;
  /** Its process (the bench reads its CPU time). */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

/** The published development key of Azurite and the storage emulator (not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const START_TIMEOUT_MS = 20_000;

/** The blob service's entry point, resolved from the package (node_modules/.bin holds shell shims on Windows). */
function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('azurite/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: Record<string, string> };
  const relative = manifest.bin?.['azurite-blob'] ?? 'dist/src/blob/main.js';
  return join(dirname(manifestPath), relative);
}

/**
 * Runs Azurite inside a small watchdog: Azurite exits when its stdin closes, which happens when
 * close() ends it and also when the test process dies without calling close() (a crashed or
 * killed worker), so no Azurite is ever left running.
 */
const WATCHDOG = [
  'const [main, ...rest] = process.argv.slice(1);',
  'process.argv = [process.argv[0], main, ...rest];',
  "process.stdin.on('end', () => process.exit(0));",
  "process.stdin.on('error', () => process.exit(0));",
  'process.stdin.resume();',
  'require(main);',
].join('\n');

export async function startAzurite(): Promise<Azurite> {
  const args = [
    azuriteBlobMain(),
    '--inMemoryPersistence',
    '--silent',
    '--disableTelemetry',
    // Current SDKs send an x-ms-version newer than Azurite knows; without this it answers InvalidHeaderValue.
    '--skipApiVersionCheck',
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
  ];
  // cwd is Azurite's default workspace (--location); in memory it writes nothing, but never the repo.
  const child = spawn(process.execPath, ['-e', WATCHDOG, ...args], { cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    // With --silent Azurite still prints "Azurite Blob service successfully listens on http://127.0.0.1:PORT".
    child.stdout.on('data', (chunk: Buffer) => {
      if (output.length > 64 * 1024) return;
      output += chunk.toString('utf8');
      const match = /successfully listens on https?:\/\/[^\s:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (output.length > 64 * 1024) return;
      output += chunk.toString('utf8');
    });
    child.once('error', (error) => fail(error));
    child.once('exit', (code, signal) => fail(new Error(`Azurite exited (code ${code}, signal ${signal}) before listening:\n${output}`)));
  });
  // Keep draining the pipes so a chatty Azurite can never block on a full pipe.
  child.stdout.resume();
  child.stderr.resume();

  const blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  try {
    await untilAnswering(blobEndpoint);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint};`,
    blobEndpoint,
    pid: child.pid,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Any HTTP answer (an unauthenticated list is refused with 403) means the service is up. */
async function untilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${url}?comp=list`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Azurite at ${url} does not answer`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
