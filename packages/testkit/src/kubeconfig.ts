// Kubeconfigs for the test API server written the ways people write them.
import { kubeconfigText, type KubeApiServer } from '@shiprail/rehearsal/kube';

/** A kubeconfig for `server` with these lines under `cluster:` and the server's bearer token. */
export function kubeconfigFor(server: KubeApiServer, clusterLines: readonly string[]): string {
  return kubeconfigText({ cluster: clusterLines, user: [`token: ${server.token}`] });
}
