/**
 * FilesPort over the Blob API: a filesystem is a container, a path is a blob name. Works on
 * hierarchical-namespace (ADLS Gen2) accounts too, and on Azurite, which has no dfs endpoint.
 */
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { textRead, type FileLocation, type FileProperties, type FilesPort } from '../../usecases/filesPort.js';
import { isStorageNotFound, storageErrorCode, storageStatus, toStorageError } from './storageErrors.js';

const describe = (l: FileLocation): string => `${l.account}/${l.filesystem}/${l.path}`;

export function createBlobFiles(service: (account: string) => Promise<BlobServiceClient>): FilesPort {
  const containerOf = async (l: FileLocation): Promise<ContainerClient> => (await service(l.account)).getContainerClient(l.filesystem);
  const blobOf = async (l: FileLocation): Promise<BlockBlobClient> => (await containerOf(l)).getBlockBlobClient(l.path);

  const properties = async (l: FileLocation): Promise<FileProperties | undefined> => {
    try {
      const p = await (await blobOf(l)).getProperties();
      return {
        etag: p.etag ?? '',
        contentLength: p.contentLength ?? 0,
        ...(p.copyId && p.copyStatus
          ? { copy: { id: p.copyId, status: p.copyStatus, ...(p.copyStatusDescription ? { description: p.copyStatusDescription } : {}) } }
          : {}),
      };
    } catch (error) {
      if (isStorageNotFound(error)) return undefined;
      throw toStorageError(error, `read the properties of ${describe(l)}`);
    }
  };

  /** Uploads a blob (creating its container if needed); with `once`, only where nothing is yet: false when something was. */
  /** Uploads; the eTag written, or undefined when `once` found something there already. */
  const write = async (l: FileLocation, text: string, contentType: string, once: boolean): Promise<string | undefined> => {
    const body = Buffer.from(text, 'utf8');
    const upload = async () =>
      (await blobOf(l)).upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: contentType },
        ...(once ? { conditions: { ifNoneMatch: '*' } } : {}),
      });
    try {
      try {
        return (await upload()).etag ?? '';
      } catch (error) {
        if (!(isStorageNotFound(error) && storageErrorCode(error) === 'ContainerNotFound')) throw error;
        await (await containerOf(l)).createIfNotExists();
        return (await upload()).etag ?? '';
      }
    } catch (error) {
      // If-None-Match: * on an existing blob: 409 BlobAlreadyExists (412 from some versions).
      if (once && (storageErrorCode(error) === 'BlobAlreadyExists' || storageStatus(error) === 412)) return undefined;
      throw toStorageError(error, `write ${describe(l)}`);
    }
  };

  return {
    properties,

    async readText(l, maxBytes) {
      // One request: the download's own length says whether it is too large, and its ETag is the
      // version of the bytes read (a HEAD first would need a conditional GET and a retry loop).
      try {
        const response = await (await blobOf(l)).download(0);
        const body = response.readableStreamBody;
        const etag = response.etag ?? '';
        // On a hierarchical-namespace account a directory is an empty blob marked as a folder.
        if (response.metadata?.['hdi_isfolder'] === 'true') {
          body?.destroy?.();
          return { kind: 'directory', etag };
        }
        if ((response.contentLength ?? 0) > maxBytes) {
          body?.destroy?.();
          return { kind: 'too-large', bytes: response.contentLength ?? 0, maxBytes, etag };
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of body ?? []) {
          const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          size += buffer.length;
          if (size > maxBytes) {
            body?.destroy?.();
            return { kind: 'too-large', bytes: size, maxBytes, etag };
          }
          chunks.push(buffer);
        }
        return textRead(Buffer.concat(chunks), etag);
      } catch (error) {
        if (isStorageNotFound(error)) return undefined;
        // The blob is there, but its content cannot be had until it is rehydrated: no retry helps.
        if (storageErrorCode(error) === 'BlobArchived')
          return { kind: 'unreadable', reason: 'it is in the archive tier: rehydrate it to the hot or cool tier first', etag: '' };
        throw toStorageError(error, `read ${describe(l)}`);
      }
    },

    async writeText(l, text, contentType = 'text/plain; charset=utf-8') {
      return (await write(l, text, contentType, false)) ?? '';
    },

    async createText(l, text, contentType = 'text/plain; charset=utf-8') {
      return (await write(l, text, contentType, true)) !== undefined ? 'created' : 'exists';
    },

    async list(l) {
      const prefix = l.path === '' || l.path.endsWith('/') ? l.path : `${l.path}/`;
      const names: string[] = [];
      try {
        for await (const item of (await containerOf(l)).listBlobsFlat({ prefix, includeMetadata: true })) {
          // On a hierarchical-namespace account the Blob API lists directories as empty marker blobs.
          if (item.metadata?.['hdi_isfolder'] === 'true') continue;
          names.push(item.name);
        }
      } catch (error) {
        if (isStorageNotFound(error)) return [];
        throw toStorageError(error, `list ${l.account}/${l.filesystem}/${prefix}`);
      }
      return names.sort();
    },
  };
}
