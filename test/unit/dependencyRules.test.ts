/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm test` on the repository) fail on a
 * violation: each case below is a small tree that breaks exactly one rule, cruised with the
 * repository's own configuration, and the tree without it passes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

/** A tree that keeps every rule: the layers in their direction, settings read by the domain as types only. */
const CLEAN: Record<string, string> = {
  'src/shared/errors.ts': `export class DispatchError extends Error {}\n`,
  'src/settings/settingsSchema.ts': `import { DEFAULT_LIMIT } from '../domain/limits.js';\nexport type Settings = { readonly limit: number };\nexport const SCHEMA_DEFAULT = DEFAULT_LIMIT;\n`,
  'src/domain/limits.ts': `import type { Settings } from '../settings/settingsSchema.js';\nimport { createHash } from 'node:crypto';\nimport { DispatchError } from '../shared/errors.js';\nexport const DEFAULT_LIMIT = 1;\nexport const limitOf = (s: Settings): number => s.limit;\nexport const digest = (t: string) => createHash('sha256').update(t).digest('hex');\nexport { DispatchError };\n`,
  'src/usecases/queuePort.ts': `export interface QueuePort { send(body: unknown): Promise<void> }\n`,
  'src/usecases/intake.ts': `import type { Settings } from '../settings/settingsSchema.js';\nimport { limitOf } from '../domain/limits.js';\nimport type { QueuePort } from './queuePort.js';\nexport const intake = (s: Settings, q: QueuePort) => q.send(limitOf(s));\n`,
  'src/adapters/queue.ts': `import type { QueuePort } from '../usecases/queuePort.js';\nexport const queue: QueuePort = { send: async () => {} };\n`,
  'src/cli/commands/start.ts': `import type { Stack } from '../../../dev/stack.js';\nexport const start = async (): Promise<Stack> => (await import('../../../dev/stack.js')).stack;\n`,
  'functions/jobMessages.ts': `import { intake } from '../src/usecases/intake.js';\nimport { queue } from '../src/adapters/queue.js';\nexport const run = () => intake({ limit: 1 }, queue);\n`,
  'dev/stack.ts': `export type Stack = { readonly port: number };\nexport const stack: Stack = { port: 1 };\n`,
};

/** Each case: the rules it must break (a cycle at run time is also a cycle of types), and the files added to CLEAN. */
const CASES: readonly { readonly rule: string; readonly also?: readonly string[]; readonly files: Record<string, string> }[] = [
  { rule: 'domain-is-pure', files: { 'src/domain/bad.ts': `import { queue } from '../adapters/queue.js';\nexport const q = queue;\n` } },
  {
    rule: 'domain-settings-types-only',
    files: { 'src/domain/bad.ts': `import { SCHEMA_DEFAULT } from '../settings/settingsSchema.js';\nexport const d = SCHEMA_DEFAULT;\n` },
  },
  { rule: 'domain-no-io', files: { 'src/domain/bad.ts': `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n` } },
  {
    rule: 'usecases-through-ports',
    files: { 'src/usecases/bad.ts': `import { queue } from '../adapters/queue.js';\nexport const q = queue;\n` },
  },
  {
    rule: 'usecases-settings-types-only',
    files: { 'src/usecases/bad.ts': `import { SCHEMA_DEFAULT } from '../settings/settingsSchema.js';\nexport const d = SCHEMA_DEFAULT;\n` },
  },
  {
    rule: 'usecases-no-sdk',
    files: { 'src/usecases/bad.ts': `import { setTimeout } from 'node:timers/promises';\nexport const wait = setTimeout;\n` },
  },
  {
    rule: 'product-without-dev-stack',
    files: { 'src/runtime/bad.ts': `import { stack } from '../../dev/stack.js';\nexport const s = stack;\n` },
  },
  { rule: 'product-without-dev-stack', files: { 'functions/bad.ts': `export const load = () => import('../dev/stack.js');\n` } },
  {
    rule: 'dev-stack-loaded-lazily',
    files: { 'src/cli/commands/cluster.ts': `import { stack } from '../../../dev/stack.js';\nexport const s = stack;\n` },
  },
  {
    rule: 'src-not-functions-or-tests',
    files: { 'src/runtime/bad.ts': `import { run } from '../../functions/jobMessages.js';\nexport const r = run;\n` },
  },
  {
    rule: 'no-circular',
    also: ['no-circular-types'],
    files: {
      'src/domain/a.ts': `import { b } from './b.js';\nexport const a = () => b;\n`,
      'src/domain/b.ts': `import { a } from './a.js';\nexport const b = () => a;\n`,
    },
  },
  {
    rule: 'no-circular-types',
    files: {
      'src/domain/a.ts': `import type { B } from './b.js';\nexport type A = { b?: B };\n`,
      'src/domain/b.ts': `import type { A } from './a.js';\nexport type B = { a?: A };\n`,
    },
  },
];

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

async function violationsOf(files: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'dependency-rules-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  // The repository's rules and options, but not its tsconfig (the fixture has none; `.js` resolves to `.ts` without it).
  const { tsConfig: _tsConfig, ...options } = config.options ?? {};
  const reported = await cruise(['src', 'functions', 'dev'], {
    ...options,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
    baseDir: root,
  });
  const result = reported.output as ICruiseResult;
  return result.summary.violations.map((v) => v.rule.name);
}

describe('the dependency rules', () => {
  it('pass a tree that keeps the layers', async () => {
    expect(await violationsOf(CLEAN)).toEqual([]);
  });

  it.each(CASES.map((c) => [c.rule, Object.keys(c.files).join(', '), c] as const))('%s fails on %s', async (_rule, _where, c) => {
    const found = await violationsOf({ ...CLEAN, ...c.files });
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found)).toEqual(new Set([c.rule, ...(c.also ?? [])]));
  });
});
