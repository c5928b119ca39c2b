import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobFiles } from '../../src/adapters/blob/blobFiles.js';
import { blobServiceFor } from '../../src/adapters/blob/blobServiceFor.js';
import type { FileLocation, FilesPort } from '../../src/usecases/filesPort.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { fakeCredential, NO_CREDENTIAL } from '../support/credentials.js';

// A logical account name, mapped onto Azurite's devstoreaccount1 by the connection string.
const ACCOUNT = 'sparkdispatchdemo';
const at = (filesystem: string, path: string): FileLocation => ({ account: ACCOUNT, filesystem, path });

let azurite: Azurite;
let files: FilesPort;
let serviceFor: ReturnType<typeof blobServiceFor>;

beforeAll(async () => {
  azurite = await startAzurite();
  serviceFor = blobServiceFor({ accounts: { [ACCOUNT]: { connectionString: azurite.connectionString } } }, NO_CREDENTIAL);
  files = createBlobFiles(serviceFor);
});
afterAll(async () => {
  await azurite?.close();
});

describe('blob files', () => {
  it('writes a text file, creating the filesystem, and reads it back with its etag', async () => {
    const where = at('landing', 'jobs/wordcount/main.py');
    await files.writeText(where, 'print("héllo ✓")\n');
    const read = await files.readText(where, 1024);
    expect(read).toMatchObject({ kind: 'text', text: 'print("héllo ✓")\n' });
    const props = await files.properties(where);
    expect(props).toEqual({ etag: read?.etag, contentLength: Buffer.byteLength('print("héllo ✓")\n') });
    expect(props?.etag).toMatch(/^".+"$/);
  });

  it('keeps the content type it is given', async () => {
    const where = at('landing', 'conf/job.json');
    await files.writeText(where, '{"a":1}', 'application/json');
    const service = await blobServiceFor(
      { accounts: { [ACCOUNT]: { connectionString: azurite.connectionString } } },
      NO_CREDENTIAL,
    )(ACCOUNT);
    expect((await service.getContainerClient('landing').getBlockBlobClient('conf/job.json').getProperties()).contentType).toBe(
      'application/json',
    );
  });

  it('gives a new etag when a file is rewritten', async () => {
    const where = at('landing', 'rewrite.txt');
    await files.writeText(where, 'one');
    const first = await files.properties(where);
    await files.writeText(where, 'two, longer');
    const second = await files.properties(where);
    expect(second?.etag).not.toBe(first?.etag);
    expect(second?.contentLength).toBe(11);
    expect((await files.readText(where, 100))?.etag).toBe(second?.etag);
  });

  it('reads an empty file', async () => {
    const where = at('landing', 'empty.txt');
    await files.writeText(where, '');
    expect(await files.readText(where, 10)).toMatchObject({ kind: 'text', text: '' });
    expect(await files.properties(where)).toMatchObject({ contentLength: 0 });
  });

  it('finds nothing in a missing filesystem or at a missing path', async () => {
    expect(await files.readText(at('no-such-fs', 'a.txt'), 100)).toBeUndefined();
    expect(await files.properties(at('no-such-fs', 'a.txt'))).toBeUndefined();
    expect(await files.list(at('no-such-fs', 'jobs'))).toEqual([]);
    await files.writeText(at('present', 'x.txt'), 'x');
    expect(await files.readText(at('present', 'missing.txt'), 100)).toBeUndefined();
    expect(await files.properties(at('present', 'missing.txt'))).toBeUndefined();
  });

  it('says a file is over maxBytes, with its size and the limit, rather than reading it', async () => {
    const where = at('landing', 'big.py');
    await files.writeText(where, 'x'.repeat(2048));
    expect(await files.readText(where, 2047)).toEqual({
      kind: 'too-large',
      bytes: 2048,
      maxBytes: 2047,
      etag: expect.stringMatching(/^".+"$/),
    });
    expect(await files.readText(where, 2048)).toMatchObject({ kind: 'text', text: 'x'.repeat(2048) });
  });

  it('says where a file stops being UTF-8, and drops a byte-order mark', async () => {
    const container = (await serviceFor(ACCOUNT)).getContainerClient('landing');
    const latin1 = Buffer.from('name: café\n', 'latin1');
    await container.getBlockBlobClient('latin1.yaml').upload(latin1, latin1.length);
    expect(await files.readText(at('landing', 'latin1.yaml'), 100)).toMatchObject({
      kind: 'not-utf8',
      found: 'bytes that are not UTF-8 (from byte 9, 0xe9)',
      hint: 'save it as UTF-8 text',
    });
    const bom = Buffer.from('\ufeffname: x\n');
    await container.getBlockBlobClient('bom.yaml').upload(bom, bom.length);
    expect(await files.readText(at('landing', 'bom.yaml'), 100)).toMatchObject({ kind: 'text', text: 'name: x\n' });
  });

  it('says a directory marker is a directory (a hierarchical-namespace account lists folders as such blobs)', async () => {
    const container = (await serviceFor(ACCOUNT)).getContainerClient('landing');
    await container.getBlockBlobClient('uploads/x/job.yaml').upload('', 0, { metadata: { hdi_isfolder: 'true' } });
    expect(await files.readText(at('landing', 'uploads/x/job.yaml'), 100)).toMatchObject({ kind: 'directory' });
  });

  it('lists the files under a folder, at all depths, sorted', async () => {
    for (const path of [
      'drop/b.csv',
      'drop/a.csv',
      'drop/sub/c.csv',
      'drop/sub/deeper/d.csv',
      'dropping/x.csv',
      'other/y.csv',
      'top.txt',
    ]) {
      await files.writeText(at('lister', path), path);
    }
    const expected = ['drop/a.csv', 'drop/b.csv', 'drop/sub/c.csv', 'drop/sub/deeper/d.csv'];
    expect(await files.list(at('lister', 'drop'))).toEqual(expected);
    expect(await files.list(at('lister', 'drop/'))).toEqual(expected);
    expect(await files.list(at('lister', 'drop/sub'))).toEqual(['drop/sub/c.csv', 'drop/sub/deeper/d.csv']);
    expect(await files.list(at('lister', 'nothing-here'))).toEqual([]);
    expect(await files.list(at('lister', ''))).toHaveLength(7);
  });

  it("reaches an account without a connection string at its endpoint, with the credential the caller gives for the settings' identity", async () => {
    const asked: (string | undefined)[] = [];
    const serviceFor = blobServiceFor(
      {
        accounts: { custom: { endpoint: 'https://custom.example.net/' } },
        managedIdentityClientId: '00000000-0000-0000-0000-000000000001',
      },
      async (clientId) => {
        asked.push(clientId);
        return fakeCredential({ oid: 'x' });
      },
    );
    expect((await serviceFor('prodlake')).url).toMatch(/^https:\/\/prodlake\.blob\.core\.windows\.net\/?$/);
    expect((await serviceFor('custom')).url).toMatch(/^https:\/\/custom\.example\.net\/?$/);
    expect(await serviceFor('prodlake')).toBe(await serviceFor('prodlake'));
    expect(asked).toEqual(['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001']);
  });

  it('refuses an unusable connection string without echoing its key', async () => {
    const serviceFor = blobServiceFor(
      { accounts: { broken: { connectionString: 'AccountName=x;AccountKey=c2VjcmV0;Nonsense' } } },
      NO_CREDENTIAL,
    );
    const error = await serviceFor('broken').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'configuration' });
    expect((error as Error).message).not.toContain('c2VjcmV0');
  });
});
