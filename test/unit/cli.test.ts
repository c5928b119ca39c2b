import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS } from '../../src/cli/main.js';
import { runCli } from '../support/runCli.js';

const WORDCOUNT = 'examples/wordcount/spec.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'sd-cli-'));
const write = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

describe('validate', () => {
  it('exit 0 and one ok line per valid file', async () => {
    const r = await runCli(['validate', WORDCOUNT, 'examples/daily-sales/spec.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ok {7}examples\/wordcount\/spec\.yaml: wordcount → spark-jobs\/wordcount-[0-9a-f]{16}-driver \(Spark 4\.0\.1, native\)$/m,
    );
    expect(r.stdout).toMatch(/^ok {7}examples\/daily-sales\/spec\.json/m);
  });

  it('exit 1 with every problem of every file listed, valid files still reported', async () => {
    const bad = write('bad.yaml', 'name: x\nmain: wasb://a@b.blob.core.windows.net/m.py\ndriver: { memory: 2 GB }\ncolour: red\n');
    const r = await runCli(['validate', bad, WORDCOUNT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`invalid  ${bad}: 3 problems`);
    expect(r.stdout).toContain('  - main: expected abfss://');
    expect(r.stdout).toContain("wasb:// is Hadoop's retired Blob (WASB) driver");
    expect(r.stdout).toContain('  - driver.memory: expected a size such as 512m or 2g (k, m, g or t), found "2 GB"');
    expect(r.stdout).toContain('  - colour: expected one of the fields');
    expect(r.stdout).toMatch(/^ok {7}examples\/wordcount/m);
  });

  it('-o json gives a machine-readable report', async () => {
    const bad = write('bad2.json', '{"name":"x","main":"local:///opt/a.py","namespace":"nope"}');
    const r = await runCli(['validate', '-o', 'json', WORDCOUNT, bad]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { file: string; valid: boolean; problems?: { path: string }[] }[];
    expect(report.map((x) => x.valid)).toEqual([true, false]);
    expect(report[1]!.problems!.map((p) => p.path)).toEqual(['namespace']);
  });

  it('a missing file is invalid input (1), not a crash', async () => {
    const r = await runCli(['validate', 'no/such/file.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('(file): expected a readable JSON or YAML job file, found no such file');
  });

  it('no file is a usage error (2)', async () => {
    const r = await runCli(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name at least one job file');
    expect(r.stderr).toContain('spark-dispatch validate --help');
  });
});

describe('render', () => {
  it('prints a v1 List: Pod, ConfigMap, Service', async () => {
    const r = await runCli(['render', WORDCOUNT]);
    expect(r.code).toBe(0);
    const list = parseYaml(r.stdout) as { apiVersion: string; kind: string; items: { kind: string }[] };
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['Pod', 'ConfigMap', 'Service']);
    expect(r.stdout).not.toMatch(/[&*]a\d/); // no YAML anchors: kubectl and humans read it as is
  });

  it('--backend operator -o json prints one SparkApplication', async () => {
    const r = await runCli(['render', WORDCOUNT, '--backend', 'operator', '-o', 'json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { apiVersion: string; kind: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication' })]);
  });

  it('an invalid job prints its problems on stderr and exits 1', async () => {
    const bad = write('bad3.yaml', 'name: x\nmain: abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/a/../m.py\n');
    const r = await runCli(['render', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no "." or ".." path segments');
  });

  it.each([
    [['render'], 'name exactly one job file'],
    [['render', WORDCOUNT, '--backend', 'spark-submit'], '--backend must be one of native, operator'],
    [['render', WORDCOUNT, '-o', 'xml'], '--output must be one of yaml, json'],
    [['render', WORDCOUNT, '--bogus'], 'unknown option --bogus; render takes --help, --config'],
    // A typo gets the nearest flag.
    [['render', WORDCOUNT, '--backnd', 'native'], 'unknown option --backnd (did you mean --backend?)'],
  ])('%j is a usage error', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('submit --via queue', () => {
  it.each([
    [['--dry-run'], '--dry-run does not apply with --via queue'],
    [['--kubeconfig', 'kc.yaml'], '--kubeconfig does not apply with --via queue'],
    [['-o', 'json'], '-o json does not apply with --via queue'],
    [['--dry-run', '-o', 'json'], '--dry-run, -o json do not apply with --via queue'],
  ])('%j is a usage error, not silently ignored', async (flags, message) => {
    const r = await runCli(['submit', WORDCOUNT, '--via', 'queue', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('without a Service Bus it fails as publish does (exit 3, what to set)', async () => {
    const r = await runCli(['submit', WORDCOUNT, '--via', 'queue', '-o', 'text']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('spark-dispatch submit: ');
    expect(r.stderr).toContain('Service Bus is not configured');
    expect(r.stderr).toContain('Pass --servicebus NAMESPACE (with `az login`) or --connection-string, or set settings.serviceBus.');
  });
});

describe('job files of upload folders (job.yaml beside main.py)', () => {
  it('validate reads one as its upload will: main is the uploaded main.py in the first upload folder', async () => {
    const r = await runCli([
      'validate',
      'examples/wordcount/job.yaml',
      'examples/daily-sales/job.yaml',
      '--config',
      'examples/settings/local.yaml',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "ok       examples/wordcount/job.yaml: wordcount → spark-jobs (Spark 4.0.1, native), as an upload's job file: main abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/wordcount/main.py\n",
    );
    const json = await runCli(['validate', '-o', 'json', 'examples/daily-sales/job.yaml', '--config', 'examples/settings/local.yaml']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ valid: true, asUpload: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/daily-sales/main.py' }),
    ]);
  });

  it('without an upload folder in settings, validate says why main is missing', async () => {
    const r = await runCli(['validate', 'examples/wordcount/job.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "job.yaml beside main.py is an upload's job file, and tenant default has no upload folder (intake.scriptUploads)",
    );
  });

  it.each([['submit'], ['publish']])('%s refuses one, saying to upload it or to use the spec', async (command) => {
    const r = await runCli([command!, 'examples/wordcount/job.yaml', '--config', 'examples/settings/local.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "main: expected a job spec that names its main script, found job.yaml beside main.py: an upload's job file, whose main is the uploaded main.py",
    );
    expect(r.stderr).toContain(
      'start it with `spark-dispatch upload examples/wordcount/main.py`; to launch it from here, use a spec with main: examples/wordcount/spec.yaml',
    );
  });
});

describe('upload', () => {
  it('refuses a job file with main or jobKey, or failing the policy, before uploading anything', async () => {
    const r = await runCli([
      'upload',
      'examples/wordcount/main.py',
      '--job-file',
      'examples/wordcount/spec.yaml',
      '--config',
      'examples/settings/local.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invalid  examples/wordcount/spec.yaml: 1 problem');
    expect(r.stderr).toContain('main: expected no main in a job file beside main.py: the uploaded main.py is the main');
    expect(r.stderr).toContain('nothing was uploaded');
    const bad = write('job.yaml', 'jobKey: mine\ndriver: { cores: 999 }\n');
    const r2 = await runCli(['upload', 'examples/wordcount/main.py', '--job-file', bad, '--config', 'examples/settings/local.yaml']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('jobKey: expected no jobKey in a job file beside main.py');
  });

  it('refuses a job file whose relative py-file is not beside the script, saying how to build it', async () => {
    const r = await runCli(['upload', 'examples/daily-sales/main.py', '--config', 'examples/settings/local.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'pyFiles[0]: expected a file to upload beside the script (examples/daily-sales/sales_lib.zip), found nothing (build it first: cd examples/daily-sales && python3 -m zipfile -c sales_lib.zip sales_lib/)',
    );
  });

  it('a missing --job-file is invalid input (1) naming the file, and nothing is uploaded', async () => {
    const r = await runCli([
      'upload',
      'examples/wordcount/main.py',
      '--job-file',
      'no/such/job.yaml',
      '--config',
      'examples/settings/local.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('spark-dispatch upload: cannot read no/such/job.yaml: ENOENT\n');
  });

  it('a missing script is invalid input (1) naming the file', async () => {
    const r = await runCli(['upload', 'no/such/main.py', '--config', 'examples/settings/local.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('spark-dispatch upload: cannot read no/such/main.py: ENOENT\n');
  });
});

describe('without a ledger', () => {
  it.each([['status'], ['logs', 'some/key']])('%j is an infrastructure error (3) naming settings.ledger.account', async (...argv) => {
    const r = await runCli(argv);
    expect(r.code).toBe(3);
    // Run from the repository, it says where to start the local stack; either way, what to set.
    expect(r.stderr).toMatch(
      new RegExp(
        `^spark-dispatch ${argv[0]}: no job ledger is configured: no local stack is running \\(start it with \`npm start\` in /\\S+\\), and the settings name no ledger \\(pass --config FILE with ledger.account, or set SPARK_DISPATCH__ledger__account; for a deployment, --storage-account NAME, or --config with the file of \`spark-dispatch settings pull --app NAME\`\\)\\.\n$`,
      ),
    );
  });
});

describe('versions', () => {
  it('lists the catalog with the default marked', async () => {
    const r = await runCli(['versions']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^VERSION\s+SPARK\s+PYTHON\s+HADOOP\s+IMAGE$/m);
    expect(r.stdout).toMatch(/^3\.5\s+3\.5\.3\s+3\.10\s+3\.3\.4\s+\S+$/m);
    expect(r.stdout).toMatch(/^4\.0 \(default\)\s+4\.0\.1/m);
  });

  it('-o json, and --config switches the catalog', async () => {
    const r = await runCli(['versions', '-o', 'json', '--config', 'examples/settings/aks.yaml']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { default: string; versions: { version: string; image: string }[] };
    expect(out.default).toBe('4.0');
    expect(out.versions.map((v) => v.image)).toEqual([
      'contosoacr.azurecr.io/spark-py:3.5.3-hadoop3.3.4',
      'contosoacr.azurecr.io/spark-py:4.0.1-hadoop3.4.1',
    ]);
  });
});

describe('settings errors', () => {
  it('invalid settings exit 3 (infrastructure) with every problem listed', async () => {
    const cfg = write('settings.yaml', 'clusterProfile: gke\nnamespaces: {}\n');
    const r = await runCli(['validate', '--config', cfg, WORDCOUNT]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the settings are invalid (2 problems)');
    expect(r.stderr).toContain('settings.clusterProfile: expected one of "aks", "openshift", found "gke"');
    expect(r.stderr).toContain('settings.namespaces: expected at least one allowed namespace');
  });

  it('settings from the environment apply to every command', async () => {
    const r = await runCli(['render', WORDCOUNT, '-o', 'json'], { SPARK_DISPATCH__clusterProfile: 'openshift' });
    const pod = (JSON.parse(r.stdout) as { items: { spec: { securityContext: Record<string, unknown> } }[] }).items[0]!;
    expect(pod.spec.securityContext).not.toHaveProperty('runAsUser');
  });
});

describe('help', () => {
  it('overview lists every command; unknown commands exit 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.name}`);
    const unknown = await runCli(['launch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "launch"');
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help shows usage and every option, including --help', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: spark-dispatch ${name}`);
    expect(r.stdout).toContain('--help');
  });
});

describe('the installed bin', () => {
  it('runs from the build, with exit codes', () => {
    const ok = spawnSync(process.execPath, ['bin/spark-dispatch.js', 'validate', WORDCOUNT], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok ');
    const bad = spawnSync(process.execPath, ['bin/spark-dispatch.js', 'validate', 'nope.yaml'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
  });

  it('is what `npx spark-dispatch` runs in the repo', () => {
    const out = execFileSync('npx', ['--no-install', 'spark-dispatch', 'versions'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out).toContain('VERSION');
  });
});

describe('errors that point the right way', () => {
  it('submit with no cluster configured says so at once: no retries, no "try again"', () => {
    const home = mkdtempSync(join(tmpdir(), 'sd-home-'));
    const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, ...rest } = process.env;
    const r = spawnSync(process.execPath, ['bin/spark-dispatch.js', 'submit', WORDCOUNT], {
      encoding: 'utf8',
      env: { ...rest, HOME: home },
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(
      'no Kubernetes cluster is configured: KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod',
    );
    expect(r.stderr).toContain('run the local stack with `npm start`');
    expect(r.stderr).not.toContain('retrying');
    expect(r.stderr).not.toContain('This may pass if you try again');
  });

  it('a value too long is reported with its own length, not its quoted one', async () => {
    const r = await runCli([
      'validate',
      write('long-name.yaml', `name: ${'n'.repeat(101)}\nmain: abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/x.py\n`),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('(101 characters)');
  });

  it('the overview says which commands take --config', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toContain('all but settings, schema take --config FILE');
  });
});
