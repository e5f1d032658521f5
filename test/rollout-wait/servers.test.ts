// Whatever server kubectl accepts, rollout-wait accepts: the test API server over plain HTTP (as
// `kubectl proxy` and local clusters serve it) and over TLS, written into the kubeconfig the ways people
// write it, with the real kubectl and the bundled action watching the same rollout side by side.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigFor, kubectl, runBundledAction, waitForWatches } from '@shiprail/testkit';
import {
  startKubeApiServer,
  type KubeApiServer,
  deploymentRollout,
  playScenario,
  seedDeployment,
} from '@shiprail/rehearsal/kube';

const address = (server: KubeApiServer): string => server.url.replace(/^https?:\/\//, '');
const caData = (server: KubeApiServer): string =>
  `certificate-authority-data: ${Buffer.from(server.certificate ?? '').toString('base64')}`;

const cases: ReadonlyArray<[string, { tls: boolean }, (server: KubeApiServer) => string[]]> = [
  ['plain HTTP, as kubectl proxy serves it', { tls: false }, (server) => [`server: ${server.url}`]],
  ['plain HTTP with a trailing slash', { tls: false }, (server) => [`server: ${server.url}/`]],
  ['plain HTTP without a scheme', { tls: false }, (server) => [`server: ${address(server)}`]],
  ['TLS with the cluster CA', { tls: true }, (server) => [`server: ${server.url}`, caData(server)]],
  [
    'TLS with verification skipped',
    { tls: true },
    (server) => [`server: ${server.url}`, 'insecure-skip-tls-verify: true'],
  ],
];

test.each(cases)('%s: kubectl and rollout-wait both follow the rollout', async (_name, options, cluster) => {
  const server = await startKubeApiServer({ tls: options.tls, bookmarkIntervalMs: 500 });
  const directory = mkdtempSync(join(tmpdir(), 'servers-'));
  try {
    const kubeconfig = kubeconfigFor(server, cluster(server));
    const kubeconfigPath = join(directory, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
    seedDeployment(server, 'api', 'ghcr.io/acme/api:1.0');
    const [start, ...rest] = deploymentRollout({
      name: 'api',
      from: 'ghcr.io/acme/api:1.0',
      to: 'ghcr.io/acme/api:2.0',
      stepMs: 100,
    });
    await playScenario(server, start ? [start] : []);

    const fromKubectl = kubectl(kubeconfigPath, ['rollout', 'status', 'deployment/api', '--timeout', '30s']);
    const fromAction = runBundledAction('rollout-wait', {
      inputs: { kubeconfig, resources: 'deployment/api', timeout: '30s' },
      timeoutMs: 60_000,
    });
    // kubectl's watch, and the action's watches of the Deployment and its pods.
    await waitForWatches(server, 3);
    await playScenario(server, rest);
    const [kubectlRun, actionRun] = await Promise.all([fromKubectl, fromAction]);

    expect({ exitCode: kubectlRun.exitCode, last: kubectlRun.stdout.trim().split('\n').pop() }).toEqual({
      exitCode: 0,
      last: 'deployment "api" successfully rolled out',
    });
    expect(actionRun.errors).toEqual([]);
    expect(actionRun.outputs['result']).toBe('success');
    expect(actionRun.stdout).toContain(`on ${server.url} (kubeconfig: the kubeconfig input)`);
    expect(actionRun.stdout).toContain('default/deployment/api: deployment "api" successfully rolled out');
    // Credentials go over TLS only: over plain HTTP kubectl sends none, and neither does rollout-wait.
    expect(new Set(server.requests.map((request) => request.authenticated))).toEqual(new Set([options.tls]));
  } finally {
    rmSync(directory, { recursive: true, force: true });
    await server.stop();
  }
});
