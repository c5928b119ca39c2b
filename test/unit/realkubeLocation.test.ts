/**
 * How the real-server tier finds its control plane, and what a run does without one: the tier is
 * skipped with one line saying why, unless SPARK_DISPATCH_REQUIRE_REALKUBE=1 (CI), where that is a
 * failure. No server is started here: every case has the control plane absent, or only locates it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { TestProject } from 'vitest/node';
import { locateRealkube, realkubeRequired, REALKUBE_ENV, REQUIRE_REALKUBE_ENV } from '../support/realkubeLocation.js';
import setup from '../support/realkubeSetup.js';

/** A folder holding realkube.mjs, and one without it (removed after the file). */
function folders(): { withScript: string; empty: string } {
  const root = mkdtempSync(join(tmpdir(), 'sd-realkube-loc-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const withScript = join(root, 'realkube');
  const empty = join(root, 'empty');
  mkdirSync(withScript);
  mkdirSync(empty);
  writeFileSync(join(withScript, 'realkube.mjs'), '');
  return { withScript, empty };
}

describe('locateRealkube', () => {
  const { withScript, empty } = folders();

  it.each([
    ['a folder holding realkube.mjs', withScript, { script: join(withScript, 'realkube.mjs') }],
    ['the script itself', join(withScript, 'realkube.mjs'), { script: join(withScript, 'realkube.mjs') }],
    ['off, on purpose', 'off', { absent: `${REALKUBE_ENV}=off` }],
    ['a folder without the script', empty, { absent: `${REALKUBE_ENV} points at ${join(empty, 'realkube.mjs')}, which does not exist` }],
    [
      'a path that does not exist',
      join(empty, 'nowhere.mjs'),
      { absent: `${REALKUBE_ENV} points at ${join(empty, 'nowhere.mjs')}, which does not exist` },
    ],
  ])('%s', (_what, configured, expected) => {
    expect(locateRealkube({ [REALKUBE_ENV]: configured })).toEqual(expected);
  });

  it('a relative path is taken from the working folder', () => {
    expect(locateRealkube({ [REALKUBE_ENV]: 'no-such-folder' })).toEqual({
      absent: `${REALKUBE_ENV} points at ${resolve('no-such-folder')}, which does not exist`,
    });
  });

  it('unset or empty: ../shared/realkube beside the repository', () => {
    const beside = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'realkube');
    for (const env of [{}, { [REALKUBE_ENV]: '' }]) {
      const found = locateRealkube(env);
      if ('script' in found) expect(found.script).toBe(join(beside, 'realkube.mjs'));
      else expect(found.absent).toBe(`no real control plane at ${beside} (set ${REALKUBE_ENV} to its folder)`);
    }
  });
});

describe('realkubeRequired', () => {
  it.each([
    ['1', true],
    ['0', false],
    ['true', false],
    ['', false],
    [undefined, false],
  ])('%s: %s', (value, required) => {
    expect(realkubeRequired(value === undefined ? {} : { [REQUIRE_REALKUBE_ENV]: value })).toBe(required);
  });
});

describe("the tier's global setup without a control plane", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  const provided: Record<string, unknown> = {};
  const project = { provide: (key: string, value: unknown) => void (provided[key] = value) } as unknown as TestProject;

  it('says in one line that the tier did not run and why, and tells the test files', async () => {
    vi.stubEnv(REALKUBE_ENV, 'off');
    vi.stubEnv(REQUIRE_REALKUBE_ENV, '');
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
    expect(await setup(project)).toBeUndefined();
    expect(printed).toEqual([`real-server tier did not run: ${REALKUBE_ENV}=off; only the stand-in was tested\n`]);
    expect(provided.realkube).toEqual({ absent: `${REALKUBE_ENV}=off` });
  });

  it(`fails the run when ${REQUIRE_REALKUBE_ENV}=1 (CI)`, async () => {
    vi.stubEnv(REALKUBE_ENV, 'off');
    vi.stubEnv(REQUIRE_REALKUBE_ENV, '1');
    await expect(setup(project)).rejects.toThrow(`${REQUIRE_REALKUBE_ENV}=1 but the real-server tier cannot run: ${REALKUBE_ENV}=off`);
  });
});
