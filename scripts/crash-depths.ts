/**
 * npx tsx scripts/crash-depths.ts: how deep a nested value each reader of untrusted input takes
 * before it fails, measured in a fresh Node process per try (a warm process has compiled regular
 * expressions a cold worker compiles on first use, and fails later or differently). Prints a
 * table; bounds.ts explains the limit chosen from it (MAX_NESTING).
 *
 * Each path is tried at doubling depths up to 1,048,576, then the first failing depth is narrowed
 * down to 1 %. "fails" is either a thrown error (a RangeError, or yaml's own error wrapping one)
 * or the process dying (a V8 fatal error: SIGABRT, exit 134 in a shell).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, Parser } from 'yaml';
import { z } from 'zod';
import { JobSpecSchema } from '../src/domain/spec/jobSpec.js';
import { fillPlaceholders } from '../src/domain/intake/placeholders.js';
import { deepMerge } from '../src/settings/loadSettings.js';
import { canonicalJson } from '../src/domain/tenant/jobIdentity.js';

const YAML_OPTIONS = { schema: 'core', uniqueKeys: true, prettyErrors: false, maxAliasCount: 100 } as const;
const nestedObject = (levels: number): unknown => {
  let value: unknown = 'x {date}';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

const PATHS: Record<string, { readonly what: string; readonly run: (depth: number) => unknown }> = {
  'yaml-flow-seq': { what: 'yaml parse, flow lists [[[x]]]', run: (d) => parseYaml(`${'['.repeat(d)}x${']'.repeat(d)}`, YAML_OPTIONS) },
  'yaml-flow-map': {
    what: 'yaml parse, flow maps {a: {a: 1}}',
    run: (d) => parseYaml(`${'{a: '.repeat(d)}1${'}'.repeat(d)}`, YAML_OPTIONS),
  },
  'yaml-block-seq': { what: 'yaml parse, block lists - - - x', run: (d) => parseYaml(`${'- '.repeat(d)}x\n`, YAML_OPTIONS) },
  'yaml-block-map': {
    what: 'yaml parse, maps nested by indentation',
    run: (d) => parseYaml(`${Array.from({ length: d }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`, YAML_OPTIONS),
  },
  'yaml-cst': {
    what: "yaml's concrete-syntax parser (what nestingDepth walks)",
    run: (d) => [...new Parser().parse(`${'['.repeat(d)}${']'.repeat(d)}`)].length,
  },
  'json-parse': { what: 'JSON.parse', run: (d) => JSON.parse(`${'['.repeat(d)}${']'.repeat(d)}`) },
  'json-stringify': { what: 'JSON.stringify', run: (d) => JSON.stringify(nestedObject(d)).length },
  'structured-clone': { what: 'structuredClone', run: (d) => structuredClone(nestedObject(d)) },
  'zod-job-spec': {
    what: 'zod: the job spec schema (no recursive types)',
    run: (d) => JobSpecSchema.safeParse({ name: 'x', main: nestedObject(d), conf: nestedObject(d), extra: nestedObject(d) }).success,
  },
  'zod-recursive': { what: 'zod: a recursive type (z.json)', run: (d) => z.json().safeParse(nestedObject(d)).success },
  'canonical-json': { what: 'canonicalJson (fingerprints, content hashes)', run: (d) => canonicalJson(nestedObject(d)).length },
  'fill-placeholders': {
    what: 'fillPlaceholders (templates)',
    run: (d) => fillPlaceholders(nestedObject(d), { date: '2026-11-23' }).unknown,
  },
  'deep-merge': { what: 'deepMerge (settings)', run: (d) => deepMerge(nestedObject(d), nestedObject(d)) },
};

const MAX_DEPTH = 1_048_576;

type Outcome = 'ok' | `throws ${string}` | `dies ${string}`;

function probe(path: string, depth: number): Outcome {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--probe', path, String(depth)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = r.stdout.trim();
  if (r.status === 0 && out === 'ok') return 'ok';
  if (r.status === 0 && out.startsWith('throws ')) return out as Outcome;
  const fatal = r.stderr.split('\n').find((l) => l.includes('FATAL ERROR')) ?? r.stderr.trim().split('\n').at(-1) ?? '';
  return `dies (${r.signal ?? `exit ${r.status}`}: ${fatal.slice(0, 80)})`;
}

function measure(path: string): { okAt: number; failsAt?: number; how?: string } {
  let low = 64;
  let outcome = probe(path, low);
  if (outcome !== 'ok') return { okAt: 0, failsAt: low, how: outcome };
  let high = low * 2;
  while (high <= MAX_DEPTH && (outcome = probe(path, high)) === 'ok') {
    low = high;
    high *= 2;
  }
  if (high > MAX_DEPTH) return { okAt: low };
  let how = outcome;
  while (high - low > Math.max(1, Math.floor(low / 100))) {
    const mid = Math.floor((low + high) / 2);
    const o = probe(path, mid);
    if (o === 'ok') low = mid;
    else [high, how] = [mid, o];
  }
  return { okAt: low, failsAt: high, how };
}

if (process.argv[2] === '--probe') {
  const [path, depth] = [process.argv[3]!, Number(process.argv[4])];
  try {
    PATHS[path]!.run(depth);
    process.stdout.write('ok\n');
  } catch (error) {
    process.stdout.write(`throws ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 60)}` : String(error)}\n`);
  }
} else {
  const only = process.argv.slice(2);
  process.stdout.write(
    `crash depths on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, one fresh process per try\n\n`,
  );
  process.stdout.write('| path | works at | fails from | how |\n|---|---|---|---|\n');
  for (const [path, { what }] of Object.entries(PATHS)) {
    if (only.length > 0 && !only.includes(path)) continue;
    const m = measure(path);
    process.stdout.write(
      `| ${what} | ${m.okAt.toLocaleString('en')} | ${m.failsAt === undefined ? `none up to ${MAX_DEPTH.toLocaleString('en')}` : m.failsAt.toLocaleString('en')} | ${m.how ?? '-'} |\n`,
    );
  }
}
