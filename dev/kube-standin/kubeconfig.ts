/**
 * A kubeconfig for the stand-in: plain HTTP, a bearer token (accepted, never checked: no authn/authz).
 * `insecure-skip-tls-verify` is set because @kubernetes/client-node 1.x refuses an http:// server
 * without it ("HTTP protocol is not allowed when skipTLSVerify is not set or false").
 */
import { stringify } from 'yaml';

export function kubeconfigYaml(url: string, opts: { namespace?: string; token?: string } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'standin', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'standin', user: { token: opts.token ?? 'standin-token' } }],
    contexts: [
      { name: 'standin', context: { cluster: 'standin', user: 'standin', ...(opts.namespace ? { namespace: opts.namespace } : {}) } },
    ],
    'current-context': 'standin',
    preferences: {},
  });
}
