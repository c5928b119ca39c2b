/**
 * A corpus of ADLS Gen2 storage events as Event Grid delivers them (test/fixtures/events, one file
 * per scenario, each the array of events delivered), with what spark-dispatch must make of each:
 * what `parseStorageEvent` returns and, for file events, what `routeEvent` starts. The events
 * follow Microsoft's documented Event Grid and CloudEvents schemas for Blob Storage, including the
 * quirks that bite: the two BlobCreated events of a Data Lake upload, rename commits, empty
 * `_SUCCESS` markers, dfs and blob URLs for one file, duplicates and out-of-order delivery.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { placeholderValues, routeEvent, UPLOAD_MAIN_LAST, type Route } from '../../src/domain/intake/eventRouting.js';
import {
  compareSequencers,
  isContentKnown,
  orderEvents,
  parseStorageEvent,
  type FileEvent,
  type ParsedEvent,
} from '../../src/domain/intake/storageEvent.js';
import { IntakeSettingsSchema, RULE_PLACEHOLDERS } from '../../src/settings/settingsSchema.js';

const FIXTURES = new URL('../fixtures/events/', import.meta.url);

const INTAKE = IntakeSettingsSchema.parse({
  scriptUploads: [
    { account: 'contosolake', filesystem: 'jobs', prefix: 'spark/' },
    { account: 'devstoreaccount1', filesystem: 'jobs' },
  ],
  rules: [
    { name: 'spark-output-committed', filesystem: 'curated', path: '**/_SUCCESS', template: 'compact' },
    {
      name: 'sales-landing',
      account: 'contosolake',
      filesystem: 'raw',
      path: 'sales/**/*.csv',
      template: 'ingest-sales',
      parameters: {
        input: '{url}',
        output: 'abfss://curated@{account}.dfs.core.windows.net/sales/date={date}/',
        label: '{rule}:{file} at {time}',
        literal: '{{not-a-placeholder}} {unknownName}',
        path: 'a rule cannot override a built-in',
      },
    },
    { name: 'sales-audit', filesystem: 'raw', path: 'sales/**', template: 'audit' },
  ],
});
const ALLOWED = ['contosolake', 'contosogov', 'devstoreaccount1'] as const;

// ── Expectations ─────────────────────────────────────────────────────────────────────────────

type RouteWant =
  | { kind: 'script-upload'; jobName: string; folder: string }
  | { kind: 'landing'; rule: string; parameters?: Record<string, string> }
  | { kind: 'ignored'; reason: string };

type Want =
  | {
      kind: 'file';
      api: string;
      change?: 'created' | 'renamed';
      url?: string;
      abfss?: string;
      path?: string;
      contentLength?: number;
      routes: RouteWant[];
    }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

interface Scenario {
  readonly want: readonly Want[];
  /** Checks across the scenario's events. */
  readonly also?: (parsed: ParsedEvent[], raw: unknown[]) => void;
}

const script = (jobName: string, folder: string): RouteWant => ({ kind: 'script-upload', jobName, folder });
const landing = (rule: string, parameters?: Record<string, string>): RouteWant => ({
  kind: 'landing',
  rule,
  ...(parameters ? { parameters } : {}),
});
const skip = (reason: string): RouteWant => ({ kind: 'ignored', reason });
const NO_ROUTE = 'no script-upload folder or landing rule watches';
const LAKE = 'https://contosolake.dfs.core.windows.net';

const SCENARIOS: Record<string, Scenario> = {
  'datalake-createfile-flush': {
    want: [
      { kind: 'ignored', reason: 'CreateFile: the data arrives with FlushWithClose' },
      {
        kind: 'file',
        api: 'FlushWithClose',
        contentLength: 4187,
        url: `${LAKE}/jobs/spark/nightly/etl/main.py`,
        routes: [script('etl', 'spark/nightly/etl')],
      },
    ],
  },
  'blob-putblob': {
    want: [{ kind: 'file', api: 'PutBlob', url: `${LAKE}/jobs/spark/wordcount/main.py`, routes: [script('wordcount', 'spark/wordcount')] }],
  },
  'blob-putblocklist': {
    want: [
      {
        kind: 'file',
        api: 'PutBlockList',
        contentLength: 734003200,
        abfss: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/orders-eu.csv',
        routes: [landing('sales-landing'), landing('sales-audit')],
      },
    ],
  },
  'blob-copyblob': {
    want: [{ kind: 'file', api: 'CopyBlob', routes: [script('daily', 'spark/reports/daily')] }],
  },
  // Item 13: on a hierarchical-namespace account a CopyBlob event fires when the copy starts: the
  // event shows the empty blob the copy begins with. It routes as usual (the length is not trusted:
  // no "empty main.py"), and the use case reads the copy's status before starting anything.
  'hns-copyblob-started': {
    want: [
      {
        kind: 'file',
        api: 'CopyBlob',
        contentLength: 0,
        url: `${LAKE}/jobs/spark/reports/weekly/main.py`,
        routes: [script('weekly', 'spark/reports/weekly')],
      },
      { kind: 'file', api: 'CopyBlob', contentLength: 0, routes: [landing('sales-landing'), landing('sales-audit')] },
    ],
    also: (parsed) => {
      for (const event of parsed.map(asFile)) {
        expect(isContentKnown(event)).toBe(false);
        expect(event.copyId).toBeUndefined();
      }
      expect(isContentKnown({ ...asFile(parsed[0]), copyId: 'c0ffee' })).toBe(true);
    },
  },
  // Item 13: an SFTP put fires SftpCreate (the empty file, when opened) then SftpCommit (the
  // content, when closed); SFTP renames are BlobRenamed with api SftpRename. SFTP events carry no
  // clientRequestId, an `identity` (the local user) and dataVersion 3.
  'sftp-upload': {
    want: [
      { kind: 'ignored', reason: 'SftpCreate: the empty file an SFTP put opens; its content arrives with SftpCommit' },
      {
        kind: 'file',
        api: 'SftpCommit',
        contentLength: 5242880,
        path: 'sales/2024/05/07/orders-apac.csv',
        routes: [landing('sales-landing'), landing('sales-audit')],
      },
      {
        kind: 'file',
        api: 'SftpCommit',
        contentLength: 1834,
        url: `${LAKE}/jobs/spark/partners/apac/main.py`,
        routes: [script('apac', 'spark/partners/apac')],
      },
      // An SFTP commit's length is the content's: an empty main.py is a mistake, as with any upload.
      { kind: 'file', api: 'SftpCommit', contentLength: 0, routes: [skip('empty file')] },
      {
        kind: 'file',
        api: 'SftpRename',
        change: 'renamed',
        path: 'sales/2024/05/07/orders-us.csv',
        routes: [landing('sales-landing'), landing('sales-audit')],
      },
    ],
  },
  'hadoop-rename-into-place': {
    want: [
      { kind: 'ignored', reason: 'CreateFile' },
      // The temporary name matches only the catch-all audit rule, not *.csv.
      { kind: 'file', api: 'FlushWithClose', routes: [landing('sales-audit')] },
      {
        kind: 'file',
        api: 'RenameFile',
        change: 'renamed',
        path: 'sales/2024/05/01/orders-us.csv',
        routes: [
          landing('sales-landing', {
            file: 'orders-us.csv',
            url: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/orders-us.csv',
          }),
          landing('sales-audit'),
        ],
      },
    ],
  },
  'spark-output-success-marker': {
    want: [
      { kind: 'file', api: 'RenameFile', change: 'renamed', routes: [skip(`${NO_ROUTE} curated/sales/date=2024-05-01/part-00000-`)] },
      { kind: 'file', api: 'RenameFile', change: 'renamed', routes: [skip(`${NO_ROUTE} curated/sales/date=2024-05-01/part-00001-`)] },
      { kind: 'ignored', reason: 'CreateFile' },
      {
        kind: 'file',
        api: 'FlushWithClose',
        contentLength: 0,
        url: `${LAKE}/curated/sales/date=2024-05-01/_SUCCESS`,
        routes: [
          landing('spark-output-committed', {
            folder: 'sales/date=2024-05-01',
            folderUrl: 'abfss://curated@contosolake.dfs.core.windows.net/sales/date=2024-05-01/',
            file: '_SUCCESS',
          }),
        ],
      },
    ],
  },
  'same-file-dfs-and-blob-url': {
    want: [
      {
        kind: 'file',
        api: 'FlushWithClose',
        path: 'sales/region=emea/Q1 summary.csv',
        url: `${LAKE}/raw/sales/region=emea/Q1%20summary.csv`,
        routes: [landing('sales-landing'), landing('sales-audit')],
      },
      {
        kind: 'file',
        api: 'PutBlob',
        path: 'sales/region=emea/Q1 summary.csv',
        url: `${LAKE}/raw/sales/region=emea/Q1%20summary.csv`,
        routes: [landing('sales-landing'), landing('sales-audit')],
      },
    ],
    also: ([dfs, blob]) => {
      const a = asFile(dfs);
      const b = asFile(blob);
      expect(a.eTag).toBe('0x8DC6A2F0C1B2D3E'); // quotes stripped
      expect(b.eTag).toBe('0x8DC6A2F0C1B2D3E');
      expect(a.dedupeKey).toBe(`${LAKE}/raw/sales/region=emea/Q1%20summary.csv#0x8DC6A2F0C1B2D3E`);
      expect(b.dedupeKey).toBe(a.dedupeKey);
      expect(b.abfss).toBe('abfss://raw@contosolake.dfs.core.windows.net/sales/region=emea/Q1 summary.csv');
    },
  },
  'both-schemas': {
    want: [
      { kind: 'file', api: 'FlushWithClose', routes: [script('cleanup', 'spark/nightly/cleanup')] },
      { kind: 'file', api: 'FlushWithClose', routes: [script('cleanup', 'spark/nightly/cleanup')] },
    ],
    also: ([grid, cloud]) => {
      const a = asFile(grid);
      const b = asFile(cloud);
      expect(a.schema).toBe('eventgrid');
      expect(b.schema).toBe('cloudevents');
      expect({ ...b, schema: 'eventgrid' }).toEqual(a);
      expect(a.eventTime).toBe('2024-05-02T01:00:03.777Z');
    },
  },
  'duplicate-delivery': {
    want: [
      { kind: 'file', api: 'FlushWithClose', routes: [landing('sales-landing'), landing('sales-audit')] },
      { kind: 'file', api: 'FlushWithClose', routes: [landing('sales-landing'), landing('sales-audit')] },
    ],
    also: ([first, second]) => {
      expect(asFile(second).dedupeKey).toBe(asFile(first).dedupeKey);
      expect(second).toEqual(first);
    },
  },
  'out-of-order-versions': {
    want: [
      { kind: 'file', api: 'FlushWithClose', contentLength: 2000, routes: [landing('sales-landing'), landing('sales-audit')] },
      { kind: 'file', api: 'FlushWithClose', contentLength: 3000, routes: [landing('sales-landing'), landing('sales-audit')] },
      { kind: 'file', api: 'FlushWithClose', contentLength: 1000, routes: [landing('sales-landing'), landing('sales-audit')] },
    ],
    also: (parsed) => {
      const [v2, apac, v1] = parsed.map(asFile);
      expect(v1!.dedupeKey).not.toBe(v2!.dedupeKey); // two versions, two keys
      const ordered = orderEvents(parsed).map(asFile);
      expect(ordered.map((e) => e.contentLength)).toEqual([3000, 1000, 2000]); // apac, then eu v1, v2
      expect(ordered).toEqual([apac, v1, v2]);
    },
  },
  'unwatched-paths': {
    want: [
      { kind: 'file', api: 'FlushWithClose', routes: [skip(`${NO_ROUTE} scratch/tmp/notebook-export.csv`)] },
      { kind: 'file', api: 'PutBlob', routes: [skip(`${NO_ROUTE} raw/inventory/2024/05/03/stock.csv`)] },
      // In the watched filesystem but outside the prefix spark/.
      { kind: 'file', api: 'FlushWithClose', routes: [skip(`${NO_ROUTE} jobs/archive/old/main.py`)] },
    ],
  },
  'deleted-and-directory': {
    want: [
      { kind: 'ignored', reason: 'BlobDeleted events start nothing' },
      { kind: 'ignored', reason: 'DirectoryCreated events start nothing' },
      { kind: 'ignored', reason: 'DirectoryRenamed events start nothing' },
      { kind: 'ignored', reason: 'DirectoryDeleted events start nothing' },
      { kind: 'ignored', reason: 'BlobTierChanged events start nothing' },
      { kind: 'ignored', reason: 'raw/sales/2024/05/05/: a path ending in / is a directory' },
    ],
    also: (parsed, raw) => {
      // Ignored events keep their id, for the log.
      parsed.forEach((p, i) => expect(p.kind === 'ignored' && p.id).toBe((raw[i] as { id: string }).id));
    },
  },
  'azurite-path-style': {
    want: [
      {
        kind: 'file',
        api: 'PutBlockList',
        url: 'https://devstoreaccount1.dfs.core.windows.net/jobs/wordcount/main.py',
        abfss: 'abfss://jobs@devstoreaccount1.dfs.core.windows.net/wordcount/main.py',
        routes: [script('wordcount', 'wordcount')],
      },
    ],
  },
  malformed: {
    want: [
      { kind: 'invalid', reason: 'data.url: expected https://<account>.dfs.core.windows.net/<filesystem>/<path>' },
      { kind: 'invalid', reason: 'eventTime: expected an ISO 8601 time' },
      { kind: 'invalid', reason: 'data.contentLength: expected a number of bytes, found "4187"' },
      { kind: 'invalid', reason: 'data: expected an object' },
      { kind: 'invalid', reason: 'found the host "contosolake.file.core.windows.net"' },
      { kind: 'invalid', reason: 'id: expected the event id' },
      { kind: 'invalid', reason: 'topic: names the storage account "fabrikamlake" but data.url names "contosolake"' },
      { kind: 'invalid', reason: 'data.sequencer: expected a hexadecimal string' },
      { kind: 'invalid', reason: 'is not valid percent-encoding' },
      { kind: 'invalid', reason: '(root): expected an event object, found "Microsoft.Storage.BlobCreated"' },
      { kind: 'invalid', reason: 'found an array' },
      { kind: 'ignored', reason: 'not a storage event: missing eventType/type' },
      { kind: 'ignored', reason: 'not a storage event: Microsoft.EventGrid.SubscriptionValidationEvent' },
    ],
  },
  'subject-url-mismatch': {
    want: [{ kind: 'invalid', reason: 'subject: names the container "raw" but data.url names the filesystem "jobs"' }],
  },
  'account-not-allowed': {
    want: [{ kind: 'file', api: 'FlushWithClose', routes: [skip("account fabrikamlake is not one of the tenant's accounts")] }],
  },
  'main-py-misplaced-or-empty': {
    want: [
      {
        kind: 'file',
        api: 'FlushWithClose',
        routes: [skip('main.py directly in jobs/spark/ has no job folder: upload it as jobs/spark/<job-name>/main.py')],
      },
      { kind: 'file', api: 'PutBlob', contentLength: 0, routes: [skip('empty file')] },
      // The name is exact: Main.py is just another file beside the job.
      { kind: 'file', api: 'PutBlob', routes: [skip(UPLOAD_MAIN_LAST)] },
    ],
  },
  'job-yaml-upload': {
    want: [
      { kind: 'file', api: 'FlushWithClose', routes: [skip(UPLOAD_MAIN_LAST)] },
      { kind: 'file', api: 'PutBlob', routes: [skip(UPLOAD_MAIN_LAST)] },
    ],
  },
  'landing-rule-placeholders': {
    want: [
      {
        kind: 'file',
        api: 'FlushWithClose',
        routes: [
          landing('sales-landing', {
            url: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/orders-eu.csv',
            path: 'sales/2024/05/01/orders-eu.csv',
            folder: 'sales/2024/05/01',
            folderUrl: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/',
            file: 'orders-eu.csv',
            filesystem: 'raw',
            account: 'contosolake',
            date: '2024-05-01',
            time: '23:59:58',
            eventTime: '2024-05-01T23:59:58.999Z',
            rule: 'sales-landing',
            input: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/orders-eu.csv',
            output: 'abfss://curated@contosolake.dfs.core.windows.net/sales/date=2024-05-01/',
            label: 'sales-landing:orders-eu.csv at 23:59:58',
            literal: '{not-a-placeholder} {unknownName}',
          }),
          landing('sales-audit', {
            url: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/orders-eu.csv',
            path: 'sales/2024/05/01/orders-eu.csv',
            folder: 'sales/2024/05/01',
            folderUrl: 'abfss://raw@contosolake.dfs.core.windows.net/sales/2024/05/01/',
            file: 'orders-eu.csv',
            filesystem: 'raw',
            account: 'contosolake',
            date: '2024-05-01',
            time: '23:59:58',
            eventTime: '2024-05-01T23:59:58.999Z',
            rule: 'sales-audit',
          }),
        ],
      },
    ],
    also: ([event]) => {
      const routes = routeEvent(asFile(event), INTAKE, ALLOWED);
      const first = routes[0];
      if (first?.kind !== 'landing') throw new Error('expected a landing route');
      // Every documented placeholder has a value.
      for (const name of RULE_PLACEHOLDERS) expect(first.parameters[name], name).toBeTypeOf('string');
    },
  },
  'sovereign-cloud': {
    want: [
      {
        kind: 'file',
        api: 'FlushWithClose',
        url: 'https://contosogov.dfs.core.usgovcloudapi.net/raw/sales/2024/05/01/orders-us.csv',
        abfss: 'abfss://raw@contosogov.dfs.core.usgovcloudapi.net/sales/2024/05/01/orders-us.csv',
        // sales-landing is for contosolake only; sales-audit watches any allowed account.
        routes: [landing('sales-audit', { folderUrl: 'abfss://raw@contosogov.dfs.core.usgovcloudapi.net/sales/2024/05/01/' })],
      },
    ],
  },
};

// ── Running the corpus ───────────────────────────────────────────────────────────────────────

function asFile(event: ParsedEvent | undefined): FileEvent {
  if (event?.kind !== 'file') throw new Error(`expected a file event, got ${JSON.stringify(event)}`);
  return event;
}

function load(name: string): unknown[] {
  const events: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
  if (!Array.isArray(events)) throw new Error(`${name}.json: expected an array of events`);
  return events;
}

function checkRoute(route: Route | undefined, want: RouteWant): void {
  expect(route?.kind).toBe(want.kind);
  if (route === undefined) return;
  if (want.kind === 'script-upload' && route.kind === 'script-upload') {
    expect({ jobName: route.jobName, folder: route.folder }).toEqual({ jobName: want.jobName, folder: want.folder });
  } else if (want.kind === 'landing' && route.kind === 'landing') {
    expect(route.rule.name).toBe(want.rule);
    if (want.parameters) {
      // A full set of parameters (it has `rule`) is compared exactly; a partial one by its keys.
      if ('rule' in want.parameters) expect(route.parameters).toEqual(want.parameters);
      else expect(route.parameters).toMatchObject(want.parameters);
    }
  } else if (want.kind === 'ignored' && route.kind === 'ignored') {
    expect(route.reason).toContain(want.reason);
  }
}

describe('storage event corpus', () => {
  it('has an expectation for every fixture, and a fixture for every expectation', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
    expect(files).toEqual(Object.keys(SCENARIOS).sort());
  });

  describe.each(Object.entries(SCENARIOS))('%s', (name, scenario) => {
    const raw = load(name);
    const parsed = raw.map((event) => parseStorageEvent(event));

    it('delivers one event per expectation', () => {
      expect(raw).toHaveLength(scenario.want.length);
    });

    it.each(scenario.want.map((want, i) => [i, want] as const))('event %i', (i, want) => {
      const event = parsed[i]!;
      expect(event.kind, JSON.stringify(event)).toBe(want.kind);
      if (want.kind !== 'file') {
        expect(event.kind !== 'file' && event.reason).toContain(want.reason);
        return;
      }
      const file = asFile(event);
      expect(file.api).toBe(want.api);
      expect(file.change).toBe(want.change ?? 'created');
      if (want.url !== undefined) expect(file.url).toBe(want.url);
      if (want.abfss !== undefined) expect(file.abfss).toBe(want.abfss);
      if (want.path !== undefined) expect(file.path).toBe(want.path);
      if (want.contentLength !== undefined) expect(file.contentLength).toBe(want.contentLength);
      expect(file.dedupeKey.startsWith(`${file.url}#`)).toBe(true);
      expect(file.abfss).toBe(`abfss://${file.filesystem}@${new URL(file.url).host}/${file.path}`);

      const routes = routeEvent(file, INTAKE, ALLOWED);
      expect(routes.map((r) => r.kind)).toEqual(want.routes.map((r) => r.kind));
      want.routes.forEach((w, j) => checkRoute(routes[j], w));
      for (const route of routes) expect(route.event).toBe(file);
    });

    if (scenario.also) it('across events', () => scenario.also!(parsed, raw));
  });
});

// ── Details the corpus does not reach ────────────────────────────────────────────────────────

describe('compareSequencers', () => {
  it.each([
    ['0000000000000000000000000000E5A30000000000a8e9f1', '0000000000000000000000000000E5A30000000000a8e9f2', -1],
    ['0000000000000000000000000000E5A30000000000a8e9f1', '0000000000000000000000000000e5a30000000000A8E9F1', 0],
    ['ff', '0100', -1], // padded to equal length: 0x00ff < 0x0100
    ['100', 'ff', 1],
    ['000', '0', 0],
    [undefined, '01', -1],
  ] as const)('%s vs %s → %i', (a, b, want) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(want);
    expect(Math.sign(compareSequencers(b, a))).toBe(-want || 0);
  });
});

describe('orderEvents', () => {
  const file = (url: string, sequencer: string | undefined, id: string): FileEvent => ({
    kind: 'file',
    id,
    change: 'created',
    api: 'FlushWithClose',
    account: 'contosolake',
    filesystem: 'raw',
    path: 'x',
    url,
    abfss: 'abfss://raw@contosolake.dfs.core.windows.net/x',
    eventTime: '2024-05-01T00:00:00.000Z',
    dedupeKey: `${url}#${id}`,
    schema: 'eventgrid',
    ...(sequencer === undefined ? {} : { sequencer }),
  });

  it('puts non-file events first, keeps ties stable, and sorts by url then sequencer', () => {
    const events: ParsedEvent[] = [
      file('https://b', 'ff', 'b-ff'),
      { kind: 'ignored', id: 'i1', reason: 'x' },
      file('https://a', '0100', 'a-0100'),
      file('https://a', 'ff', 'a-ff'),
      { kind: 'invalid', reason: 'y' },
      file('https://a', '0100', 'a-0100-again'),
      file('https://a', undefined, 'a-none'),
    ];
    const ids = orderEvents(events).map((e) => (e.kind === 'file' ? e.id : e.kind));
    expect(ids).toEqual(['ignored', 'invalid', 'a-none', 'a-ff', 'a-0100', 'a-0100-again', 'b-ff']);
    expect(events[0]!.kind).toBe('file'); // the input is not changed
  });
});

describe('parseStorageEvent odds and ends', () => {
  const base = load('blob-putblob')[0] as Record<string, unknown> & { data: Record<string, unknown> };
  const withData = (data: Record<string, unknown>) => ({ ...base, data: { ...base.data, ...data } });

  it.each([
    [
      'a China cloud blob host',
      'https://contosolake.blob.core.chinacloudapi.cn/jobs/spark/wordcount/main.py',
      'https://contosolake.dfs.core.chinacloudapi.cn/jobs/spark/wordcount/main.py',
    ],
    [
      'an upper-case host',
      'https://ContosoLake.Blob.Core.Windows.Net/jobs/spark/wordcount/main.py',
      `${LAKE}/jobs/spark/wordcount/main.py`,
    ],
    [
      'Azurite by name in docker compose',
      'http://azurite:10000/contosolake/jobs/spark/wordcount/main.py',
      `${LAKE}/jobs/spark/wordcount/main.py`,
    ],
    [
      'unicode, encoded',
      'https://contosolake.blob.core.windows.net/jobs/spark/r%C3%A9sum%C3%A9/main.py',
      `${LAKE}/jobs/spark/r%C3%A9sum%C3%A9/main.py`,
    ],
    ['unicode, raw', 'https://contosolake.blob.core.windows.net/jobs/spark/résumé/main.py', `${LAKE}/jobs/spark/r%C3%A9sum%C3%A9/main.py`],
  ])('canonicalises %s', (_title, url, want) => {
    const event = parseStorageEvent(withData({ url }));
    expect(asFile(event).url).toBe(want);
  });

  it.each([
    ['an encoded /', 'https://contosolake.blob.core.windows.net/jobs/spark/a%2Fb/main.py', 'encodes a /'],
    ['an empty segment', 'https://contosolake.blob.core.windows.net/jobs/spark//main.py', 'without empty segments'],
    ['a control character', 'https://contosolake.blob.core.windows.net/jobs/spark/a%0Ab/main.py', 'control or invisible'],
    ['a bad account name', 'https://Contoso_Lake.example.com/jobs/main.py', 'found the host'],
    ['ftp', 'ftp://contosolake.blob.core.windows.net/jobs/main.py', 'expected an https URL'],
    ['not a URL', 'jobs/main.py', 'data.url: expected https://'],
  ])('refuses a URL with %s', (_title, url, reason) => {
    const event = parseStorageEvent(withData({ url }));
    expect(event.kind).toBe('invalid');
    expect(event.kind === 'invalid' && event.reason).toContain(reason);
  });

  it('keys an event without eTag by its sequencer, and without either by its id', () => {
    const { eTag: _e, ...noEtag } = base.data;
    const bySeq = asFile(parseStorageEvent({ ...base, data: noEtag }));
    expect(bySeq.dedupeKey).toBe(`${bySeq.url}#seq:${String(base.data.sequencer)}`);
    const { sequencer: _s, ...neither } = noEtag;
    const byId = asFile(parseStorageEvent({ ...base, data: neither }));
    expect(byId.dedupeKey).toBe(`${byId.url}#id:${String(base.id)}`);
    expect(byId.sequencer).toBeUndefined();
  });

  it('accepts an event without subject, and refuses a subject of another shape', () => {
    const { subject: _subject, ...noSubject } = base;
    expect(parseStorageEvent(noSubject).kind).toBe('file');
    const odd = parseStorageEvent({ ...base, subject: '/containers/jobs/main.py' });
    expect(odd.kind === 'invalid' && odd.reason).toContain('subject: expected /blobServices/default/containers/<filesystem>/blobs/<path>');
  });

  it('ignores BlobCreated from other APIs with the reason', () => {
    const event = parseStorageEvent(withData({ api: 'AppendFile' }));
    expect(event.kind === 'ignored' && event.reason).toBe(
      "BlobCreated by AppendFile starts nothing: only FlushWithClose, PutBlob, PutBlockList, SftpCommit and a completed CopyBlob carry the file's content",
    );
  });

  it('refuses an event nested too deep or too large before reading it, saying where', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(parseStorageEvent(withData({ storageDiagnostics: deep }))).toEqual({
      kind: 'invalid',
      reason:
        'data.storageDiagnostics[0][0]… (128 levels down): expected a storage event nested at most 128 levels deep, found more than 128 levels',
    });
    expect(parseStorageEvent(withData({ url: 'x'.repeat(300 * 1024) }))).toEqual({
      kind: 'invalid',
      reason: '(root): expected a storage event of at most 256 KiB, found more than 256 KiB as JSON (the limit is passed at data.url)',
    });
  });

  it('never throws', () => {
    for (const raw of [
      null,
      undefined,
      0,
      true,
      '',
      [],
      {},
      { eventType: 1 },
      { specversion: '1.0' },
      { eventType: 'Microsoft.Storage.BlobCreated' },
      { ...base, data: null },
      { ...base, data: { ...base.data, n: 1n } },
    ]) {
      expect(() => parseStorageEvent(raw)).not.toThrow();
    }
  });
});

describe('routeEvent odds and ends', () => {
  const event = asFile(parseStorageEvent(load('datalake-createfile-flush')[1]));

  it('lets the longest script-upload prefix decide', () => {
    const intake = IntakeSettingsSchema.parse({
      scriptUploads: [
        { account: 'contosolake', filesystem: 'jobs', prefix: '' },
        { account: 'contosolake', filesystem: 'jobs', prefix: 'spark/nightly' }, // no trailing slash: a folder all the same
      ],
    });
    expect(routeEvent(event, intake, ALLOWED)).toEqual([{ kind: 'script-upload', jobName: 'etl', folder: 'spark/nightly/etl', event }]);
  });

  it('starts a script upload and a landing rule for one file', () => {
    const intake = IntakeSettingsSchema.parse({
      scriptUploads: [{ account: 'contosolake', filesystem: 'jobs', prefix: 'spark/' }],
      rules: [{ name: 'scripts', filesystem: 'jobs', path: '**/*.py', template: 'lint' }],
    });
    expect(routeEvent(event, intake, ALLOWED).map((r) => r.kind)).toEqual(['script-upload', 'landing']);
  });

  it('reports a rule whose glob does not compile when nothing else matches', () => {
    const intake = IntakeSettingsSchema.parse({ rules: [{ name: 'broken', filesystem: 'jobs', path: 'spark/[abc', template: 't' }] });
    const routes = routeEvent(event, intake, ALLOWED);
    expect(routes).toHaveLength(1);
    expect(routes[0]!.kind === 'ignored' && routes[0]!.reason).toContain('rule broken: invalid glob');
  });

  it('gives exactly the documented placeholders (RULE_PLACEHOLDERS), no more', () => {
    expect(Object.keys(placeholderValues(event, 'r')).sort()).toEqual([...RULE_PLACEHOLDERS].sort());
  });

  it('takes script-upload prefixes as the settings schema normalised them', () => {
    const intake = IntakeSettingsSchema.parse({ scriptUploads: [{ account: 'contosolake', filesystem: 'jobs', prefix: '/spark' }] });
    expect(intake.scriptUploads[0]!.prefix).toBe('spark/');
    expect(routeEvent(event, intake, ALLOWED)).toEqual([{ kind: 'script-upload', jobName: 'etl', folder: 'spark/nightly/etl', event }]);
  });

  it('puts folderUrl at the filesystem root for a file at the root', () => {
    const upload = load('blob-putblob')[0] as { subject: string; data: Record<string, unknown> };
    const root = asFile(
      parseStorageEvent({
        ...upload,
        subject: '/blobServices/default/containers/jobs/blobs/ready.flag',
        data: { ...upload.data, url: `${LAKE}/jobs/ready.flag` },
      }),
    );
    const intake = IntakeSettingsSchema.parse({ rules: [{ name: 'flag', filesystem: 'jobs', path: '*.flag', template: 't' }] });
    const [route] = routeEvent(root, intake, ALLOWED);
    expect(route?.kind === 'landing' && route.parameters).toMatchObject({
      folder: '',
      folderUrl: 'abfss://jobs@contosolake.dfs.core.windows.net/',
      file: 'ready.flag',
      path: 'ready.flag',
    });
  });
});
