/**
 * A TCP proxy in front of a local server (Azurite) that a test can take down: while down, every
 * open connection is reset and new ones are refused at once, as a storage outage looks to a client.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FaultyProxy {
  readonly port: number;
  down(): void;
  up(): void;
  readonly isDown: boolean;
  /** Connections refused or reset while down. */
  readonly refused: number;
  /** HTTP requests passed through, by method (request lines seen in what clients sent): the bench counts storage operations per job with it. */
  readonly requests: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS']);
const VERSION = Buffer.from(' HTTP/1.');
const CRLF = Buffer.from('\r\n');

/**
 * The methods of the request lines in what a client sent ("PUT /path HTTP/1.1\r\n"), found with
 * Buffer.indexOf rather than a regular expression over the chunk as text: the bench pushes every
 * storage request through here, and the proxy's CPU is charged to the process it measures.
 */
function requestMethods(chunk: Buffer): string[] {
  const methods: string[] = [];
  for (let at = chunk.indexOf(VERSION); at >= 0; at = chunk.indexOf(VERSION, at + VERSION.length)) {
    if (chunk.indexOf(CRLF, at) !== at + VERSION.length + 1) continue;
    const lineStart = chunk.lastIndexOf(CRLF, at);
    const line = chunk.toString('latin1', lineStart < 0 ? 0 : lineStart + CRLF.length, at);
    const space = line.indexOf(' ');
    const method = line.slice(0, space);
    if (space > 0 && METHODS.has(method) && line[space + 1] === '/' && !line.includes(' ', space + 1)) methods.push(method);
  }
  return methods;
}

export async function startFaultyProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultyProxy> {
  const sockets = new Set<Socket>();
  let isDown = false;
  let refused = 0;
  const requests: Record<string, number> = {};
  const server: Server = createServer((client) => {
    if (isDown) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      for (const method of requestMethods(chunk)) requests[method] = (requests[method] ?? 0) + 1;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    down() {
      isDown = true;
      for (const s of sockets) {
        refused++;
        s.resetAndDestroy();
      }
    },
    up() {
      isDown = false;
    },
    get isDown() {
      return isDown;
    },
    get refused() {
      return refused;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
