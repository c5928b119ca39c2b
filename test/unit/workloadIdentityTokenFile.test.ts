/**
 * Issue "Spark and Azure fidelity", item 3: the workload-identity token path is the cluster's.
 *
 * The Azure Workload Identity webhook mounts the projected token at
 * /var/run/secrets/azure/tokens/azure-identity-token up to v1.5 (hadoop-azure's default too) and at
 * /var/run/secrets/azure/wi/token/azure-identity-token from v1.6 (Azure/azure-workload-identity,
 * pkg/webhook/consts.go), and in every version sets AZURE_FEDERATED_TOKEN_FILE to that path in each
 * container it mutates. WorkloadIdentityTokenProvider reads only fs.azure.account.oauth2.token.file
 * (AbfsConfiguration: default AuthConfigurations.DEFAULT_FS_AZURE_ACCOUNT_OAUTH_TOKEN_FILE), but
 * Hadoop's Configuration expands ${env.NAME:-default} when the value is read (Hadoop 3.0+). So the
 * dispatcher renders the variable with the cluster's configured path as the fallback.
 */
import { describe, expect, it } from 'vitest';
import { parseJavaProperties } from '../../src/domain/render/javaProperties.js';
import { DEFAULT_TOKEN_FILE, tokenFileValue } from '../../src/domain/render/abfsAuth.js';
import { renderNative } from '../../src/domain/render/renderNative.js';
import { renderOperator } from '../../src/domain/render/renderOperator.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import { resolved } from '../support/fixtures.js';

const HOST = 'sparkdispatchdemo.dfs.core.windows.net';
const KEY = `spark.hadoop.fs.azure.account.oauth2.token.file.${HOST}`;
const WEBHOOK_1_5 = '/var/run/secrets/azure/tokens/azure-identity-token';
const WEBHOOK_1_6 = '/var/run/secrets/azure/wi/token/azure-identity-token';

/**
 * What Hadoop's Configuration.get does with an `${env.…}` reference (substituteVars: `:-` falls
 * back when the variable is unset or empty, `-` only when unset), for the one form rendered here.
 */
function hadoopExpands(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(:-|-)([^}$ ]*)\}/g, (_all, name: string, op: string, fallback: string) => {
    const found = env[name];
    return found === undefined || (op === ':-' && found === '') ? fallback : found;
  });
}

const rendered = (settings: unknown = {}) => {
  const job = resolved({}, settings);
  const text = renderNative(job).configMap.data['spark.properties']!;
  return { job, text, props: parseJavaProperties(text) };
};

describe('item 3: the workload-identity token file is a per-cluster setting with a correct default', () => {
  it("by default the driver reads the path the webhook injects, falling back to hadoop-azure's default (webhook ≤ 1.5)", () => {
    expect(DEFAULT_TOKEN_FILE).toBe(WEBHOOK_1_5);
    const { props, text } = rendered();
    expect(props[KEY]).toBe(`\${env.AZURE_FEDERATED_TOKEN_FILE:-${WEBHOOK_1_5}}`);
    // As java.util.Properties.store writes it (the ':' escaped); Properties.load gives the value back.
    expect(text).toContain(`${KEY.replace(/:/g, '\\:')}=\${env.AZURE_FEDERATED_TOKEN_FILE\\:-${WEBHOOK_1_5}}`);
  });

  it('one rendering works on either webhook: each JVM expands the variable its own webhook set', () => {
    const { props } = rendered();
    expect(hadoopExpands(props[KEY]!, { AZURE_FEDERATED_TOKEN_FILE: WEBHOOK_1_6 })).toBe(WEBHOOK_1_6);
    expect(hadoopExpands(props[KEY]!, { AZURE_FEDERATED_TOKEN_FILE: WEBHOOK_1_5 })).toBe(WEBHOOK_1_5);
    // No webhook variable (a token mounted by hand), or an empty one: the configured path.
    expect(hadoopExpands(props[KEY]!, {})).toBe(WEBHOOK_1_5);
    expect(hadoopExpands(props[KEY]!, { AZURE_FEDERATED_TOKEN_FILE: '' })).toBe(WEBHOOK_1_5);
  });

  it("kubernetes.workloadIdentity.tokenFile sets the cluster's path; fromWebhookEnv: false renders the path alone", () => {
    expect(rendered({ kubernetes: { workloadIdentity: { tokenFile: WEBHOOK_1_6 } } }).props[KEY]).toBe(
      `\${env.AZURE_FEDERATED_TOKEN_FILE:-${WEBHOOK_1_6}}`,
    );
    expect(rendered({ kubernetes: { workloadIdentity: { tokenFile: WEBHOOK_1_6, fromWebhookEnv: false } } }).props[KEY]).toBe(WEBHOOK_1_6);
    expect(tokenFileValue({ tokenFile: '/t/token', fromWebhookEnv: false })).toBe('/t/token');
  });

  it('every allowed account gets the same value, and the operator backend renders it too', () => {
    const { job } = rendered({ storage: { accounts: { otherlake: { filesystems: ['raw'] } } } });
    const files = Object.entries(job.storageConf).filter(([k]) => k.startsWith('spark.hadoop.fs.azure.account.oauth2.token.file.'));
    expect(files.map(([k]) => k).sort()).toEqual([`spark.hadoop.fs.azure.account.oauth2.token.file.otherlake.dfs.core.windows.net`, KEY]);
    expect(new Set(files.map(([, v]) => v))).toEqual(new Set([`\${env.AZURE_FEDERATED_TOKEN_FILE:-${WEBHOOK_1_5}}`]));
    const app = renderOperator(resolved({ backend: 'operator' }));
    expect(app.spec.sparkConf).toMatchObject({ [KEY]: `\${env.AZURE_FEDERATED_TOKEN_FILE:-${WEBHOOK_1_5}}` });
  });

  it('the path must be absolute and plain: nothing that would end or nest the ${…} reference', () => {
    for (const tokenFile of ['relative/token', '/var/run/${x}', '/var/run/a}b', '/var/run/a:b', '/var/run/a b']) {
      const r = parseSettings({ namespaces: { a: {} }, kubernetes: { workloadIdentity: { tokenFile } } });
      expect(r.ok, tokenFile).toBe(false);
      if (!r.ok)
        expect(r.problems[0]).toMatchObject({ path: 'settings.kubernetes.workloadIdentity.tokenFile', expected: 'an absolute path' });
    }
  });

  it('storage.auth.tokenFile is refused with where the setting went: the path depends on the cluster, not the storage', () => {
    const r = parseSettings({
      namespaces: { a: {} },
      storage: {
        accounts: { lake1: { filesystems: ['jobs'] } },
        auth: {
          mode: 'workload-identity',
          tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
          clientId: '11111111-1111-1111-1111-111111111111',
          tokenFile: WEBHOOK_1_6,
        },
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toMatchObject([
        { path: 'settings.storage.auth.tokenFile', expected: expect.stringContaining('kubernetes.workloadIdentity.tokenFile') },
      ]);
  });
});
