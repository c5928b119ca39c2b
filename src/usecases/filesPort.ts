/**
 * Files in ADLS Gen2 filesystems, reached through the Blob API (Azurite has no dfs endpoint, and
 * the Blob API works on hierarchical-namespace accounts too). A filesystem is a blob container.
 */
import { decodeUtf8, notUtf8 } from '../domain/spec/text.js';

export interface FileLocation {
  readonly account: string;
  readonly filesystem: string;
  /** Path inside the filesystem, no leading slash. */
  readonly path: string;
}

export interface FileProperties {
  readonly etag: string;
  readonly contentLength: number;
  /**
   * The last Copy Blob into this file (x-ms-copy-id, x-ms-copy-status,
   * x-ms-copy-status-description); absent when the file was never a copy's destination, or was
   * written since by something else (Put Blob, Put Block List, Set Blob Properties clear it).
   */
  readonly copy?: CopyState;
}

export interface CopyState {
  readonly id: string;
  readonly status: 'pending' | 'success' | 'aborted' | 'failed';
  readonly description?: string;
}

/**
 * What reading a file as text found. A file that is there but is not usable text is a value, not
 * an error: it is the file's fault, and trying again cannot help. Only a failure to reach the
 * storage is thrown (a DispatchError).
 */
export type TextRead =
  | { readonly kind: 'text'; readonly text: string; readonly etag: string }
  /** Over the limit the caller gave: its size (or, when the storage did not say, what was read before the limit was passed). */
  | { readonly kind: 'too-large'; readonly bytes: number; readonly maxBytes: number; readonly etag: string }
  /** Bytes that are not UTF-8: where, and what to do about it. */
  | { readonly kind: 'not-utf8'; readonly found: string; readonly hint: string; readonly etag: string }
  /** A directory, not a file (a hierarchical-namespace account keeps one as an empty marker blob). */
  | { readonly kind: 'directory'; readonly etag: string }
  /** There, but the storage will not hand out its content (a blob in the archive tier). */
  | { readonly kind: 'unreadable'; readonly reason: string; readonly etag: string };

/** The bytes of a file as a TextRead: text if they are UTF-8 (a byte-order mark dropped). */
export function textRead(bytes: Uint8Array, etag: string): TextRead {
  const decoded = decodeUtf8(bytes);
  return decoded.ok ? { kind: 'text', text: decoded.text, etag } : { kind: 'not-utf8', ...notUtf8(decoded, bytes), etag };
}

export interface FilesPort {
  /** The file as text, or undefined when it does not exist. Never reads more than `maxBytes`. */
  readText(location: FileLocation, maxBytes: number): Promise<TextRead | undefined>;
  properties(location: FileLocation): Promise<FileProperties | undefined>;
  /** Writes (or overwrites) a text file; the eTag of what was written. */
  writeText(location: FileLocation, text: string, contentType?: string): Promise<string>;
  /** Creates a text file only if nothing is at its path (If-None-Match: *): never overwrites. */
  createText(location: FileLocation, text: string, contentType?: string): Promise<'created' | 'exists'>;
  /** Paths (relative to the filesystem) of every file under a folder, at all depths, sorted. */
  list(location: FileLocation): Promise<string[]>;
}
