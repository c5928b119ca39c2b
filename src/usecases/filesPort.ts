/**
 * Files in ADLS Gen2 filesystems, reached through the Blob API (Azurite has no dfs endpoint, and
 * the Blob API works on hierarchical-namespace accounts too). A filesystem is a blob container.
 */
export interface FileLocation {
  readonly account: string;
  readonly filesystem: string;
  /** Path inside the filesystem, no leading slash. */
  readonly path: string;
}

export interface FileProperties {
  readonly etag: string;
  readonly contentLength: number;
}

export interface FilesPort {
  /** The text of a file, or undefined when it does not exist. Refuses files over `maxBytes`. */
  readText(location: FileLocation, maxBytes: number): Promise<{ readonly text: string; readonly etag: string } | undefined>;
  properties(location: FileLocation): Promise<FileProperties | undefined>;
  /** Writes (or overwrites) a text file. */
  writeText(location: FileLocation, text: string, contentType?: string): Promise<void>;
  /** Creates a text file only if nothing is at its path (If-None-Match: *): never overwrites. */
  createText(location: FileLocation, text: string, contentType?: string): Promise<'created' | 'exists'>;
  /** Paths (relative to the filesystem) of every file under a folder, at all depths, sorted. */
  list(location: FileLocation): Promise<string[]>;
}
