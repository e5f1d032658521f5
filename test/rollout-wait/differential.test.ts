// The same scenarios through the real `kubectl rollout status` and through rollout-wait, at the same time
// against the same server: both reach the same verdict with the same last message.
import { errorMessage } from '@shiprail/core';
import { runRolloutWait } from '@shiprail/rollout-wait';
import {
  startKubeApiServer,
  type KubeApiServer,
  deployment,
  deploymentRollout,
  playScenario,
  seedDeployment,
  type ScenarioStep,
} from '@shiprail/rehearsal/kube';
import {
  kubectl,
  kubectlErrorLine,
  createTestRuntime,
  daemonSet,
  rolloutStatusVerdict,
  statefulSet,
  waitForWatches,
} from '@shiprail/testkit';

interface Scenario {
  resource: string;
  /** Objects in place before both start watching. */
  setup: (server: KubeApiServer) => void;
  steps: ScenarioStep[];
  timeout: string;
}

const STEP = 150;

const scenarios: Record<string, Scenario> = {
  'deployment rolls out': {
    resource: 'deployment/web',
    setup: (server) => {
      seedDeployment(server, 'web', 'web:1');
      server.apply(deployment({ name: 'web', image: 'web:2', generation: 2, observedGeneration: 1, updated: 0 }));
    },
    steps: deploymentRollout({ name: 'web', from: 'web:1', to: 'web:2', stepMs: STEP }).slice(1),
    timeout: '20s',
  },
  'deployment exceeds its progress deadline': {
    resource: 'deployment/web',
    setup: (server) => {
      seedDeployment(server, 'web', 'web:1');
      server.apply(deployment({ name: 'web', image: 'web:2', generation: 2, observedGeneration: 1, updated: 0 }));
    },
    steps: deploymentRollout({ name: 'web', from: 'web:1', to: 'web:2', stepMs: STEP, outcome: 'deadline' }).slice(1),
    timeout: '20s',
  },
  'deployment with old replicas never finishes': {
    resource: 'deployment/web',
    setup: (server) => server.apply(deployment({ name: 'web', image: 'web:2', generation: 2, updated: 3, total: 4 })),
    steps: [
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(deployment({ name: 'web', image: 'web:2', generation: 2, updated: 3, total: 4, available: 2 })),
      },
    ],
    timeout: '3s',
  },
  'deployment is deleted mid-rollout': {
    resource: 'deployment/web',
    setup: (server) => server.apply(deployment({ name: 'web', image: 'web:2', generation: 2, updated: 1 })),
    steps: [{ afterMs: STEP, run: (server) => server.remove('deployments', 'default', 'web') }],
    timeout: '20s',
  },
  'statefulset with a partition': {
    resource: 'statefulset/db',
    setup: (server) =>
      server.apply(
        statefulSet({ name: 'db', image: 'pg:2', partition: 2, updated: 0, generation: 2, observedGeneration: 1 }),
      ),
    steps: [
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(statefulSet({ name: 'db', image: 'pg:2', partition: 2, updated: 0, ready: 2, generation: 2 })),
      },
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(statefulSet({ name: 'db', image: 'pg:2', partition: 2, updated: 1, generation: 2 })),
      },
    ],
    timeout: '20s',
  },
  'statefulset without rollingUpdate waits for its revision': {
    resource: 'statefulset/db',
    setup: (server) =>
      server.apply(
        statefulSet({
          name: 'db',
          image: 'pg:2',
          updated: 1,
          current: 2,
          currentRevision: 'db-old',
          updateRevision: 'db-new',
          generation: 2,
        }),
      ),
    steps: [
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(
            statefulSet({
              name: 'db',
              image: 'pg:2',
              updated: 2,
              current: 1,
              currentRevision: 'db-old',
              updateRevision: 'db-new',
              generation: 2,
            }),
          ),
      },
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(
            statefulSet({
              name: 'db',
              image: 'pg:2',
              updated: 3,
              current: 3,
              currentRevision: 'db-new',
              updateRevision: 'db-new',
              generation: 2,
            }),
          ),
      },
    ],
    timeout: '20s',
  },
  'statefulset with OnDelete': {
    resource: 'statefulset/db',
    setup: (server) => server.apply(statefulSet({ name: 'db', image: 'pg:2', strategy: 'OnDelete' })),
    steps: [],
    timeout: '20s',
  },
  'statefulset never ready': {
    resource: 'statefulset/db',
    setup: (server) => server.apply(statefulSet({ name: 'db', image: 'pg:2', partition: 0, ready: 1 })),
    steps: [],
    timeout: '3s',
  },
  'daemonset rolls out': {
    resource: 'daemonset/agent',
    setup: (server) =>
      server.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2, observedGeneration: 1, updated: 0 })),
    steps: [
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2, updated: 1, available: 2 })),
      },
      {
        afterMs: STEP,
        run: (server) =>
          server.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2, updated: 3, available: 2 })),
      },
      { afterMs: STEP, run: (server) => server.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2 })) },
    ],
    timeout: '20s',
  },
  'daemonset with OnDelete': {
    resource: 'daemonset/agent',
    setup: (server) => server.apply(daemonSet({ name: 'agent', image: 'agent:2', strategy: 'OnDelete' })),
    steps: [],
    timeout: '20s',
  },
  'daemonset stuck on unavailable pods': {
    resource: 'daemonset/agent',
    setup: (server) => server.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2, available: 1 })),
    steps: [],
    timeout: '3s',
  },
};

let server: KubeApiServer;
beforeEach(async () => {
  server = await startKubeApiServer({ bookmarkIntervalMs: 500 });
});
afterEach(async () => {
  await server.stop();
});

test.each(Object.keys(scenarios))('%s: kubectl and rollout-wait agree', async (name) => {
  const scenario = scenarios[name];
  if (scenario === undefined) throw new Error(name);
  scenario.setup(server);

  const fromKubectl = kubectl(server.kubeconfigPath, [
    'rollout',
    'status',
    scenario.resource,
    '--timeout',
    scenario.timeout,
  ]);
  const runtime = createTestRuntime({
    inputs: {
      kubeconfig: server.kubeconfig,
      resources: scenario.resource,
      timeout: scenario.timeout,
      'fail-fast': 'false',
    },
  });
  const fromAction = runRolloutWait(runtime).then(() => undefined, errorMessage);
  // Both are watching (or already finished) before anything changes.
  await Promise.race([waitForWatches(server, 2), fromKubectl, fromAction]);
  await playScenario(server, scenario.steps);

  const [kubectlRun, actionError] = await Promise.all([fromKubectl, fromAction]);
  const kubectlVerdict = rolloutStatusVerdict(kubectlRun);
  const kubectlLast =
    kubectlRun.exitCode === 0
      ? kubectlRun.stdout.trim().split('\n').pop()
      : (kubectlRun.stdout.trim().split('\n').pop() ?? kubectlRun.stderr.trim());
  const kubectlError = kubectlErrorLine(kubectlRun);

  const [resource] = JSON.parse(runtime.outputs['resources'] ?? '[]') as Array<{ message: string; reason: string }>;
  expect({ verdict: runtime.outputs['result'], error: actionError !== undefined }).toEqual({
    verdict: kubectlVerdict,
    error: kubectlVerdict !== 'success',
  });
  // On success and on progress, the last message is kubectl's last line; on failure, kubectl's error.
  if (kubectlVerdict === 'failed') expect(resource?.message).toBe(kubectlError);
  else expect(resource?.message).toBe(kubectlLast);
});
