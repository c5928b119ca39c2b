/**
 * In-memory implementations of the intake's ports, for tests that run the real handlers without
 * servers (a fresh process per hostile input, say): a ledger with the same update contract as the
 * blob ledger (the record stored as JSON text, so what could not be serialised fails here too),
 * files held as bytes, a queue and an events topic that only remember, and a cluster that is never
 * reachable (a refused request must never need it).
 */
import { OPEN_STATES, type LedgerRecord } from '../../src/domain/intake/ledgerRecord.js';
import { DispatchError } from '../../src/shared/errors.js';
import type { Settings } from '../../src/settings/settingsSchema.js';
import { textRead, type CopyState, type FileLocation, type FilesPort } from '../../src/usecases/filesPort.js';
import type { IntakeDeps } from '../../src/usecases/intakeDeps.js';
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';
import { SILENT, type Logger } from '../../src/shared/logger.js';
import type { LifecycleEvent, OutgoingMessage } from '../../src/usecases/queuePort.js';
import { jobId } from '../../src/domain/tenant/jobIdentity.js';

export interface MemoryLedger extends LedgerPort {
  readonly records: ReadonlyMap<string, LedgerRecord>;
}

export function memoryLedger(): MemoryLedger {
  const stored = new Map<string, string>();
  const records = new Map<string, LedgerRecord>();
  const logs = new Map<string, string>();
  return {
    records,
    async get(jobKey) {
      const text = stored.get(jobKey);
      return text === undefined ? undefined : (JSON.parse(text) as LedgerRecord);
    },
    async update(jobKey, change) {
      const current = stored.get(jobKey);
      const next = change(current === undefined ? undefined : (JSON.parse(current) as LedgerRecord));
      // As the blob ledger does: the record travels as JSON text.
      stored.set(jobKey, JSON.stringify(next));
      records.set(jobKey, next);
      return next;
    },
    async create(jobKey, first) {
      const current = stored.get(jobKey);
      if (current !== undefined) return JSON.parse(current) as LedgerRecord;
      stored.set(jobKey, JSON.stringify(first));
      records.set(jobKey, first);
      return undefined;
    },
    async latest(limit) {
      return [...records.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, limit);
    },
    async byId(prefix) {
      return [...records.values()].filter((r) => jobId(r.jobKey).startsWith(prefix));
    },
    async open(before, limit) {
      return [...records.values()]
        .filter(
          (r) =>
            r.updatedAt < before.toISOString() && (OPEN_STATES.has(r.state) || (r.owed?.length ?? 0) > 0 || (r.strays?.length ?? 0) > 0),
        )
        .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
        .slice(0, limit);
    },
    async saveLog(jobKey, text) {
      logs.set(jobKey, text);
    },
    async readLog(jobKey) {
      return logs.get(jobKey);
    },
  };
}

/** A stored file: its bytes (and the Copy Blob that wrote them), or a directory marker (as a hierarchical-namespace account lists one). */
export type MemoryFile =
  { readonly bytes: Buffer; readonly etag: string; readonly copy?: CopyState } | { readonly directory: true; readonly etag: string };

export interface MemoryFiles extends FilesPort {
  readonly files: Map<string, MemoryFile>;
  /** Writes the file as Put Blob does (clearing any copy properties); its new eTag. */
  put(location: FileLocation, content: string | Buffer): string;
  /**
   * The file as a Copy Blob leaves it: pending, an empty blob (its eTag changes again when the
   * copy completes); success, the content; failed or aborted, empty. Its new eTag.
   */
  putCopy(location: FileLocation, copy: CopyState, content?: string): string;
  putDirectory(location: FileLocation): void;
  /** Every later call fails as a storage outage would (retryable). */
  breakDown(): void;
}

const where = (l: FileLocation): string => `${l.account}/${l.filesystem}/${l.path}`;

export function memoryFiles(): MemoryFiles {
  const files = new Map<string, MemoryFile>();
  let version = 0;
  let down = false;
  const check = (what: string) => {
    if (down) throw new DispatchError('unavailable', `storage is down: cannot ${what}`);
  };
  return {
    files,
    put(location, content) {
      const etag = `0x${(++version).toString(16).padStart(15, '0')}`;
      files.set(where(location), { bytes: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), etag });
      return etag;
    },
    putCopy(location, copy, content = '') {
      const etag = `0x${(++version).toString(16).padStart(15, '0')}`;
      files.set(where(location), { bytes: Buffer.from(copy.status === 'success' ? content : '', 'utf8'), etag, copy });
      return etag;
    },
    putDirectory(location) {
      files.set(where(location), { directory: true, etag: `0x${(++version).toString(16).padStart(15, '0')}` });
    },
    breakDown() {
      down = true;
    },
    async properties(l) {
      check(`read the properties of ${where(l)}`);
      const file = files.get(where(l));
      if (file === undefined) return undefined;
      return {
        etag: file.etag,
        contentLength: 'bytes' in file ? file.bytes.length : 0,
        ...('copy' in file && file.copy ? { copy: file.copy } : {}),
      };
    },
    async readText(l, maxBytes) {
      check(`read ${where(l)}`);
      const file = files.get(where(l));
      if (file === undefined) return undefined;
      if ('directory' in file) return { kind: 'directory', etag: file.etag };
      if (file.bytes.length > maxBytes) return { kind: 'too-large', bytes: file.bytes.length, maxBytes, etag: file.etag };
      return textRead(file.bytes, file.etag);
    },
    async writeText(l, text) {
      check(`write ${where(l)}`);
      const etag = `0x${(++version).toString(16).padStart(15, '0')}`;
      files.set(where(l), { bytes: Buffer.from(text, 'utf8'), etag });
      return etag;
    },
    async createText(l, text) {
      check(`write ${where(l)}`);
      if (files.has(where(l))) return 'exists';
      files.set(where(l), { bytes: Buffer.from(text, 'utf8'), etag: `0x${(++version).toString(16).padStart(15, '0')}` });
      return 'created';
    },
    async list(l) {
      check(`list ${where(l)}`);
      const prefix = where({ ...l, path: l.path === '' || l.path.endsWith('/') ? l.path : `${l.path}/` });
      return [...files.entries()]
        .filter(([k, f]) => k.startsWith(prefix) && !('directory' in f))
        .map(([k]) => k.slice(where({ ...l, path: '' }).length))
        .sort();
    },
  };
}

export interface MemoryDeps extends IntakeDeps {
  readonly ledger: MemoryLedger;
  readonly files: MemoryFiles;
  readonly sent: OutgoingMessage[];
  readonly scheduled: { readonly message: OutgoingMessage; readonly at: Date }[];
  readonly published: LifecycleEvent[];
}

/** Intake deps on in-memory ports; the cluster is unreachable (a launch would fail as an outage). */
export function memoryDeps(settings: Settings, log: Logger = SILENT): MemoryDeps {
  const sent: OutgoingMessage[] = [];
  const scheduled: { message: OutgoingMessage; at: Date }[] = [];
  const published: LifecycleEvent[] = [];
  return {
    settings,
    ledger: memoryLedger(),
    files: memoryFiles(),
    queue: {
      send: async (message) => void sent.push(message),
      schedule: async (message, at) => void scheduled.push({ message, at }),
    },
    events: { publish: async (event) => void published.push(event) },
    cluster: async () => {
      throw new DispatchError('unavailable', 'no cluster in this test');
    },
    now: () => new Date('2026-11-23T10:00:00Z'),
    log,
    sent,
    scheduled,
    published,
  };
}
