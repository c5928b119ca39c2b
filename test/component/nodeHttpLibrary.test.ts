/**
 * The node:http library under client-node (nodeHttpLibrary) against real local servers: what goes
 * on the wire, what comes back (decoded, headers as fetch gave them), and that its failures
 * (timeout, refused or cut connections, TLS) are classified by toDispatchError as node-fetch's were.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDispatchError } from '../../src/adapters/kubernetes/kubeErrors.js';
import { nodeHttpLibrary } from '../../src/adapters/kubernetes/nodeHttpLibrary.js';

const library = nodeHttpLibrary(k8s);

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly remotePort: number | undefined;
}

// A list page big enough that a real API server would compress it.
const BIG = JSON.stringify({
  kind: 'PodList',
  items: Array.from({ length: 400 }, (_, i) => ({ metadata: { name: `pod-${i}`, labels: { app: 'spark', 'ü-check': 'é' } } })),
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function context(url: string, method: k8s.HttpMethod, setup: (c: k8s.RequestContext) => void = () => undefined): k8s.RequestContext {
  const c = new k8s.RequestContext(url, method);
  setup(c);
  return c;
}

const send = (c: k8s.RequestContext) => library.send(c).toPromise();
const failureOf = (c: k8s.RequestContext) =>
  send(c).then(
    () => expect.fail('the request should have failed'),
    (error: unknown) => error,
  );

describe('over http', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, remotePort: req.socket.remotePort });
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/echo') {
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('X-Repeat', ['one', 'two']);
          res.setHeader('Set-Cookie', ['a=1', 'b=2']);
          res.end(JSON.stringify({ got: JSON.parse(body || 'null') as unknown }));
        } else if (path === '/gzip') {
          const packed = zlib.gzipSync(BIG);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': packed.length });
          res.end(packed);
        } else if (path === '/deflate' || path === '/deflate-raw') {
          const packed = path === '/deflate' ? zlib.deflateSync(BIG) : zlib.deflateRawSync(BIG);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' });
          res.end(packed);
        } else if (path === '/conflict') {
          res.writeHead(409, { 'Content-Type': 'application/json', 'Retry-After': '2' });
          res.end(JSON.stringify({ kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'pods "a" already exists' }));
        } else if (path === '/redirect') {
          res.writeHead(302, { Location: '/echo' });
          res.end();
        } else if (path === '/stall-head') {
          // Never answers: the client's signal has to end it.
        } else if (path === '/stall-body') {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 1000 });
          res.write('{"kind":');
        } else if (path === '/cut') {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 1000 });
          res.write('{"kind":', () => res.socket?.destroy());
        } else {
          res.writeHead(404).end();
        }
      });
    });
    base = `http://${await listen(server)}`;
  });
  afterAll(() => close(server));

  it('sends method, headers and the JSON body with its length, through the agent it is given, and reads status, headers and body', async () => {
    seen.length = 0;
    const agent = new http.Agent({ keepAlive: true });
    const post = () =>
      context(`${base}/echo?dryRun=All`, k8s.HttpMethod.POST, (c) => {
        c.setHeaderParam('Content-Type', 'application/json');
        c.setHeaderParam('Authorization', 'Bearer t');
        c.setBody(JSON.stringify({ name: 'ünïcode' }));
        c.setAgent(agent);
      });
    const answer = await send(post());
    expect(answer.httpStatusCode).toBe(200);
    expect(JSON.parse(await answer.body.text())).toEqual({ got: { name: 'ünïcode' } });
    expect((await answer.body.binary()).toString('utf8')).toBe(await answer.body.text());
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['x-repeat']).toBe('one, two');
    expect(answer.headers['set-cookie']).toBe('a=1, b=2');
    expect(Object.keys(answer.headers).every((name) => name === name.toLowerCase())).toBe(true);

    expect(seen[0]).toMatchObject({ method: 'POST', url: '/echo?dryRun=All', body: '{"name":"ünïcode"}' });
    expect(seen[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"name":"ünïcode"}')),
      authorization: 'Bearer t',
      'accept-encoding': 'gzip',
      'user-agent': 'spark-dispatch',
    });
    // The keep-alive agent passed in carries the second request on the same connection.
    await (await send(post())).body.text();
    expect(seen[1]?.remotePort).toBe(seen[0]?.remotePort);
    agent.destroy();
  });

  it("keeps the caller's Accept-Encoding and User-Agent, and a POST without a body says so with a zero length", async () => {
    seen.length = 0;
    await send(
      context(`${base}/echo`, k8s.HttpMethod.POST, (c) => {
        c.setHeaderParam('accept-encoding', 'identity');
        c.setHeaderParam('User-Agent', 'probe/1');
      }),
    );
    expect(seen[0]?.headers['accept-encoding']).toBe('identity');
    expect(seen[0]?.headers['user-agent']).toBe('probe/1');
    expect(seen[0]?.headers['content-length']).toBe('0');
    expect(seen[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it.each(['/gzip', '/deflate', '/deflate-raw'])('decodes a compressed answer (%s)', async (path) => {
    const answer = await send(context(`${base}${path}`, k8s.HttpMethod.GET));
    expect(answer.httpStatusCode).toBe(200);
    const text = await answer.body.text();
    expect(text).toBe(BIG);
    expect(answer.headers['content-encoding']).toBe(path === '/gzip' ? 'gzip' : 'deflate');
  });

  it("gives a non-2xx answer's status, headers and body as they are, for kubeErrors to map", async () => {
    const answer = await send(context(`${base}/conflict`, k8s.HttpMethod.POST, (c) => c.setBody('{}')));
    expect(answer.httpStatusCode).toBe(409);
    expect(answer.headers['retry-after']).toBe('2');
    const body = await answer.body.text();
    expect(JSON.parse(body)).toMatchObject({ reason: 'AlreadyExists' });
    const failure = toDispatchError({ code: answer.httpStatusCode, body, headers: answer.headers }, 'create pod/a');
    expect(failure).toMatchObject({ kind: 'already-exists', message: 'create pod/a: pods "a" already exists', retryAfterMs: 2000 });
  });

  it('returns a redirect as its status rather than following it', async () => {
    seen.length = 0;
    const answer = await send(context(`${base}/redirect`, k8s.HttpMethod.GET, (c) => c.setHeaderParam('Authorization', 'Bearer t')));
    expect(answer.httpStatusCode).toBe(302);
    expect(answer.headers.location).toBe('/echo');
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it.each(['/stall-head', '/stall-body'])('a signal that fires (%s) aborts the request: a retryable timeout, as before', async (path) => {
    const started = Date.now();
    const error = await failureOf(context(`${base}${path}`, k8s.HttpMethod.GET, (c) => c.setSignal(AbortSignal.timeout(150))));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ name: 'AbortError', type: 'aborted' });
    const failure = toDispatchError(error, 'read pod/a');
    expect(failure).toMatchObject({ kind: 'timeout', retryable: true, message: 'read pod/a: no answer from the API server in time' });
  });

  it('a signal that has already fired sends nothing', async () => {
    seen.length = 0;
    const controller = new AbortController();
    controller.abort();
    const error = await failureOf(context(`${base}/echo`, k8s.HttpMethod.GET, (c) => c.setSignal(controller.signal)));
    expect(toDispatchError(error, 'x').kind).toBe('timeout');
    expect(seen).toEqual([]);
  });

  it('a connection cut in the middle of the answer is a retryable network failure', async () => {
    const error = await failureOf(context(`${base}/cut`, k8s.HttpMethod.GET));
    expect(error).toMatchObject({ type: 'system' });
    const failure = toDispatchError(error, 'read pod/a');
    expect(failure).toMatchObject({ kind: 'network', retryable: true });
    expect(failure.message).toMatch(/^read pod\/a: Invalid response body while trying to fetch http:\/\/127\.0\.0\.1:\d+\/cut: /);
  });
});

describe('without a server', () => {
  it('connection refused is a retryable network failure naming the address', async () => {
    const spare = http.createServer();
    const address = await listen(spare);
    await close(spare);
    const error = await failureOf(context(`http://${address}/api/v1/namespaces/x/pods`, k8s.HttpMethod.GET));
    expect(error).toMatchObject({ type: 'system', code: 'ECONNREFUSED', errno: 'ECONNREFUSED' });
    const failure = toDispatchError(error, 'list pods in x');
    expect(failure).toMatchObject({ kind: 'network', retryable: true });
    expect(failure.message).toBe(
      `list pods in x: request to http://${address}/api/v1/namespaces/x/pods failed, reason: connect ECONNREFUSED ${address}`,
    );
  });
});

// A self-signed certificate for 127.0.0.1 needs a tool to make it; openssl is there on CI and most machines.
const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!openssl)('over https (a self-signed certificate made with openssl)', () => {
  let server: https.Server;
  let base: string;
  let cert: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-https-'));
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr.toString()}`);
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    server = https.createServer({ cert, key }, (req, res) => {
      const packed = zlib.gzipSync(BIG);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'X-Saw-Auth': req.headers.authorization ?? '' });
      res.end(packed);
    });
    base = `https://${await listen(server)}`;
  });
  afterAll(() => close(server));

  it('sends through the TLS agent it is given (the CA from the kubeconfig) and decodes the gzip answer', async () => {
    const answer = await send(
      context(`${base}/api/v1/pods`, k8s.HttpMethod.GET, (c) => {
        c.setHeaderParam('Authorization', 'Bearer t');
        c.setAgent(new https.Agent({ ca: cert }));
      }),
    );
    expect(answer.httpStatusCode).toBe(200);
    expect(answer.headers['x-saw-auth']).toBe('Bearer t');
    expect(await answer.body.text()).toBe(BIG);
  });

  it('a certificate the agent does not trust is refused, and classified as a network failure as node-fetch gave it', async () => {
    const error = await failureOf(context(`${base}/api/v1/pods`, k8s.HttpMethod.GET, (c) => c.setAgent(new https.Agent())));
    expect(error).toMatchObject({ type: 'system', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(toDispatchError(error, 'x')).toMatchObject({ kind: 'network', retryable: true });
  });
});
