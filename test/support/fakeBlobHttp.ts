/**
 * An HTTP fake for the storage SDK: its `httpClient` pipeline option answers each request from a
 * handler, so the real client (bearer-token policy, retries, error parsing) runs against
 * https://<account>.blob.core.windows.net without a network.
 */
import { Readable } from 'node:stream';
import type { StoragePipelineOptions } from '@azure/storage-blob';

type FakeHttpClient = NonNullable<StoragePipelineOptions['httpClient']>;
type WebResource = Parameters<FakeHttpClient['sendRequest']>[0];
type CompatResponse = Awaited<ReturnType<FakeHttpClient['sendRequest']>>;
type HeadersLike = CompatResponse['headers'];
type RawHeaders = ReturnType<HeadersLike['rawHeaders']>;

class FakeHeaders implements HeadersLike {
  private readonly map = new Map<string, { name: string; value: string }>();
  constructor(raw: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(raw)) this.set(name, value);
  }
  set(name: string, value: string | number): void {
    this.map.set(name.toLowerCase(), { name, value: String(value) });
  }
  get(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.value;
  }
  contains(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  remove(name: string): boolean {
    return this.map.delete(name.toLowerCase());
  }
  rawHeaders(): RawHeaders {
    return this.toJson();
  }
  headersArray() {
    return [...this.map.values()];
  }
  headerNames(): string[] {
    return [...this.map.values()].map((h) => h.name);
  }
  headerValues(): string[] {
    return [...this.map.values()].map((h) => h.value);
  }
  clone(): HeadersLike {
    return new FakeHeaders(this.toJson({ preserveCase: true }));
  }
  toJson(options: { preserveCase?: boolean } = {}): RawHeaders {
    return Object.fromEntries([...this.map.entries()].map(([key, h]) => [options.preserveCase ? h.name : key, h.value]));
  }
}

export interface SeenRequest {
  readonly method: string;
  readonly url: URL;
  readonly authorization: string | undefined;
}

export interface FakeAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** The storage service's XML error body, as it sends one with a 4xx/5xx. */
export function storageErrorAnswer(status: number, code: string, message: string): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-request-id': 'fake-request-1' },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:fake-request-1\nTime:2026-11-23T10:00:00.0000000Z</Message></Error>`,
  };
}

export function fakeBlobHttp(answer: (request: SeenRequest) => FakeAnswer): {
  readonly httpClient: FakeHttpClient;
  readonly requests: SeenRequest[];
} {
  const requests: SeenRequest[] = [];
  const httpClient: FakeHttpClient = {
    async sendRequest(request: WebResource): Promise<CompatResponse> {
      const seen = { method: request.method, url: new URL(request.url), authorization: request.headers.get('authorization') };
      requests.push(seen);
      const a = answer(seen);
      const headers = new FakeHeaders({
        'x-ms-version': '2025-01-05',
        'content-length': String(Buffer.byteLength(a.body ?? '', 'utf8')),
        ...(a.headers ?? {}),
      });
      const streamed = request.streamResponseStatusCodes?.has(a.status) === true;
      return {
        request,
        status: a.status,
        headers,
        ...(streamed ? { readableStreamBody: Readable.from([Buffer.from(a.body ?? '', 'utf8')]) } : { bodyAsText: a.body ?? '' }),
      };
    },
  };
  return { httpClient, requests };
}
