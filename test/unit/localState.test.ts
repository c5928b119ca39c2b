import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, runningClusterStandIn, runningLocalSettings } from '../../src/cli/localState.js';
import { runCli } from '../support/runCli.js';
import { settingsWith } from '../support/fixtures.js';

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

describe('cluster start next to npm start', () => {
  it("refuses the stack's own kubeconfig file while the stack runs from that folder, saying what to do instead", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-both-'));
    mkdirSync(join(dir, '.spark-dispatch'));
    writeFileSync(join(dir, '.spark-dispatch', 'local-settings.json'), '{}');
    writeFileSync(join(dir, '.spark-dispatch', 'local.pid'), String(process.pid));
    writeFileSync(join(dir, '.spark-dispatch', 'standin.kubeconfig'), "the stack's");
    const r = await runCli(['cluster', 'start'], {}, dir);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `a local stack (npm start) is running from ${dir}, and ${join(dir, '.spark-dispatch', 'standin.kubeconfig')} is the kubeconfig of its own stand-in`,
    );
    expect(r.stderr).toContain('or run a second stand-in beside it with --kubeconfig-out PATH');
    expect(readFileSync(join(dir, '.spark-dispatch', 'standin.kubeconfig'), 'utf8')).toBe("the stack's");
  });

  it('a running cluster start is found by its pid file; a stale one is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-cluster-'));
    mkdirSync(join(dir, '.spark-dispatch'));
    expect(runningClusterStandIn(dir)).toBe(false);
    writeFileSync(join(dir, '.spark-dispatch', 'cluster.pid'), String(process.pid));
    expect(runningClusterStandIn(dir)).toBe(true);
    writeFileSync(join(dir, '.spark-dispatch', 'cluster.pid'), '999999999');
    expect(runningClusterStandIn(dir)).toBe(false);
  });
});

describe('npm start next to cluster start', () => {
  it('refuses to write over the kubeconfig a running cluster start serves, before starting anything', async () => {
    const { startLocalStack } = await import('../../dev/local-stack/localStack.js');
    const dir = mkdtempSync(join(tmpdir(), 'sd-both-'));
    mkdirSync(join(dir, '.spark-dispatch'));
    writeFileSync(join(dir, '.spark-dispatch', 'cluster.pid'), String(process.pid));
    await expect(
      startLocalStack({
        cwd: dir,
        settings: settingsWith(),
        credentialFor: () => Promise.reject(new Error('no Azure sign-in is asked for before the stack starts')),
      }),
    ).rejects.toThrow(
      `\`spark-dispatch cluster start\` is running from ${dir} and serves ${join(dir, '.spark-dispatch', 'standin.kubeconfig')}, where this stack would write its own stand-in's kubeconfig: stop it with Ctrl-C first, or use it as this stack's cluster: spark-dispatch start --kubeconfig .spark-dispatch/standin.kubeconfig`,
    );
  });
});
