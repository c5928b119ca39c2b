/**
 * Issue "From nothing to a first real job", item 2: the CLI reaches a real deployment from a
 * laptop. The adapters take the credential their caller gives (the Functions: the managed
 * identity; the CLI: a chain with `az login` first), --storage-account and --servicebus point at a
 * deployment, and a missing sign-in or role says what to do. Fake credentials and a fake HTTP
 * transport for the storage SDK: no network, no login.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as identity from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/adapters/kubernetes/loadKubeConfig.js';
import { createServiceBusClient, toServiceBusError } from '../../src/adapters/serviceBus/serviceBusClient.js';
import { explainAccess } from '../../src/cli/cliAzure.js';
import { credentialChain, principalOf, signInLinks, type CredentialLink } from '../../src/cli/cliCredential.js';
import type { AzureHooks } from '../../src/cli/cliIo.js';
import { loadCliSettings } from '../../src/cli/loadCliSettings.js';
import { main } from '../../src/cli/main.js';
import { ledgerBlobName, logBlobName } from '../../src/adapters/blob/blobLedger.js';
import { DispatchError } from '../../src/shared/errors.js';
import { KubernetesSettingsSchema } from '../../src/settings/settingsSchema.js';
import { fakeCredential, fakeJwt, unavailable } from '../support/credentials.js';
import { fakeBlobHttp, storageErrorAnswer, type FakeAnswer, type SeenRequest } from '../support/fakeBlobHttp.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A folder with no local stack running and, if given, a settings file. */
function workdir(settings?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sd-signin-'));
  dirs.push(dir);
  if (settings !== undefined) writeFileSync(join(dir, 'settings.yaml'), settings);
  return dir;
}

const ALICE = {
  oid: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
  tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  upn: 'alice@contoso.com',
  idtyp: 'user',
};
const PIPELINE = {
  oid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  tid: ALICE.tid,
  appid: '5b4c3a2e-1d0f-4e9a-8b7c-6d5e4f3a2b1c',
  idtyp: 'app',
};
const STORAGE_SCOPE = 'https://storage.azure.com/.default';

async function cli(argv: string[], cwd: string, azure: AzureHooks, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    cwd,
    azure,
  });
  return { code, stdout, stderr };
}

const link = (name: string, credential: TokenCredential): CredentialLink => ({ name, make: () => credential });

describe('the sign-in chain: az login first, then environment, workload identity, managed identity', () => {
  it('builds its links in that order; the managed identity probes IMDS first, as DefaultAzureCredential does', () => {
    const links = signInLinks(identity, '00000000-0000-0000-0000-000000000009');
    expect(links.map((l) => l.name)).toEqual([
      'Azure CLI (az login)',
      'environment (AZURE_CLIENT_ID with a secret or certificate)',
      'workload identity (AZURE_FEDERATED_TOKEN_FILE)',
      'managed identity',
    ]);
    expect(links[0]!.make()).toBeInstanceOf(identity.AzureCliCredential);
    expect(links[1]!.make()).toBeInstanceOf(identity.EnvironmentCredential);
    const managed = links[3]!.make();
    expect(managed).toBeInstanceOf(identity.ManagedIdentityCredential);
    // The internal option this relies on: an upgrade of @azure/identity that drops it fails here.
    expect(Reflect.get(managed, 'sendProbeRequest')).toBe(true);
    expect(Reflect.get(managed, 'clientId')).toBe('00000000-0000-0000-0000-000000000009');
  });

  it('passes over a way in that has nothing, keeps the first that gives a token, and tells who it was issued to', async () => {
    const cli = fakeCredential(
      ALICE,
      unavailable("Please run 'az login' from a command prompt to authenticate before using this credential."),
    );
    const env = fakeCredential(PIPELINE);
    const managed = fakeCredential(ALICE);
    const chain = credentialChain([link('Azure CLI (az login)', cli), link('environment', env), link('managed identity', managed)]);
    expect(chain.signedIn()).toBeUndefined();
    await chain.getToken(STORAGE_SCOPE);
    await chain.getToken('https://servicebus.azure.net/.default');
    expect([cli.asked, env.asked, managed.asked]).toEqual([[STORAGE_SCOPE], [STORAGE_SCOPE, 'https://servicebus.azure.net/.default'], []]);
    expect(chain.signedIn()).toEqual({ kind: 'ServicePrincipal', objectId: PIPELINE.oid, name: PIPELINE.appid, tenantId: PIPELINE.tid });
  });

  it('a way in that is set up but fails (a wrong secret) stops the chain with its own error', async () => {
    const wrong = new Error('AADSTS7000215: Invalid client secret provided.');
    wrong.name = 'AuthenticationError';
    const managed = fakeCredential(ALICE);
    const chain = credentialChain([link('environment', fakeCredential(PIPELINE, wrong)), link('managed identity', managed)]);
    await expect(chain.getToken(STORAGE_SCOPE)).rejects.toBe(wrong);
    expect(managed.asked).toEqual([]);
  });

  it('with no way in, says to run `az login`, with what each one answered, in order', async () => {
    const chain = credentialChain([
      link(
        'Azure CLI (az login)',
        fakeCredential({}, unavailable("Please run 'az login' from a command prompt to authenticate before using this credential.")),
      ),
      link(
        'environment',
        fakeCredential(
          {},
          unavailable(
            'EnvironmentCredential is unavailable. No underlying credential could be used.\nTo troubleshoot, visit https://aka.ms/…',
          ),
        ),
      ),
      {
        name: 'workload identity',
        make: () => {
          throw unavailable('WorkloadIdentityCredential: is unavailable. clientId is a required parameter.');
        },
      },
      link(
        'managed identity',
        fakeCredential({}, unavailable('ManagedIdentityCredential: Attempted to use the IMDS endpoint, but it is not available.')),
      ),
    ]);
    const error = await chain.getToken(STORAGE_SCOPE).then(
      () => new Error('expected no token'),
      (e: unknown) => e as Error,
    );
    expect(error.name).toBe('NoCredentialError');
    expect(error.message).toBe(
      [
        "no Azure sign-in found: run `az login` (and `az account set --subscription <id>` for the deployment's subscription); in a pipeline, azure/login or AZURE_CLIENT_ID with a secret, certificate or federated token. Tried, in this order:",
        "  - Azure CLI (az login): Please run 'az login' from a command prompt to authenticate before using this credential.",
        '  - environment: EnvironmentCredential is unavailable. No underlying credential could be used.',
        '  - workload identity: WorkloadIdentityCredential: is unavailable. clientId is a required parameter.',
        '  - managed identity: ManagedIdentityCredential: Attempted to use the IMDS endpoint, but it is not available.',
      ].join('\n'),
    );
  });

  it('reads who a token is for from its claims: a user, an application, nothing from a non-JWT', () => {
    expect(principalOf(fakeJwt(ALICE))).toEqual({ kind: 'User', objectId: ALICE.oid, name: 'alice@contoso.com', tenantId: ALICE.tid });
    expect(principalOf(fakeJwt({ oid: 'x', appid: 'app-1', app_displayname: 'orders-pipeline' }))).toEqual({
      kind: 'ServicePrincipal',
      objectId: 'x',
      name: 'orders-pipeline',
    });
    expect(principalOf('opaque-token')).toBeUndefined();
    expect(principalOf('a.!!!.b')).toBeUndefined();
  });
});

describe('the adapters use the credential they are given, never one of their own', () => {
  it("Service Bus: a namespace asks the caller for the settings' identity; a connection string asks nothing", async () => {
    const asked: (string | undefined)[] = [];
    const credentialFor = async (clientId?: string) => {
      asked.push(clientId);
      return fakeCredential(ALICE);
    };
    const viaNamespace = await createServiceBusClient(
      { fullyQualifiedNamespace: 'contoso-spark.servicebus.windows.net', jobQueue: 'spark-jobs', maxDeliveryCount: 10 },
      credentialFor,
      '00000000-0000-0000-0000-000000000001',
    );
    expect(viaNamespace.fullyQualifiedNamespace).toBe('contoso-spark.servicebus.windows.net');
    await viaNamespace.close();
    const viaKey = await createServiceBusClient(
      {
        connectionString: 'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;UseDevelopmentEmulator=true',
        jobQueue: 'spark-jobs',
        maxDeliveryCount: 10,
      },
      credentialFor,
    );
    await viaKey.close();
    expect(asked).toEqual(['00000000-0000-0000-0000-000000000001']);
  });

  it('Service Bus: no token is not a blip to retry', () => {
    const error = toServiceBusError(
      Object.assign(new Error('no Azure sign-in found: run `az login`'), { name: 'NoCredentialError' }),
      'send to queue spark-jobs',
    );
    expect(error).toMatchObject({ kind: 'unauthorized', retryable: false });
    expect(error.message).toBe('send to queue spark-jobs: no Service Bus token could be obtained: no Azure sign-in found: run `az login`');
  });

  it("AKS with Entra ID: the token for the AKS server application comes from the caller, for the settings' identity", async () => {
    const auth = KubernetesSettingsSchema.parse({
      auth: {
        mode: 'aks-entra',
        apiUrl: 'https://contoso-aks.hcp.westeurope.azmk8s.io:443',
        caData: Buffer.from('ca').toString('base64'),
        managedIdentityClientId: '00000000-0000-0000-0000-000000000002',
      },
    }).auth;
    const alice = fakeCredential(ALICE);
    const asked: (string | undefined)[] = [];
    const kc = await loadKubeConfig(auth, { credentialFor: async (clientId) => (asked.push(clientId), alice) });
    const options = await kc.applyToFetchOptions({});
    // node-fetch's Headers, as client-node sends them.
    const headers: unknown = options.headers;
    expect((headers as { get(name: string): string | null }).get('authorization')).toBe(`Bearer ${fakeJwt(ALICE)}`);
    expect(asked).toEqual(['00000000-0000-0000-0000-000000000002']);
    expect(alice.asked).toEqual(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);
    await expect(loadKubeConfig(auth)).rejects.toMatchObject({
      kind: 'configuration',
      message: expect.stringContaining('aks-entra needs an Azure credential'),
    });
  });
});

// A ledger record as the Functions write it, listed with its metadata and then downloaded.
const RECORD = {
  jobKey: 'default/wordcount/2026-11-23',
  state: 'launched',
  namespace: 'spark-jobs',
  name: 'wordcount',
  driverPod: 'wordcount-e9b101feab007f50-driver',
  updatedAt: '2026-11-23T10:00:01.000Z',
  history: [{ at: '2026-11-23T10:00:01.000Z', state: 'launched' }],
};

function ledgerService(request: SeenRequest): FakeAnswer {
  const path = request.url.pathname;
  if (request.method === 'GET' && path === '/spark-dispatch-ledger' && request.url.searchParams.get('comp') === 'list') {
    const name = ledgerBlobName(RECORD.jobKey);
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://sdlake7x2q4.blob.core.windows.net/" ContainerName="spark-dispatch-ledger"><Prefix>jobs/</Prefix><Blobs><Blob><Name>${name}</Name><Properties><Last-Modified>Mon, 23 Nov 2026 10:00:01 GMT</Last-Modified><Etag>0x1</Etag><Content-Length>100</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata><state>launched</state><jobkey>${encodeURIComponent(RECORD.jobKey)}</jobkey><updated>2026-11-23T10:00:01.000Z</updated></Metadata></Blob></Blobs><NextMarker /></EnumerationResults>`,
    };
  }
  if (request.method === 'GET' && path === `/spark-dispatch-ledger/${ledgerBlobName(RECORD.jobKey)}`) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', etag: '"0x1"', 'x-ms-blob-type': 'BlockBlob' },
      body: JSON.stringify(RECORD),
    };
  }
  return storageErrorAnswer(404, 'BlobNotFound', 'The specified blob does not exist.');
}

describe('status, logs and upload reach a deployment with the sign-in (az login)', () => {
  it('status --storage-account: reads the ledger at https://NAME.blob.core.windows.net with a bearer token, no settings file', async () => {
    const alice = fakeCredential(ALICE);
    const http = fakeBlobHttp(ledgerService);
    const r = await cli(['status', '--storage-account', 'sdlake7x2q4'], workdir(), { credential: alice, httpClient: http.httpClient });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/launched\s+wordcount\s+spark-jobs\s+default\/wordcount\/2026-11-23/);
    expect(http.requests.map((q) => `${q.method} ${q.url.host}${q.url.pathname}`)).toEqual([
      'GET sdlake7x2q4.blob.core.windows.net/spark-dispatch-ledger',
      `GET sdlake7x2q4.blob.core.windows.net/spark-dispatch-ledger/${ledgerBlobName(RECORD.jobKey)}`,
    ]);
    for (const q of http.requests) expect(q.authorization).toBe(`Bearer ${fakeJwt(ALICE)}`);
    expect(new Set(alice.asked)).toEqual(new Set([STORAGE_SCOPE]));
  });

  it('a 403 for a missing role names the role, the container and the signed-in user, with the command that grants it', async () => {
    const http = fakeBlobHttp(() =>
      storageErrorAnswer(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      ),
    );
    const r = await cli(['status', '--storage-account', 'sdlake7x2q4'], workdir(), {
      credential: fakeCredential(ALICE),
      httpClient: http.httpClient,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      [
        'spark-dispatch status: ledger sdlake7x2q4/spark-dispatch-ledger: list the latest records: This request is not authorized to perform this operation using this permission. (request id fake-request-1)',
        `  alice@contoso.com (object id ${ALICE.oid}) has no data role that allows it to read the job ledger on container spark-dispatch-ledger of storage account sdlake7x2q4: it needs Storage Blob Data Reader on the container (or on the account).`,
        '  Someone who may assign roles there (Owner, User Access Administrator or Role Based Access Control Administrator) grants it with:',
        `    az role assignment create --assignee-object-id ${ALICE.oid} --assignee-principal-type User --role "Storage Blob Data Reader" \\`,
        '      --scope "$(az storage account show -n sdlake7x2q4 --query id -o tsv)/blobServices/default/containers/spark-dispatch-ledger"',
        '  A new role assignment takes a few minutes to apply. (Subscription Owner or Contributor alone is not enough: those roles do not read data.)',
        '',
      ].join('\n'),
    );
  });

  it("a 403 from the account's network rules says so, and names no role", async () => {
    const http = fakeBlobHttp(() =>
      storageErrorAnswer(403, 'AuthorizationFailure', 'This request is not authorized to perform this operation.'),
    );
    const r = await cli(['logs', 'wordcount/2026-11-23', '--storage-account', 'sdlake7x2q4'], workdir(), {
      credential: fakeCredential(ALICE),
      httpClient: http.httpClient,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'Storage account sdlake7x2q4 refused the request before looking at roles: its network rules (firewall, private endpoint) do not let this machine in.',
    );
    expect(r.stderr).not.toContain('az role assignment');
  });

  it('without a sign-in: "run `az login`", each way in\'s reason, exit 3, and no "try again"', async () => {
    const nobody = credentialChain([
      link(
        'Azure CLI (az login)',
        fakeCredential({}, unavailable("Please run 'az login' from a command prompt to authenticate before using this credential.")),
      ),
      link(
        'managed identity',
        fakeCredential({}, unavailable('ManagedIdentityCredential: Attempted to use the IMDS endpoint, but it is not available.')),
      ),
    ]);
    const http = fakeBlobHttp(ledgerService);
    const r = await cli(['status', '--storage-account', 'sdlake7x2q4'], workdir(), { credential: nobody, httpClient: http.httpClient });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no storage token could be obtained: no Azure sign-in found: run `az login`');
    expect(r.stderr).toContain(
      "  - Azure CLI (az login): Please run 'az login' from a command prompt to authenticate before using this credential.",
    );
    expect(r.stderr).toContain(
      '  - managed identity: ManagedIdentityCredential: Attempted to use the IMDS endpoint, but it is not available.',
    );
    expect(r.stderr).not.toContain('try again');
    expect(http.requests).toEqual([]);
  });

  it('logs without access to the cluster: the tail the sweeper saved, saying why there is no live log', async () => {
    const saved = 'INFO SparkContext: Running Spark version 4.0.1\nwordcount\t42\n';
    const http = fakeBlobHttp((q) => {
      if (q.method === 'GET' && q.url.pathname === `/spark-dispatch-ledger/${ledgerBlobName(RECORD.jobKey)}`)
        return {
          status: 200,
          headers: { 'content-type': 'application/json', etag: '"0x1"', 'x-ms-blob-type': 'BlockBlob' },
          body: JSON.stringify(RECORD),
        };
      if (q.method === 'GET' && q.url.pathname === `/spark-dispatch-ledger/${logBlobName(RECORD.jobKey)}`)
        return { status: 200, headers: { 'content-type': 'text/plain', etag: '"0x2"', 'x-ms-blob-type': 'BlockBlob' }, body: saved };
      return storageErrorAnswer(404, 'BlobNotFound', 'The specified blob does not exist.');
    });
    const dir = workdir();
    const r = await cli(
      ['logs', 'wordcount/2026-11-23', '--storage-account', 'sdlake7x2q4', '--kubeconfig', join(dir, 'no-such-kubeconfig')],
      dir,
      { credential: fakeCredential(ALICE), httpClient: http.httpClient },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(saved);
    expect(r.stderr).toMatch(
      /^note: no live log from the cluster \(cannot load the Kubernetes configuration \(kubeconfig\): .*no-such-kubeconfig.*\): the tail the sweeper saved follows\n$/,
    );
  });

  const SETTINGS = [
    'namespaces: { team-analytics: {} }',
    'storage:',
    '  accounts: { contosolake: { filesystems: [jobs] } }',
    '  auth: { mode: workload-identity, tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 11111111-1111-1111-1111-111111111111 }',
    'intake:',
    '  scriptUploads: [{ account: contosolake, filesystem: jobs, prefix: uploads/ }]',
    'ledger: { account: contosolake }',
    '',
  ].join('\n');

  it('upload: writes job.yaml then main.py to the upload folder as the signed-in identity', async () => {
    const dir = workdir(SETTINGS);
    writeFileSync(join(dir, 'main.py'), 'print("hello")\n');
    writeFileSync(join(dir, 'job.yaml'), 'name: wordcount\nnamespace: team-analytics\n');
    const http = fakeBlobHttp((q) =>
      q.method === 'PUT'
        ? { status: 201, headers: { etag: '"0x8DCAFE"', 'last-modified': 'Mon, 23 Nov 2026 10:00:01 GMT' } }
        : storageErrorAnswer(400, 'Unexpected', 'unexpected request'),
    );
    const r = await cli(['upload', 'main.py', '--job', 'wordcount', '--job-file', 'job.yaml', '--config', 'settings.yaml'], dir, {
      credential: fakeCredential(ALICE),
      httpClient: http.httpClient,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      http.requests.map((q) => `${q.method} ${q.url.host}${q.url.pathname} ${q.authorization === `Bearer ${fakeJwt(ALICE)}`}`),
    ).toEqual([
      'PUT contosolake.blob.core.windows.net/jobs/uploads/wordcount/job.yaml true',
      'PUT contosolake.blob.core.windows.net/jobs/uploads/wordcount/main.py true',
    ]);
  });

  it('upload refused: Storage Blob Data Contributor on the upload container, for a service principal', async () => {
    const dir = workdir(SETTINGS);
    writeFileSync(join(dir, 'main.py'), 'print("hello")\n');
    const http = fakeBlobHttp(() =>
      storageErrorAnswer(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      ),
    );
    const r = await cli(['upload', 'main.py', '--config', 'settings.yaml'], dir, {
      credential: fakeCredential(PIPELINE),
      httpClient: http.httpClient,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `the service principal ${PIPELINE.appid} (object id ${PIPELINE.oid}) has no data role that allows it to upload scripts on container jobs of storage account contosolake: it needs Storage Blob Data Contributor on the container`,
    );
    expect(r.stderr).toContain(
      `az role assignment create --assignee-object-id ${PIPELINE.oid} --assignee-principal-type ServicePrincipal --role "Storage Blob Data Contributor"`,
    );
    expect(r.stderr).toContain('/blobServices/default/containers/jobs"');
    expect(r.stderr).not.toContain('Check settings.blob');
  });
});

describe('--storage-account and --servicebus point at a deployment', () => {
  it('win over the settings: the ledger account, the namespace with the sign-in (a settings connection string is dropped)', () => {
    const dir = workdir(
      'namespaces: { spark-jobs: {} }\nledger: { account: oldlake }\nserviceBus: { connectionString: "Endpoint=sb://old/;SharedAccessKeyName=k;SharedAccessKey=x" }\n',
    );
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env: {}, cwd: dir };
    const loaded = loadCliSettings(
      { values: { config: 'settings.yaml', 'storage-account': 'sdlake7x2q4', servicebus: 'sd-bus-7x2q4' }, positionals: [] },
      io,
    );
    expect(stderr).toBe('');
    expect(loaded?.settings.ledger).toMatchObject({ account: 'sdlake7x2q4', container: 'spark-dispatch-ledger' });
    expect(loaded?.settings.serviceBus).toMatchObject({ fullyQualifiedNamespace: 'sd-bus-7x2q4.servicebus.windows.net' });
    expect(loaded?.settings.serviceBus.connectionString).toBeUndefined();
    expect(loaded?.origin).toBe(`${join(dir, 'settings.yaml')} + --storage-account + --servicebus`);
    const host = loadCliSettings({ values: { servicebus: 'contoso-spark.servicebus.windows.net' }, positionals: [] }, io);
    expect(host?.settings.serviceBus.fullyQualifiedNamespace).toBe('contoso-spark.servicebus.windows.net');
  });

  it.each([
    [
      ['status', '--storage-account', 'Bad_Name'],
      '--storage-account must be a storage account name (3 to 24 lower-case letters and digits), not "Bad_Name"',
    ],
    [
      ['status', '--servicebus', 'sb'],
      '--servicebus must be a Service Bus namespace (6 to 50 letters, digits and -, starting with a letter) or its host name, not "sb"',
    ],
    [
      ['publish', 'job.yaml', '--servicebus', 'contoso-spark', '--connection-string', 'Endpoint=sb://x/'],
      'give --servicebus (your Azure sign-in) or --connection-string, not both',
    ],
    [
      ['replay', '--servicebus', 'contoso-spark', '--connection-string', 'Endpoint=sb://x/'],
      'give --servicebus (your Azure sign-in) or --connection-string, not both',
    ],
  ])('%j is a usage error', async (argv, message) => {
    const r = await cli(argv, workdir(), { credential: fakeCredential(ALICE) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("publish --servicebus without the deployment's settings says the message is checked against the demo settings", async () => {
    const dir = workdir();
    writeFileSync(
      join(dir, 'job.yaml'),
      'name: etl\nnamespace: team-analytics\nmain: abfss://jobs@contosolake.dfs.core.windows.net/etl/main.py\n',
    );
    const r = await cli(['publish', 'job.yaml', '--servicebus', 'contoso-spark'], dir, { credential: fakeCredential(ALICE) });
    expect(r.code).toBe(1); // refused by the demo policy before anything is sent
    expect(r.stderr).toContain(
      "note: the message is checked against the embedded demo settings, not the deployment's: `spark-dispatch settings pull --app NAME` gets its settings (then --config FILE)",
    );
  });
});

describe('a Service Bus refusal names the role the signed-in identity lacks', () => {
  it('UnauthorizedAccess on send: Azure Service Bus Data Sender on the queue', () => {
    const refused = new DispatchError(
      'unauthorized',
      "send to queue spark-jobs-sales: Unauthorized access. 'Send' claim(s) are required to perform this operation.",
    );
    const explained = explainAccess(
      refused,
      {
        service: 'servicebus',
        doing: 'send job messages',
        namespace: 'contoso-spark.servicebus.windows.net',
        queue: 'spark-jobs-sales',
        role: 'Azure Service Bus Data Sender',
      },
      principalOf(fakeJwt(ALICE)),
    );
    expect(explained).toBeInstanceOf(DispatchError);
    expect((explained as DispatchError).message.split('\n').slice(1)).toEqual([
      `  alice@contoso.com (object id ${ALICE.oid}) may not send job messages on queue spark-jobs-sales of Service Bus namespace contoso-spark: it needs Azure Service Bus Data Sender on the queue (or on the namespace).`,
      '  Someone who may assign roles there grants it with:',
      `    az role assignment create --assignee-object-id ${ALICE.oid} --assignee-principal-type User --role "Azure Service Bus Data Sender" \\`,
      '      --scope "$(az servicebus namespace show -n contoso-spark --query id -o tsv)/queues/spark-jobs-sales"',
      '  A new role assignment takes a few minutes to apply.',
    ]);
    // Without a token there is nobody to name a role for: the sign-in message says what to do.
    const noToken = new DispatchError(
      'unauthorized',
      'send to queue x: no Service Bus token could be obtained: no Azure sign-in found: run `az login`',
    );
    expect(
      explainAccess(
        noToken,
        {
          service: 'servicebus',
          doing: 'send',
          namespace: 'contoso-spark.servicebus.windows.net',
          queue: 'x',
          role: 'Azure Service Bus Data Sender',
        },
        undefined,
      ),
    ).toBe(noToken);
  });
});
