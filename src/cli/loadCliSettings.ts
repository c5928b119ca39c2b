import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { problemToString } from '../domain/spec/problem.js';
import { loadSettings, type LoadedSettings } from '../settings/loadSettings.js';
import { runningLocalSettings } from '../local/localState.js';
import { stringOption, type ParsedArgs } from './command.js';
import type { CliIo } from './cliIo.js';

/**
 * Settings for a CLI command, or `undefined` after printing every settings problem. Without
 * --config or settings variables, a local stack running from this folder (`npm start`) provides
 * them, so that upload, publish, submit, status, logs and sweep talk to it.
 */
export function loadCliSettings(args: ParsedArgs, io: CliIo, options: { readonly ignoreLocalStack?: boolean } = {}): LoadedSettings | undefined {
  const explicit = stringOption(args, 'config');
  const fromEnv = io.env.SPARK_DISPATCH_CONFIG || io.env.SPARK_DISPATCH_SETTINGS;
  const configFile = explicit ?? (fromEnv || options.ignoreLocalStack ? undefined : runningLocalSettings(io.cwd));
  const loaded = loadSettings({
    env: io.env,
    configFile: configFile === undefined ? undefined : resolve(io.cwd, configFile),
    readFile: (path) => readFileSync(resolve(io.cwd, path), 'utf8'),
  });
  if (loaded.ok) return loaded.value;
  io.stderr.write(`spark-dispatch: the settings are invalid (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}):\n`);
  for (const p of loaded.problems) io.stderr.write(`  - ${problemToString(p)}\n`);
  io.stderr.write('Fix the settings file or SPARK_DISPATCH_* variables; see docs/settings.md.\n');
  return undefined;
}
