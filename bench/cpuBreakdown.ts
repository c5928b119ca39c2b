/**
 * Where a job's CPU goes, from a V8 CPU profile of an end-to-end run (node:inspector's Profiler):
 * each sample is charged to the nearest frame of this repository on its stack (walking up from
 * the leaf), so a JSON.parse inside the ledger adapter counts as the ledger, one inside the
 * stand-in as the stand-in. A profile has no async stacks: code that runs after an await in a
 * library starts from the event loop with no frame of ours above it, so such samples go by the
 * library (the Blob SDK's pipeline is only the ledger's in a job-message run; AMQP is shared by
 * the dispatcher's event sender, the host's receiver and the broker). Samples with neither (the
 * event loop reading sockets, timers) and the garbage collector are shared by everything in the
 * process and reported apart.
 */

/** What node:inspector's Profiler.stop returns (the fields read here). */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly url: string; readonly functionName: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export type Part =
  | 'dispatcher: Kubernetes client'
  | 'dispatcher: ledger (Blob SDK)'
  | 'dispatcher: events (Service Bus SDK)'
  | 'dispatcher: trigger, use cases, domain'
  | 'Functions host emulation (receive, settle)'
  | 'API server stand-in'
  | 'Service Bus broker'
  | 'AMQP (Service Bus SDK, rhea): events, receive, settle, broker'
  | 'bench and storage proxy'
  | 'shared: event loop, sockets'
  | 'shared: garbage collector';

/** The repository folders, in the order they are tested: the first that matches a frame's URL names its part. */
const PARTS: readonly [RegExp, Part][] = [
  [/\/src\/adapters\/kubernetes\//, 'dispatcher: Kubernetes client'],
  [/\/src\/adapters\/blob\//, 'dispatcher: ledger (Blob SDK)'],
  [/\/src\/adapters\/serviceBus\//, 'dispatcher: events (Service Bus SDK)'],
  [/\/(src|functions)\//, 'dispatcher: trigger, use cases, domain'],
  [/\/dev\/local-stack\//, 'Functions host emulation (receive, settle)'],
  [/\/dev\/kube-standin\//, 'API server stand-in'],
  [/\/dev\/servicebus-broker\//, 'Service Bus broker'],
  [/\/(bench|test)\//, 'bench and storage proxy'],
];

/** Libraries that decide a sample with no frame of ours above it. */
const LIBRARIES: readonly [RegExp, Part][] = [
  [/\/node_modules\/@kubernetes\/client-node\//, 'dispatcher: Kubernetes client'],
  [
    /\/node_modules\/(@azure\/(storage-blob|storage-common|core-client|core-http-compat|core-rest-pipeline|core-xml)|@typespec\/ts-http-runtime|fast-xml-parser)\//,
    'dispatcher: ledger (Blob SDK)',
  ],
  [
    /\/node_modules\/(@azure\/(service-bus|core-amqp)|rhea-promise|rhea)\//,
    'AMQP (Service Bus SDK, rhea): events, receive, settle, broker',
  ],
];

/** Milliseconds of CPU per part, idle excluded. */
export function cpuBreakdown(profile: CpuProfile, repositoryUrl: string): Map<Part, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const partOf = new Map<number, Part | undefined>();
  const part = (id: number): Part | undefined => {
    if (partOf.has(id)) return partOf.get(id);
    const frame = byId.get(id)?.callFrame;
    let found: Part | undefined;
    if (frame?.url.startsWith(repositoryUrl) && !frame.url.includes('/node_modules/')) {
      const path = frame.url.slice(repositoryUrl.length);
      found = PARTS.find(([pattern]) => pattern.test(path))?.[1];
    }
    const up = parent.get(id);
    if (found === undefined && up !== undefined) found = part(up);
    partOf.set(id, found);
    return found;
  };
  const libraryOf = new Map<number, Part | undefined>();
  const library = (id: number): Part | undefined => {
    if (libraryOf.has(id)) return libraryOf.get(id);
    const url = byId.get(id)?.callFrame.url ?? '';
    let found = LIBRARIES.find(([pattern]) => pattern.test(url))?.[1];
    const up = parent.get(id);
    if (found === undefined && up !== undefined) found = library(up);
    libraryOf.set(id, found);
    return found;
  };
  const totals = new Map<Part, number>();
  for (const [id, us] of selfUs) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)') continue;
    const p: Part =
      name === '(garbage collector)' ? 'shared: garbage collector' : (part(id) ?? library(id) ?? 'shared: event loop, sockets');
    totals.set(p, (totals.get(p) ?? 0) + us / 1000);
  }
  return totals;
}
