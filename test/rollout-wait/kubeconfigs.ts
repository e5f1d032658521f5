// Kubeconfigs for the test API server written the ways people write them.
import type { KubeApiServer } from '@shiprail/rehearsal/kube';

/** A kubeconfig for `server` with these lines under `cluster:` and the server's bearer token. */
export function kubeconfigFor(server: KubeApiServer, clusterLines: readonly string[]): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    ...clusterLines.map((line) => `    ${line}`),
    'users:',
    '- name: test',
    '  user:',
    `    token: ${server.token}`,
    'contexts:',
    '- name: test',
    '  context: {cluster: test, user: test}',
    'current-context: test',
    '',
  ].join('\n');
}
