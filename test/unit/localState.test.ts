import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, runningLocalSettings } from '../../src/local/localState.js';

describe('finding the local stack and the repository from a subfolder', () => {
  const root = mkdtempSync(join(tmpdir(), 'sd-root-'));
  const sub = join(root, 'examples', 'wordcount');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'spark-dispatch' }));

  it('the repository root is the nearest folder above with the spark-dispatch package.json', () => {
    expect(repositoryRoot(sub)).toBe(root);
    expect(repositoryRoot(tmpdir())).toBeUndefined();
  });

  it('a local stack running at the root is found from a subfolder; a stale pid file is not', () => {
    mkdirSync(join(root, '.spark-dispatch'), { recursive: true });
    writeFileSync(join(root, '.spark-dispatch', 'local-settings.json'), '{}');
    writeFileSync(join(root, '.spark-dispatch', 'local.pid'), String(process.pid));
    expect(runningLocalSettings(sub)).toBe(join(root, '.spark-dispatch', 'local-settings.json'));
    writeFileSync(join(root, '.spark-dispatch', 'local.pid'), '999999999');
    expect(runningLocalSettings(sub)).toBeUndefined();
  });
});
