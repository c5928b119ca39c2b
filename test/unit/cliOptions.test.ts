/** The CLI's one parser of whole-number options, and the commands that use it. */
import { describe, expect, it } from 'vitest';
import { integerOption, UsageError, type ParsedArgs } from '../../src/cli/command.js';
import { runCli } from '../support/runCli.js';

const args = (value: string | undefined, name = 'n'): ParsedArgs => ({
  values: value === undefined ? {} : { [name]: value },
  positionals: [],
});

describe('integerOption', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['007', 7],
    ['1000', 1000],
  ])('accepts %j as %d', (value, expected) => {
    expect(integerOption(args(value), 'n', { min: 0, max: 1000 })).toBe(expected);
  });

  it('is undefined when the option is absent', () => {
    expect(integerOption(args(undefined), 'n', { min: 1, max: 2 })).toBeUndefined();
  });

  it.each([
    '',
    ' ',
    ' 5',
    '5 ',
    '-1',
    '+5',
    '1001',
    '1.0',
    '1.5',
    '0x10',
    '1e2',
    'NaN',
    'Infinity',
    'ten',
    '١٢',
    '99999999999999999999999',
  ])('refuses %j, naming the option and the range', (value) => {
    const attempt = () => integerOption(args(value), 'n', { min: 0, max: 1000 });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`--n must be a whole number from 0 to 1000, not "${value}"`);
  });

  it('refuses a value under the minimum, and names the unit when given', () => {
    expect(() => integerOption(args('0', 'sweep-every'), 'sweep-every', { min: 1, max: 86_400, unit: 'seconds' })).toThrow(
      '--sweep-every must be a whole number of seconds from 1 to 86400, not "0"',
    );
  });
});

describe('whole-number options of the commands (exit 2 before doing anything)', () => {
  it.each([
    [['cluster', 'start', '--driver-cap', ''], '--driver-cap must be a whole number from 1 to 100000, not ""'],
    [['cluster', 'start', '--driver-cap', '0'], '--driver-cap must be a whole number from 1 to 100000, not "0"'],
    [['cluster', 'start', '--port', '65536'], '--port must be a whole number from 0 to 65535'],
    [['start', '--sweep-every', '3000000'], '--sweep-every must be a whole number of seconds from 1 to 86400, not "3000000"'],
    [['start', '--sweep-every', '0'], '--sweep-every must be a whole number of seconds from 1 to 86400'],
    [['start', '--pending-ms', ''], '--pending-ms must be a whole number of milliseconds from 0 to 86400000'],
    [['start', '--running-ms', '1e3'], '--running-ms must be a whole number of milliseconds from 0 to 86400000'],
    [['logs', 'some/key', '--tail', '0x10'], '--tail must be a whole number from 1 to 100000, not "0x10"'],
    [['logs', 'some/key', '--tail', '0'], '--tail must be a whole number from 1 to 100000'],
    [['status', '--limit', '1e2'], '--limit must be a whole number from 1 to 1000, not "1e2"'],
    [['status', '--limit', ''], '--limit must be a whole number from 1 to 1000'],
    [['manifests', '--namespace', 'spark-jobs', '--cap', ''], '--cap must be a whole number from 0 to 100000, not ""'],
  ])('%j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`Run "spark-dispatch ${argv[0]} --help" for usage.`);
  });

  it('a good value passes the parser (manifests --cap 0 prints a quota of no drivers)', async () => {
    const r = await runCli(['manifests', '--namespace', 'spark-jobs', '--profile', 'openshift', '--cap', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +pods: "0"$/m);
  });
});
