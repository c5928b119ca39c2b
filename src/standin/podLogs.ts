/**
 * pods/log: the kubelet's container log, with the query parameters the API server passes on
 * (pkg/registry/core/pod/rest/log.go → kubelet): tailLines (last N lines), then limitBytes.
 */
import { arrayAt, stringAt } from './jsonValues.js';
import { queryInteger } from './queryParams.js';
import { badRequest } from './statusObjects.js';
import type { KubeStoredObject } from './standInTypes.js';

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

export function sliceLog(text: string, query: URLSearchParams): string {
  // pkg/apis/core/validation ValidatePodLogOptions: tailLines >= 0, limitBytes > 0
  const tailLines = queryInteger(query, 'tailLines', { min: 0 });
  const limitBytes = queryInteger(query, 'limitBytes', { min: 1 });
  let out = text;
  if (tailLines !== undefined) {
    const lines = out.split(/(?<=\n)/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    out = tailLines === 0 ? '' : lines.slice(-tailLines).join('');
  }
  if (limitBytes !== undefined) {
    const bytes = Buffer.from(out, 'utf8');
    if (bytes.length > limitBytes) out = bytes.subarray(0, limitBytes).toString('utf8');
  }
  return out;
}
