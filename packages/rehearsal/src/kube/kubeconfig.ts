// A kubeconfig with one cluster, one user and one context, as kubectl and the client libraries read it.

export interface KubeconfigParts {
  /** Lines under `cluster:` (server, certificate-authority-data, insecure-skip-tls-verify…). */
  cluster: readonly string[];
  /** Lines under `user:` (token, exec…). */
  user: readonly string[];
  /** The context's namespace. */
  namespace?: string;
}

export function kubeconfigText(parts: KubeconfigParts): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    ...parts.cluster.map((line) => `    ${line}`),
    'users:',
    '- name: test',
    '  user:',
    ...parts.user.map((line) => `    ${line}`),
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    ...(parts.namespace === undefined ? [] : [`    namespace: ${parts.namespace}`]),
    'current-context: test',
    '',
  ].join('\n');
}
