/** Building the client's KubeConfig: certificate files are read once, at load, not on every request. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/adapters/kubernetes/loadKubeConfig.js';
import { KubernetesSettingsSchema } from '../../src/settings/settingsSchema.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('loadKubeConfig', () => {
  it('reads certificate-authority, client-certificate and client-key files once and keeps them as data', async () => {
    for (const f of ['ca.crt', 'client.crt', 'client.key']) writeFileSync(join(dir, f), `${f}\n${PEM}`);
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://10.0.0.1:6443", certificate-authority: ' +
          JSON.stringify(join(dir, 'ca.crt')) +
          ' } }]',
        'users: [{ name: u, user: { client-certificate: ' +
          JSON.stringify(join(dir, 'client.crt')) +
          ', client-key: ' +
          JSON.stringify(join(dir, 'client.key')) +
          ' } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    const kc = await loadKubeConfig(KubernetesSettingsSchema.parse({}).auth, { kubeconfigPath: path });
    const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://10.0.0.1:6443', caFile: undefined });
    expect(decode(kc.getCurrentCluster()?.caData)).toBe(`ca.crt\n${PEM}`);
    expect(decode(kc.getCurrentUser()?.certData)).toBe(`client.crt\n${PEM}`);
    expect(decode(kc.getCurrentUser()?.keyData)).toBe(`client.key\n${PEM}`);
    expect(kc.getCurrentUser()).toMatchObject({ certFile: undefined, keyFile: undefined });
  });

  it('a certificate file that is missing is a configuration error at load, naming the file', async () => {
    const auth = { mode: 'token' as const, apiUrl: 'https://10.0.0.1:6443', token: 't', caFile: join(dir, 'no-such-ca.crt') };
    await expect(loadKubeConfig(KubernetesSettingsSchema.parse({ auth }).auth)).rejects.toMatchObject({
      kind: 'configuration',
      message: expect.stringContaining('no-such-ca.crt'),
    });
  });
});
