/**
 * pods/log: the kubelet's container log, with the query parameters the API server passes on
 * (pkg/registry/core/pod/rest/log.go → kubelet, k8s.io/api core/v1 PodLogOptions): sinceSeconds or
 * sinceTime (lines received at or after), tailLines (last N lines), timestamps (each line prefixed
 * with the RFC 3339 time the runtime received it, and a space), then limitBytes.
 */
import { arrayAt, stringAt } from './jsonValues.js';
import { queryInteger } from './queryParams.js';
import { badRequest } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

/** One line of a container's log (without its newline) and when the runtime received it. */
export interface LogLine {
  readonly at: string;
  readonly text: string;
}

/** `text` as log lines received at `at`; a final newline ends the last line, it does not start another. */
export function logLines(text: string, at: string): LogLine[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((line) => ({ at, text: line }));
}

/** The container the request reads: `container` if given and valid, else the only one. */
export function logContainer(pod: KubeStoredObject, query: URLSearchParams): string {
  const names = (arrayAt(pod, 'spec', 'containers') ?? []).map((c) => stringAt(c, 'name') ?? '');
  const requested = query.get('container');
  if (requested) {
    if (!names.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  if (names.length !== 1) {
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
  }
  return names[0] ?? '';
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function sliceLog(lines: readonly LogLine[], query: URLSearchParams, nowMs: number): string {
  // pkg/apis/core/validation ValidatePodLogOptions: tailLines >= 0, limitBytes > 0, sinceSeconds > 0,
  // and at most one of sinceSeconds and sinceTime
  const tailLines = queryInteger(query, 'tailLines', { min: 0 });
  const limitBytes = queryInteger(query, 'limitBytes', { min: 1 });
  const sinceSeconds = queryInteger(query, 'sinceSeconds', { min: 1 });
  const sinceTime = query.get('sinceTime') || undefined;
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceTime !== undefined && !RFC3339.test(sinceTime))
    throw badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  const timestamps = query.get('timestamps') === 'true';
  const since = sinceSeconds !== undefined ? nowMs - sinceSeconds * 1000 : sinceTime !== undefined ? Date.parse(sinceTime) : undefined;
  let selected = since === undefined ? lines : lines.filter((l) => Date.parse(l.at) >= since);
  if (tailLines !== undefined) selected = tailLines === 0 ? [] : selected.slice(-tailLines);
  let out = selected.map((l) => `${timestamps ? `${nanoTime(l.at)} ` : ''}${l.text}\n`).join('');
  if (limitBytes !== undefined) {
    const bytes = Buffer.from(out, 'utf8');
    if (bytes.length > limitBytes) out = bytes.subarray(0, limitBytes).toString('utf8');
  }
  return out;
}

/** The kubelet prints RFC3339Nano: nine fraction digits. */
function nanoTime(at: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return at;
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
