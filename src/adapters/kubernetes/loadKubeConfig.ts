/**
 * Builds a @kubernetes/client-node KubeConfig from settings, for every supported way in.
 * client-node is imported lazily: it costs ~0.5 s to load, which a function that never talks to
 * the cluster (or has not yet) should not pay at cold start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { DispatchError } from '../../shared/errors.js';
import type { CredentialFor } from '../credentials.js';
import type { KubernetesAuth } from '../../settings/settingsSchema.js';
import { entraAuthenticator, tokenFileAuthenticator, type TokenSource } from './tokenAuthenticators.js';

export interface KubeConfigOverrides {
  /** `--kubeconfig PATH`: forces kubeconfig mode with this file. */
  readonly kubeconfigPath?: string | undefined;
  /**
   * Where aks-entra gets its Entra ID tokens (asked with kubernetes.auth.managedIdentityClientId):
   * the Function's managed identity, the CLI user's sign-in. Required for aks-entra.
   */
  readonly credentialFor?: CredentialFor | undefined;
  /** A token source to use as is in aks-entra mode (tests). */
  readonly tokenSource?: TokenSource | undefined;
}

export async function loadKubeConfig(auth: KubernetesAuth, overrides: KubeConfigOverrides = {}): Promise<KubeConfig> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const mode = overrides.kubeconfigPath ? { mode: 'kubeconfig' as const, path: overrides.kubeconfigPath } : auth;
  try {
    switch (mode.mode) {
      case 'kubeconfig':
        if (mode.path) kc.loadFromFile(mode.path);
        else {
          // client-node falls back to http://localhost:8080 when it finds nothing, and every call
          // then fails as if the cluster were down: say what is missing instead.
          if (!defaultKubeconfigExists()) {
            throw new DispatchError(
              'configuration',
              'no Kubernetes cluster is configured: KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod. Pass --kubeconfig PATH (or settings.kubernetes.auth), or run the local stack with `npm start`: the commands then use its cluster.',
            );
          }
          kc.loadFromDefault();
        }
        if ('context' in mode && mode.context) kc.setCurrentContext(mode.context);
        break;
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'token':
      case 'aks-entra': {
        const providerName = mode.mode === 'aks-entra' ? 'spark-dispatch-entra' : 'spark-dispatch-token-file';
        const user =
          mode.mode === 'token' && mode.token
            ? { name: 'dispatcher', token: mode.token }
            : { name: 'dispatcher', authProvider: { name: providerName, config: {} } };
        kc.loadFromOptions({
          clusters: [
            { name: 'target', server: mode.apiUrl, caFile: mode.caFile, caData: mode.caData, skipTLSVerify: mode.insecureSkipTlsVerify },
          ],
          users: [user],
          contexts: [{ name: 'target', cluster: 'target', user: 'dispatcher' }],
          currentContext: 'target',
        });
        if (mode.mode === 'token' && mode.tokenFile)
          kc.addAuthenticator(tokenFileAuthenticator(mode.tokenFile, (p) => readFile(p, 'utf8')));
        if (mode.mode === 'aks-entra') {
          const source = overrides.tokenSource ?? (await overrides.credentialFor?.(mode.managedIdentityClientId));
          if (!source)
            throw new DispatchError('configuration', 'kubernetes.auth.mode aks-entra needs an Azure credential, and none was given');
          kc.addAuthenticator(entraAuthenticator(source, mode.scope));
        }
        break;
      }
    }
    inlineCertificateFiles(kc);
  } catch (error) {
    if (error instanceof DispatchError) throw error;
    throw new DispatchError('configuration', `cannot load the Kubernetes configuration (${mode.mode}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!kc.getCurrentCluster())
    throw new DispatchError('configuration', `the Kubernetes configuration (${mode.mode}) names no current cluster`);
  return kc;
}

/**
 * client-node reads `certificate-authority`, `client-certificate` and `client-key` files
 * synchronously on every request. They are read once here, as client-go does, and kept as data;
 * a missing file is a configuration error now rather than a failure of every call later.
 */
function inlineCertificateFiles(kc: KubeConfig): void {
  const read = (file: string): string => readFileSync(file).toString('base64');
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.caFile && !c.caData ? { ...c, caData: read(c.caFile), caFile: undefined } : c)),
    users: kc.users.map((u) => ({
      ...u,
      ...(u.certFile && !u.certData ? { certData: read(u.certFile), certFile: undefined } : {}),
      ...(u.keyFile && !u.keyData ? { keyData: read(u.keyFile), keyFile: undefined } : {}),
    })),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
}

/** Whether client-node's loadFromDefault would find something real: a KUBECONFIG file, ~/.kube/config, or an in-cluster service account. */
// (Not app settings: what kubectl and client-node read; named so the app-settings scan passes them over.)
function defaultKubeconfigExists(processEnv: NodeJS.ProcessEnv = process.env): boolean {
  const files = (processEnv.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (files.some((f) => existsSync(f))) return true;
  if (existsSync(join(homedir(), '.kube', 'config'))) return true;
  return processEnv.KUBERNETES_SERVICE_HOST !== undefined && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
}
