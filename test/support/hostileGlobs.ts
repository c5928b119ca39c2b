/**
 * Landing rules with globs built to make a backtracking matcher try every way of splitting a
 * name (many stars, `**` after `**`, classes), and long names that almost match them or do: each
 * delivered as a storage event to the storage-event function, with the ledger in Azurite and the
 * drivers in the stand-in. A near miss must be ignored with its reason, a match must launch once,
 * and no event may take long; globs that do not compile must be refused by the settings, naming
 * the rule. `npm run soak` prints the figures; the reliability test asserts them.
 */
import functions from '@azure/functions';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { compileGlob } from '../../src/domain/intake/glob.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { deepMerge, parseSettings } from '../../src/settings/loadSettings.js';
import { blobCreated } from './blobEvents.js';
import { intakeEnv } from './intakeEnv.js';

const TEMPLATE = {
  landed: { name: 'landed', main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/landed/main.py', args: ['{path}'] },
};

/**
 * One rule per top folder, so that a name can only ever match its own rule. Near misses are
 * 1,000 characters long (a blob name may have 1,024); matching names are kept shorter, as a job
 * key (the rule, the file's URL and eTag) may have at most 512 characters.
 */
const RULES: readonly { readonly name: string; readonly path: string; readonly nearMiss: string; readonly match: string }[] = [
  { name: 'stars', path: 'h1/*_*_*_*_*.csv', nearMiss: `h1/${'_'.repeat(1000)}.csv!`, match: `h1/a_b_c_d_${'_'.repeat(300)}.csv` },
  { name: 'dirs', path: 'h2/**/**/**/**/**/_SUCCESS', nearMiss: `h2/${'a/'.repeat(500)}_SUCCES`, match: `h2/${'a/'.repeat(150)}_SUCCESS` },
  { name: 'repeats', path: 'h3/*a*a*a*a*a*a*a*a*b', nearMiss: `h3/${'a'.repeat(1000)}`, match: `h3/${'a'.repeat(300)}b` },
  { name: 'singles', path: 'h4/?*?*?*?*?*?*?*?*.json', nearMiss: `h4/${'é'.repeat(1000)}.jso`, match: `h4/${'é'.repeat(50)}.json` },
  {
    name: 'classes',
    path: 'h5/[a-z]*[a-z]*[a-z]*[a-z]*.parquet',
    nearMiss: `h5/${'part'.repeat(250)}.parque`,
    match: `h5/${'part'.repeat(75)}.parquet`,
  },
  {
    name: 'mixed',
    path: 'h6/**/*=*/**/*_*_*_SUCCESS',
    nearMiss: `h6/${'d=_/'.repeat(200)}${'_'.repeat(190)}SUCCES`,
    match: `h6/${'d=_/'.repeat(75)}a_b_c_SUCCESS`,
  },
];

/** Globs the settings must refuse, each naming its rule. */
const MALFORMED: readonly { readonly name: string; readonly path: string }[] = [
  { name: 'unclosed', path: 'h7/[abc*.csv' },
  { name: 'reversed', path: 'h8/part-[9-0]*.csv' },
  { name: 'leading-slash', path: '/h9/*.csv' },
  { name: 'trailing-slash', path: 'h10/**/' },
];

export interface HostileGlobsResult {
  readonly inputs: number;
  readonly events: number;
  /** Near misses ignored with their reason, and malformed globs refused by the settings with theirs. */
  readonly rejectedWithReason: number;
  /** Events whose delivery threw: must be 0. */
  readonly crashes: number;
  /** Near misses not ignored with a reason, matches not launched, malformed globs not refused: must be 0. */
  readonly lost: number;
  readonly drivers: number;
  readonly failures: readonly string[];
  /** The slowest near miss, start to end of its delivery: the glob's worst case (a match adds a launch). */
  readonly slowestNearMissMs: number;
  /** The most steps one glob took on one name, and its bound 2 × tokens × (characters + 1). */
  readonly maxSteps: number;
  readonly maxStepsBound: number;
  readonly seconds: number;
}

export async function hostileGlobsScenario(): Promise<HostileGlobsResult> {
  const started = performance.now();
  const failures: string[] = [];

  // The settings refuse each malformed glob, naming its rule's path.
  const refused = parseSettings(
    deepMerge(structuredClone(DEMO_SETTINGS), {
      intake: { templates: TEMPLATE, rules: MALFORMED.map((r) => ({ ...r, filesystem: 'data', template: 'landed' })) },
    }),
  );
  const problems = refused.ok ? [] : refused.problems;
  let rejectedWithReason = 0;
  MALFORMED.forEach((rule, i) => {
    const problem = problems.find((p) => p.path === `settings.intake.rules[${i}].path`);
    if (problem) rejectedWithReason++;
    else failures.push(`glob ${rule.path}: not refused by the settings (${problems.map(problemToString).join('; ') || 'no problems'})`);
  });

  const env = await intakeEnv({
    intake: { templates: TEMPLATE, rules: RULES.map(({ name, path }) => ({ name, path, filesystem: 'data', template: 'landed' })) },
  });
  try {
    const handler = makeStorageEventsHandler(async () => env.runtime.deps);
    // The first delivery loads the use case: not part of any event's time.
    await handler(
      blobCreated('data', 'unwatched/warm-up.csv', '0x8DC0F1B5F2D0000') as never,
      new functions.InvocationContext({ invocationId: 'glob-warm-up', functionName: 'storageEvents', logHandler: () => {} }),
    );
    let crashes = 0;
    let slowestNearMissMs = 0;
    let maxSteps = 0;
    let maxStepsBound = 0;
    let sequence = 0;
    for (const rule of RULES) {
      const compiled = compileGlob(rule.path);
      for (const [kind, path] of [
        ['near miss', rule.nearMiss],
        ['match', rule.match],
      ] as const) {
        const { steps } = compiled.match(path);
        if (steps > maxSteps) [maxSteps, maxStepsBound] = [steps, 2 * compiled.tokens * ([...path].length + 1)];
        const eTag = `0x8DC0F1B5F2D${(++sequence).toString(16).padStart(4, '0').toUpperCase()}`;
        const lines: string[] = [];
        const context = new functions.InvocationContext({
          invocationId: `glob-${rule.name}-${sequence}`,
          functionName: 'storageEvents',
          logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
        });
        const t = performance.now();
        try {
          await handler(blobCreated('data', path, eTag) as never, context);
        } catch (error) {
          crashes++;
          failures.push(`${rule.name} ${kind}: the delivery threw ${String(error).slice(0, 200)}`);
          continue;
        } finally {
          if (kind === 'near miss') slowestNearMissMs = Math.max(slowestNearMissMs, performance.now() - t);
        }
        const logged = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
        const outcomes = logged.find((l) => l.message === 'storage events handled')?.outcomes;
        if (kind === 'near miss') {
          const reason = logged.find((l) => l.message === 'storage event ignored')?.reason;
          if (
            JSON.stringify(outcomes) === '["ignored"]' &&
            typeof reason === 'string' &&
            reason.includes('no script-upload folder or landing rule watches')
          )
            rejectedWithReason++;
          else failures.push(`${rule.name} near miss: ${JSON.stringify(outcomes)} ${String(reason)}`);
        } else {
          const launched = logged.find((l) => l.message === 'launched');
          const record = typeof launched?.jobKey === 'string' ? await env.runtime.deps.ledger.get(launched.jobKey) : undefined;
          if (JSON.stringify(outcomes) !== '["launched"]' || record?.state !== 'launched')
            failures.push(
              `${rule.name} match: ${JSON.stringify(outcomes)}, ledger ${record?.state ?? 'nothing'} ${(record?.reasons ?? []).join('; ').slice(0, 200)}`,
            );
        }
      }
    }
    const drivers = env.kube.standIn
      .objects('pods', 'spark-jobs')
      .filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.['spark-role'] === 'driver').length;
    if (drivers !== RULES.length) failures.push(`${drivers} drivers for ${RULES.length} matching names`);
    const events = RULES.length * 2;
    return {
      inputs: events + MALFORMED.length,
      events,
      rejectedWithReason,
      crashes,
      lost: failures.length - crashes,
      drivers,
      failures,
      slowestNearMissMs: Math.round(slowestNearMissMs * 10) / 10,
      maxSteps,
      maxStepsBound,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await env.close();
  }
}
