/**
 * Item 8 ("Spark and Azure fidelity"): the version catalog's Hadoop claim cannot switch off the
 * workload-identity guard. `hadoop` is checked against the Hadoop the entry's Spark release ships
 * (src/settings/sparkReleases.ts, which names its sources: apache/spark pom.xml `hadoop.version`,
 * 3.3.4 on branch-3.5; SPARK-49550, 3.4.1 for 4.0.0), and an image rebuilt with another
 * hadoop-azure says so in `hadoopAzure`, built with the recipe's HADOOP_AZURE_VERSION build-arg
 * (infra/images/Dockerfile).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_IDENTITY_MIN_HADOOP } from '../../src/domain/render/abfsAuth.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString, type Problem } from '../../src/domain/spec/problem.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { loadSettings, parseSettings } from '../../src/settings/loadSettings.js';
import { DEFAULT_IMAGES, type Settings, type SettingsInput } from '../../src/settings/settingsSchema.js';
import { hadoopAzureOf } from '../../src/domain/render/abfsAuth.js';
import { SPARK_HADOOP, shippedHadoop } from '../../src/settings/sparkReleases.js';

type ImageInput = NonNullable<SettingsInput['images']>[string];

const withImages = (images: Record<string, ImageInput>) =>
  parseSettings({ ...structuredClone(DEMO_SETTINGS), images, defaultSparkVersion: Object.keys(images)[0] });

function settingsWith(images: Record<string, ImageInput>): Settings {
  const r = withImages(images);
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value;
}

function problemsWith(images: Record<string, ImageInput>): Problem[] {
  const r = withImages(images);
  expect(r.ok).toBe(false);
  return r.ok ? [] : [...r.problems];
}

const job = (sparkVersion: string) => ({
  name: 'nightly',
  sparkVersion,
  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/etl/main.py',
});
const prepare = (settings: Settings, sparkVersion: string) =>
  prepareJob(job(sparkVersion), settings, { tenant: 'default', source: { kind: 'cli', ref: 'test' } });

const aks = (() => {
  const r = loadSettings({ env: {}, configFile: 'examples/settings/aks.yaml', readFile: (p) => readFileSync(p, 'utf8') });
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value.settings;
})();

describe('item 8: a wrong Hadoop claim in the catalog cannot switch off the workload-identity guard', () => {
  it('the AKS example says what its images ship: 3.5 → Hadoop 3.3.4, 4.0 → 3.4.1, and no other hadoop-azure', () => {
    expect(aks.storage.auth.mode).toBe('workload-identity');
    expect(aks.images['3.5']).toMatchObject({ spark: '3.5.3', hadoop: '3.3.4' });
    expect(aks.images['3.5']?.hadoopAzure).toBeUndefined();
    expect(aks.images['4.0']).toMatchObject({ spark: '4.0.1', hadoop: '3.4.1' });
  });

  it('so a 3.5 job under workload identity is refused with the reason, and a 4.0 job is not', () => {
    const settings = aks;
    const spec = { name: 'daily', sparkVersion: '3.5', main: 'abfss://jobs@contosolake.dfs.core.windows.net/daily/main.py' };
    const refused = prepareJob(spec, settings, { tenant: 'sales', source: { kind: 'cli', ref: 'test' } });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problems.map(problemToString).join('\n')).toMatch(
      /sparkVersion: .*ships Hadoop 3\.3\.4, which has no WorkloadIdentityTokenProvider/,
    );
    expect(prepareJob({ ...spec, sparkVersion: '4.0' }, settings, { tenant: 'sales', source: { kind: 'cli', ref: 'test' } }).ok).toBe(true);
  });

  it('the old example entry (Spark 3.5.3 "with Hadoop 3.4.1") is refused at settings parse, naming the shipped version and hadoopAzure', () => {
    const problems = problemsWith({
      '3.5': { image: 'contosoacr.azurecr.io/spark-py:3.5.3-hadoop3.4.1', spark: '3.5.3', python: '3.10', hadoop: '3.4.1' },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('settings.images["3.5"].hadoop');
    expect(problemToString(problems[0]!)).toMatch(
      /expected 3\.3\.4, the Hadoop Spark 3\.5\.3 ships \(an image rebuilt with another hadoop-azure says so in hadoopAzure: infra\/images\/Dockerfile, build-arg HADOOP_AZURE_VERSION\), found "3\.4\.1"/,
    );
  });

  it.each([
    ['3.5.3', '3.4.1'],
    ['3.5.0', '3.4.2'],
    ['4.0.1', '3.3.4'],
    ['4.0.1', '3.4.0'],
    ['3.4.4', '3.4.1'],
  ])('Spark %s claiming Hadoop %s is refused', (spark, hadoop) => {
    const problems = problemsWith({ x: { image: `r.io/spark:${spark}`, spark, python: '3.10', hadoop } });
    expect(problems.map((p) => p.path)).toContain('settings.images.x.hadoop');
  });

  it('a Spark series whose Hadoop is not known is refused, not taken on its word', () => {
    const problems = problemsWith({ '3.2': { image: 'r.io/spark:3.2.4', spark: '3.2.4', python: '3.10', hadoop: '3.4.1' } });
    expect(problems.map((p) => p.path)).toEqual(['settings.images["3.2"].spark']);
    expect(problemToString(problems[0]!)).toMatch(
      /a Spark release whose Hadoop spark-dispatch knows \(3\.3\.x ships 3\.3\.2, 3\.4\.x ships 3\.3\.4, 3\.5\.x ships 3\.3\.4, 4\.0\.x ships 3\.4\.1/,
    );
  });

  it('an image rebuilt with hadoop-azure 3.4.1 says so in hadoopAzure, and that is what the guard reads', () => {
    const rebuilt = settingsWith({
      '3.5': { image: 'r.io/spark-py:3.5.3-hadoop-azure3.4.1', spark: '3.5.3', python: '3.10', hadoop: '3.3.4', hadoopAzure: '3.4.1' },
    });
    expect(hadoopAzureOf(rebuilt.images['3.5']!)).toBe('3.4.1');
    expect(prepare(rebuilt, '3.5').ok).toBe(true);
    const older = settingsWith({
      '4.0': { image: 'r.io/spark-py:4.0.1-hadoop-azure3.3.6', spark: '4.0.1', python: '3.10', hadoop: '3.4.1', hadoopAzure: '3.3.6' },
    });
    const refused = prepare(older, '4.0');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problems.map(problemToString).join('\n')).toMatch(
      /the 4\.0 image has hadoop-azure 3\.3\.6, which has no WorkloadIdentityTokenProvider; .*images\["4\.0"\]\.hadoopAzure/,
    );
  });

  it('the default catalog and the example catalogs follow the table and the recipe tag scheme (<spark>-hadoop<hadoop-azure>)', () => {
    const catalogs = [Object.values(DEFAULT_IMAGES), Object.values(aks.images)];
    for (const entries of catalogs) {
      for (const entry of entries) {
        expect(entry.hadoop).toBe(shippedHadoop(entry.spark));
        expect(entry.image).toMatch(
          new RegExp(`:${entry.spark.replace(/\./g, '\\.')}-hadoop${hadoopAzureOf(entry).replace(/\./g, '\\.')}$`),
        );
      }
    }
  });

  it('the table straddles the guard the right way: Spark 3.x ships Hadoop below 3.4.1, Spark 4.x at least 3.4.1', () => {
    const [major, minor, patch] = WORKLOAD_IDENTITY_MIN_HADOOP.split('.').map(Number) as [number, number, number];
    for (const [series, hadoop] of Object.entries(SPARK_HADOOP)) {
      const [a, b, c] = hadoop.split('.').map(Number) as [number, number, number];
      const atLeast = a !== major ? a > major : b !== minor ? b > minor : c >= patch;
      expect([series, atLeast]).toEqual([series, series.startsWith('4.')]);
    }
  });

  it('the recipe adds hadoop-azure at HADOOP_AZURE_VERSION, which defaults to the image Hadoop (HADOOP_VERSION)', () => {
    const recipe = readFileSync('infra/images/Dockerfile', 'utf8');
    expect(recipe).toMatch(/^ARG HADOOP_AZURE_VERSION=\$\{HADOOP_VERSION\}$/m);
    expect(recipe).toMatch(/hadoop-azure\/\$\{HADOOP_AZURE_VERSION\}\/hadoop-azure-\$\{HADOOP_AZURE_VERSION\}\.jar/);
    expect(recipe).not.toMatch(/hadoop-azure-\$\{HADOOP_VERSION\}/);
    expect(recipe).toMatch(/hadoopAzure: 3\.4\.1/);
  });
});
