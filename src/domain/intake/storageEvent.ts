/**
 * ADLS Gen2 storage events, as Event Grid delivers them (Event Grid schema or CloudEvents 1.0),
 * reduced to the one thing spark-dispatch acts on: "a file now has its final content at this path".
 *
 * What Azure sends (and why most of it is ignored here):
 * - A Data Lake API upload fires two BlobCreated events: `CreateFile` (0 bytes, no data yet) and
 *   `FlushWithClose` (the content is there). Blob API uploads fire `PutBlob` or `PutBlockList`.
 *   An SFTP `put` fires `SftpCreate` (the empty file, when it is opened) and `SftpCommit` (the
 *   content, when it is closed). Only the content-bearing ones are accepted.
 * - `CopyBlob` is accepted here, but on a hierarchical-namespace account it fires when an
 *   asynchronous copy *starts* (its eTag is the empty blob's); the use case reads the copy's status
 *   before it starts anything (handleStorageEvents), and Event Grid sends nothing when it ends.
 * - Spark and Hadoop writers commit by rename: `BlobRenamed` with the destination in
 *   `data.destinationUrl`; the file is the destination.
 * - URLs name the dfs or the blob host depending on the writer; both (and Azurite's path-style
 *   URLs) are reduced to one canonical dfs URL, so one file has one identity.
 * - Delivery is at-least-once, late and out of order: `dedupeKey` identifies a version of a file,
 *   and `orderEvents` orders versions of one file by `sequencer`.
 *
 * `parseStorageEvent` never throws: malformed input is `invalid` with the field and what was expected.
 */
import { FILESYSTEM_NAME as FILESYSTEM, STORAGE_ACCOUNT_NAME as ACCOUNT, STORAGE_CLOUDS } from '../spec/azureNames.js';
import { boundsProblem } from '../spec/bounds.js';
import { describeValue as describe, problemToString } from '../spec/problem.js';
import { textFault } from '../spec/text.js';

export type EventSchema = 'eventgrid' | 'cloudevents';

export type ParsedEvent =
  | {
      kind: 'file';
      id: string;
      change: 'created' | 'renamed';
      /** The storage API that produced the event: FlushWithClose, PutBlob, PutBlockList, SftpCommit, CopyBlob, RenameFile, SftpRename. */
      api: string;
      account: string;
      filesystem: string;
      /** Path inside the filesystem, percent-decoded, no leading `/`. */
      path: string;
      /** Canonical: https://<account>.dfs.<cloud>/<filesystem>/<path>, each path segment re-encoded. */
      url: string;
      /** abfss://<filesystem>@<account>.dfs.<cloud>/<path> (the decoded path, as Hadoop reads it). */
      abfss: string;
      /** Without the quotes some API versions put around it. */
      eTag?: string;
      contentLength?: number;
      /** Hex string; orders the versions of one file. */
      sequencer?: string;
      /** ISO 8601, UTC, millisecond precision. */
      eventTime: string;
      /**
       * `${url}#${eTag}`, or `${url}#seq:${sequencer}` without an eTag, or `${url}#id:${id}` without
       * either; for a CopyBlob event whose copy has been read, `${url}#copy:${copyId}`.
       */
      dedupeKey: string;
      schema: EventSchema;
      /** CopyBlob only: the copy this event stands for, once it is known complete (the event alone cannot tell). */
      copyId?: string;
    }
  | { kind: 'ignored'; id?: string; reason: string }
  | { kind: 'invalid'; reason: string };

export type FileEvent = Extract<ParsedEvent, { kind: 'file' }>;

/**
 * BlobCreated APIs whose event can mean "the content is complete". CopyBlob only once the copy's
 * status says `success` (see isContentKnown).
 */
export const CONTENT_APIS = ['FlushWithClose', 'PutBlob', 'PutBlockList', 'SftpCommit', 'CopyBlob'] as const;

/**
 * The `data.api` values the Event Grid subscription passes to the function (infra/azure/main.bicep,
 * storageEventApis): the content APIs of BlobCreated and the APIs of BlobRenamed (any BlobRenamed
 * is accepted: the destination is the file).
 */
export const EVENT_GRID_APIS = [...CONTENT_APIS, 'RenameFile', 'SftpRename'] as const;

/** The API of a BlobCreated event that fires when a copy starts, not when it ends (on hierarchical-namespace accounts). */
export const COPY_API = 'CopyBlob';

/**
 * Whether the event's own content length and eTag describe the file's content: not for a CopyBlob
 * event whose copy has not been read yet (an asynchronous copy starts with an empty blob).
 */
export const isContentKnown = (event: Pick<FileEvent, 'api' | 'copyId'>): boolean => event.api !== COPY_API || event.copyId !== undefined;

const STORAGE_PREFIX = 'Microsoft.Storage.';
const DEFAULT_CLOUD = STORAGE_CLOUDS[0];
const HEX = /^[0-9a-fA-F]+$/;
const SUBJECT = /^\/?blobServices\/default\/containers\/([^/]+)\/blobs\/(.*)$/;
const RESOURCE_ACCOUNT = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const URL_EXPECTED =
  'https://<account>.dfs.core.windows.net/<filesystem>/<path> (or the blob host, or an Azurite http://host:port/<account>/<filesystem>/<path>)';

const IGNORED_REASONS: Record<string, string> = {
  BlobDeleted: 'BlobDeleted events start nothing',
  BlobTierChanged: 'BlobTierChanged events start nothing: the content did not change',
  BlobInventoryPolicyCompleted: 'BlobInventoryPolicyCompleted events start nothing',
  AsyncOperationInitiated: 'AsyncOperationInitiated events start nothing: a BlobCreated follows when the data is there',
  DirectoryCreated: 'DirectoryCreated events start nothing: the files written into the directory have their own events',
  DirectoryRenamed: 'DirectoryRenamed events start nothing: commit the output by renaming files, or watch a _SUCCESS marker',
  DirectoryDeleted: 'DirectoryDeleted events start nothing',
  LifecyclePolicyCompleted: 'LifecyclePolicyCompleted events start nothing',
};

type Fields = Record<string, unknown>;

export function parseStorageEvent(raw: unknown): ParsedEvent {
  // Event Grid hands over decoded JSON: bounded before anything (the ledger's copy of it, say) walks it.
  const bounds = boundsProblem(raw, 'a storage event');
  if (bounds) return invalid(problemToString(bounds));
  if (Array.isArray(raw))
    return invalid('(root): expected one event object, found an array (Event Grid delivers a batch: parse each element)');
  if (!isObject(raw)) return invalid(`(root): expected an event object, found ${describe(raw)}`);

  // CloudEvents carry `specversion` and `type`; the Event Grid schema carries `eventType`.
  const schema: EventSchema =
    raw.specversion !== undefined || (raw.eventType === undefined && raw.type !== undefined) ? 'cloudevents' : 'eventgrid';
  const typeField = schema === 'cloudevents' ? 'type' : 'eventType';
  const timeField = schema === 'cloudevents' ? 'time' : 'eventTime';
  const accountField = schema === 'cloudevents' ? 'source' : 'topic';
  const idValue = typeof raw.id === 'string' && raw.id !== '' ? raw.id : undefined;

  const type: unknown = raw[typeField];
  if (type === undefined) return ignored(idValue, 'not a storage event: missing eventType/type');
  if (typeof type !== 'string') return invalid(`${typeField}: expected the event type as a string, found ${describe(type)}`);
  if (!type.startsWith(STORAGE_PREFIX)) return ignored(idValue, `not a storage event: ${type}`);
  const shortType = type.slice(STORAGE_PREFIX.length);
  if (shortType !== 'BlobCreated' && shortType !== 'BlobRenamed') {
    return ignored(idValue, IGNORED_REASONS[shortType] ?? `${shortType} events start nothing`);
  }

  if (idValue === undefined) return invalid(`id: expected the event id as a non-empty string, found ${describe(raw.id)}`);
  const data = raw.data;
  if (!isObject(data)) return invalid(`data: expected an object with the ${shortType} details, found ${describe(data)}`);

  const api = data.api;
  if (typeof api !== 'string' || api === '')
    return invalid(`data.api: expected the storage API that caused the event (such as FlushWithClose), found ${describe(api)}`);
  const change = shortType === 'BlobCreated' ? 'created' : 'renamed';
  if (change === 'created' && !(CONTENT_APIS as readonly string[]).includes(api)) {
    if (api === 'CreateFile') return ignored(idValue, 'CreateFile: the data arrives with FlushWithClose');
    if (api === 'SftpCreate') return ignored(idValue, 'SftpCreate: the empty file an SFTP put opens; its content arrives with SftpCommit');
    return ignored(
      idValue,
      `BlobCreated by ${api} starts nothing: only ${CONTENT_APIS.filter((a) => a !== COPY_API).join(', ')} and a completed ${COPY_API} carry the file's content`,
    );
  }

  const urlField = change === 'created' ? 'url' : 'destinationUrl';
  const location = parseStorageUrl(data[urlField], `data.${urlField}`);
  if ('invalid' in location) return invalid(location.invalid);
  if ('ignored' in location) return ignored(idValue, location.ignored);
  const { account, filesystem, path, cloud } = location;

  const subject = raw.subject;
  if (subject !== undefined) {
    if (typeof subject !== 'string') return invalid(`subject: expected a string, found ${describe(subject)}`);
    const m = SUBJECT.exec(subject);
    if (!m)
      return invalid(
        `subject: expected ${schema === 'eventgrid' ? '/' : ''}blobServices/default/containers/<filesystem>/blobs/<path>, found ${describe(subject)}`,
      );
    if (m[1] !== filesystem) {
      return invalid(
        `subject: names the container ${JSON.stringify(m[1])} but data.${urlField} names the filesystem ${JSON.stringify(filesystem)}`,
      );
    }
  }
  const resource = raw[accountField];
  if (typeof resource === 'string') {
    const named = RESOURCE_ACCOUNT.exec(resource)?.[1];
    if (named !== undefined && named.toLowerCase() !== account) {
      return invalid(
        `${accountField}: names the storage account ${JSON.stringify(named)} but data.${urlField} names ${JSON.stringify(account)}`,
      );
    }
  }

  const time = raw[timeField];
  if (typeof time !== 'string' || !ISO_TIME.test(time) || Number.isNaN(Date.parse(time))) {
    return invalid(`${timeField}: expected an ISO 8601 time such as 2024-05-01T06:30:12.3456789Z, found ${describe(time)}`);
  }
  const eventTime = new Date(time).toISOString();

  let eTag: string | undefined;
  if (data.eTag !== undefined && data.eTag !== null) {
    if (typeof data.eTag !== 'string' || data.eTag === '')
      return invalid(`data.eTag: expected a string such as 0x8DC0F1B5F2D3A10, found ${describe(data.eTag)}`);
    eTag = data.eTag.replace(/^(W\/)?"(.*)"$/, '$2');
  }
  let contentLength: number | undefined;
  if (data.contentLength !== undefined && data.contentLength !== null) {
    if (typeof data.contentLength !== 'number' || !Number.isSafeInteger(data.contentLength) || data.contentLength < 0) {
      return invalid(`data.contentLength: expected a number of bytes, found ${describe(data.contentLength)}`);
    }
    contentLength = data.contentLength;
  }
  let sequencer: string | undefined;
  if (data.sequencer !== undefined && data.sequencer !== null) {
    if (typeof data.sequencer !== 'string' || !HEX.test(data.sequencer)) {
      return invalid(
        `data.sequencer: expected a hexadecimal string such as 0000000000000000000000000000E5A30000000000a8e9f1, found ${describe(data.sequencer)}`,
      );
    }
    sequencer = data.sequencer;
  }

  const dfsHost = `${account}.dfs.${cloud}`;
  const url = fileUrl(account, filesystem, path, cloud);
  const identity = eTag ?? (sequencer !== undefined ? `seq:${sequencer}` : `id:${idValue}`);
  const event: FileEvent = {
    kind: 'file',
    id: idValue,
    change,
    api,
    account,
    filesystem,
    path,
    url,
    abfss: `abfss://${filesystem}@${dfsHost}/${path}`,
    eventTime,
    dedupeKey: `${url}#${identity}`,
    schema,
  };
  if (eTag !== undefined) event.eTag = eTag;
  if (contentLength !== undefined) event.contentLength = contentLength;
  if (sequencer !== undefined) event.sequencer = sequencer;
  return event;
}

interface StorageLocation {
  readonly account: string;
  readonly filesystem: string;
  readonly path: string;
  readonly cloud: string;
}

/**
 * `https://<account>.(dfs|blob).<cloud>/<fs>/<path>` or path-style `http(s)://<host>:<port>/<account>/<fs>/<path>`
 * (Azurite, or an IP/localhost host). `ignored`: the URL names a directory, not a file.
 */
function parseStorageUrl(value: unknown, field: string): StorageLocation | { invalid: string } | { ignored: string } {
  if (typeof value !== 'string' || value === '') return { invalid: `${field}: expected ${URL_EXPECTED}, found ${describe(value)}` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { invalid: `${field}: expected ${URL_EXPECTED}, found ${describe(value)}` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { invalid: `${field}: expected an https URL, found ${describe(value)}` };

  const rawSegments = url.pathname.split('/').slice(1);
  const host = url.hostname.toLowerCase();
  let account: string | undefined;
  let cloud: string = DEFAULT_CLOUD;
  const hostMatch = /^([^.]+)\.(dfs|blob)\.(.+)$/.exec(host);
  if (hostMatch && (STORAGE_CLOUDS as readonly string[]).includes(hostMatch[3]!)) {
    account = hostMatch[1]!;
    cloud = hostMatch[3]!;
  } else if (isPathStyleHost(url)) {
    account = safeDecode(rawSegments.shift() ?? '');
  } else {
    return { invalid: `${field}: expected ${URL_EXPECTED}, found the host ${JSON.stringify(host)}` };
  }
  if (account === undefined || !ACCOUNT.test(account)) {
    return {
      invalid: `${field}: expected a storage account name (3-24 lower-case letters and digits), found ${describe(account ?? value)}`,
    };
  }

  const filesystem = safeDecode(rawSegments.shift() ?? '');
  if (filesystem === undefined || !FILESYSTEM.test(filesystem)) {
    return { invalid: `${field}: expected a filesystem (container) name after the host, found ${describe(filesystem ?? value)}` };
  }
  if (rawSegments.length === 0 || rawSegments.every((s) => s === ''))
    return { ignored: `${filesystem}: the event names the filesystem itself, not a file` };
  if (rawSegments[rawSegments.length - 1] === '')
    return { ignored: `${filesystem}/${rawSegments.join('/')}: a path ending in / is a directory, not a file` };

  const segments: string[] = [];
  for (const raw of rawSegments) {
    const segment = safeDecode(raw);
    if (segment === undefined) return { invalid: `${field}: the path segment ${describe(raw)} is not valid percent-encoding` };
    if (segment === '') return { invalid: `${field}: expected a path without empty segments (//), found ${describe(value)}` };
    if (segment.includes('/')) return { invalid: `${field}: the path segment ${describe(raw)} encodes a /` };
    segments.push(segment);
  }
  const path = segments.join('/');
  if (textFault(path) !== undefined)
    return { invalid: `${field}: expected a path without control or invisible characters, found ${describe(path)}` };
  return { account, filesystem, path, cloud };
}

/** Azurite and other local emulators: an IP address, localhost, or an explicit port. */
function isPathStyleHost(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return url.port !== '' || host === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** encodeURIComponent, keeping the sub-delimiters a path allows (`=`, `@`, `,`, `+`, `:`...) readable. */
/** A file's canonical URL: the dfs host of its account (whichever host an event names), each path segment encoded. */
export function fileUrl(account: string, filesystem: string, path: string, cloud = 'core.windows.net'): string {
  return `https://${account}.dfs.${cloud}/${filesystem}/${path.split('/').map(encodeSegment).join('/')}`;
}

/**
 * The key a script upload's job gets (before its tenant is put in front): the file's URL and the
 * eTag of the version uploaded, as the storage event will carry them. `spark-dispatch upload`
 * computes it from its own upload to print the job's id.
 */
export function uploadJobKey(account: string, filesystem: string, path: string, eTag: string, cloud = 'core.windows.net'): string {
  return `upload:${fileUrl(account, filesystem, path, cloud)}#${eTag.replace(/^(W\/)?"(.*)"$/, '$2')}`;
}

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (escaped) => decodeURIComponent(escaped));
}

/**
 * File events ordered by (url, sequencer as a hexadecimal number), stable; events without a
 * sequencer come before those with one for the same url. Ignored and invalid events come first,
 * in their original order.
 */
export function orderEvents(events: ParsedEvent[]): ParsedEvent[] {
  const others = events.filter((e) => e.kind !== 'file');
  const files = events.filter((e): e is FileEvent => e.kind === 'file');
  const sorted = files
    .map((event, index) => ({ event, index }))
    .sort((a, b) => compareText(a.event.url, b.event.url) || compareSequencers(a.event.sequencer, b.event.sequencer) || a.index - b.index)
    .map((x) => x.event);
  return [...others, ...sorted];
}

/** Compares two hexadecimal sequencers as numbers (as if padded to the same length); absent first. */
export function compareSequencers(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const x = a.replace(/^0+/, '').toLowerCase();
  const y = b.replace(/^0+/, '').toLowerCase();
  if (x.length !== y.length) return x.length - y.length;
  return compareText(x, y);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ignored(id: string | undefined, reason: string): ParsedEvent {
  return id === undefined ? { kind: 'ignored', reason } : { kind: 'ignored', id, reason };
}

function invalid(reason: string): ParsedEvent {
  return { kind: 'invalid', reason };
}

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
