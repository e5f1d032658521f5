import {
  argoRolloutStatus,
  daemonSetStatus,
  deploymentStatus,
  statefulSetStatus,
  type Verdict,
} from '@shiprail/rollout-wait';

type Deployment = Parameters<typeof deploymentStatus>[0];

const deployment = (
  generation: number,
  observed: number,
  spec: number,
  status: Record<string, unknown>,
  conditions: unknown[] = [],
): Deployment =>
  ({
    metadata: { name: 'web', generation },
    spec: { replicas: spec },
    status: { observedGeneration: observed, conditions, ...status },
  }) as Deployment;

const progressing = (message: string, reason = 'Progressing'): Verdict => ({ phase: 'progressing', message, reason });

describe('Deployments, as kubectl rollout status judges them', () => {
  test.each<[string, Deployment, Verdict]>([
    ['spec not observed', deployment(3, 2, 3, {}), progressing('Waiting for deployment spec update to be observed...')],
    [
      'updating',
      deployment(2, 2, 3, { updatedReplicas: 1, replicas: 4 }),
      progressing('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'),
    ],
    [
      'old replicas left',
      deployment(2, 2, 3, { updatedReplicas: 3, replicas: 5 }),
      progressing('Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...'),
    ],
    [
      'not yet available',
      deployment(2, 2, 3, { updatedReplicas: 3, replicas: 3, availableReplicas: 1 }),
      progressing('Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...'),
    ],
    [
      'done',
      deployment(2, 2, 3, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      { phase: 'done', message: 'deployment "web" successfully rolled out', reason: 'Complete' },
    ],
    [
      'observed generation ahead counts as observed',
      deployment(2, 5, 1, { updatedReplicas: 1, replicas: 1, availableReplicas: 1 }),
      { phase: 'done', message: 'deployment "web" successfully rolled out', reason: 'Complete' },
    ],
    [
      'progress deadline exceeded',
      deployment(2, 2, 3, { updatedReplicas: 1 }, [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
      ]),
      {
        phase: 'failed',
        message: 'deployment "web" exceeded its progress deadline',
        reason: 'ProgressDeadlineExceeded',
      },
    ],
    [
      'deadline of an unobserved spec is not judged',
      deployment(3, 2, 3, {}, [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }]),
      progressing('Waiting for deployment spec update to be observed...'),
    ],
    [
      'scaled to zero',
      deployment(1, 1, 0, {}),
      { phase: 'done', message: 'deployment "web" successfully rolled out', reason: 'Complete' },
    ],
  ])('%s', (_name, object, expected) => {
    expect(deploymentStatus(object)).toEqual(expected);
  });

  test('names the first waiting container, as kubectl 1.33 does', () => {
    const pods = [
      { status: { containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] } },
      { status: { containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }] } },
    ];
    expect(deploymentStatus(deployment(2, 2, 3, { updatedReplicas: 1 }), pods).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated... (Warning: ErrImagePull - not found)',
    );
    const unschedulable = [
      {
        status: {
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' },
          ],
        },
      },
    ];
    expect(deploymentStatus(deployment(2, 2, 3, { updatedReplicas: 3, replicas: 3 }), unschedulable).message).toBe(
      'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available... (Warning: 0/3 nodes are available)',
    );
  });
});

type StatefulSet = Parameters<typeof statefulSetStatus>[0];
const sts = (
  strategy: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 2,
  replicas = 3,
): StatefulSet => ({ metadata: { name: 'db', generation }, spec: { replicas, updateStrategy: strategy }, status });

describe('StatefulSets', () => {
  const rolling = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  test.each<[string, StatefulSet, Verdict]>([
    [
      'OnDelete',
      sts({ type: 'OnDelete' }, {}),
      {
        phase: 'failed',
        message: 'rollout status is only available for RollingUpdate strategy type',
        reason: 'UnsupportedStrategy',
      },
    ],
    [
      'never observed',
      sts(rolling, { observedGeneration: 0 }),
      progressing('Waiting for statefulset spec update to be observed...'),
    ],
    [
      'old generation',
      sts(rolling, { observedGeneration: 1 }),
      progressing('Waiting for statefulset spec update to be observed...'),
    ],
    [
      'not ready',
      sts(rolling, { observedGeneration: 2, readyReplicas: 1 }),
      progressing('Waiting for 2 pods to be ready...'),
    ],
    [
      'partition pending',
      sts(
        { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
        { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 },
      ),
      progressing('Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...'),
    ],
    [
      'partition done',
      sts(
        { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
        { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 },
      ),
      { phase: 'done', message: 'partitioned roll out complete: 2 new pods have been updated...', reason: 'Complete' },
    ],
    [
      'revisions differ',
      sts(
        { type: 'RollingUpdate' },
        {
          observedGeneration: 2,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      progressing('waiting for statefulset rolling update to complete 1 pods at revision db-2...'),
    ],
    [
      'revisions equal',
      sts(
        { type: 'RollingUpdate' },
        {
          observedGeneration: 2,
          readyReplicas: 3,
          currentReplicas: 3,
          currentRevision: 'db-2',
          updateRevision: 'db-2',
        },
      ),
      { phase: 'done', message: 'statefulset rolling update complete 3 pods at revision db-2...', reason: 'Complete' },
    ],
  ])('%s', (_name, object, expected) => {
    expect(statefulSetStatus(object)).toEqual(expected);
  });
});

type DaemonSet = Parameters<typeof daemonSetStatus>[0];
const ds = (type: string, status: Record<string, unknown>, generation = 2): DaemonSet => ({
  metadata: { name: 'agent', generation },
  spec: { updateStrategy: { type } },
  status,
});

describe('DaemonSets', () => {
  test.each<[string, DaemonSet, Verdict]>([
    [
      'OnDelete',
      ds('OnDelete', {}),
      {
        phase: 'failed',
        message: 'rollout status is only available for RollingUpdate strategy type',
        reason: 'UnsupportedStrategy',
      },
    ],
    [
      'not observed',
      ds('RollingUpdate', { observedGeneration: 1 }),
      progressing('Waiting for daemon set spec update to be observed...'),
    ],
    [
      'updating',
      ds('RollingUpdate', { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 1 }),
      progressing('Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...'),
    ],
    [
      'unavailable',
      ds('RollingUpdate', {
        observedGeneration: 2,
        desiredNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      }),
      progressing('Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...'),
    ],
    [
      'done',
      ds('RollingUpdate', {
        observedGeneration: 2,
        desiredNumberScheduled: 3,
        updatedNumberScheduled: 3,
        numberAvailable: 3,
      }),
      { phase: 'done', message: 'daemon set "agent" successfully rolled out', reason: 'Complete' },
    ],
  ])('%s', (_name, object, expected) => {
    expect(daemonSetStatus(object)).toEqual(expected);
  });
});

type Rollout = Parameters<typeof argoRolloutStatus>[0];
const ro = (status: Record<string, unknown>, generation = 4): Rollout => ({
  metadata: { name: 'shop', generation },
  status,
});

describe('Argo Rollouts', () => {
  test.each<[string, Rollout, boolean, Verdict]>([
    [
      'Healthy',
      ro({ observedGeneration: '4', phase: 'Healthy' }),
      false,
      { phase: 'done', message: 'Healthy', reason: 'Healthy' },
    ],
    [
      'Degraded',
      ro({ observedGeneration: '4', phase: 'Degraded', message: 'ProgressDeadlineExceeded: timed out' }),
      false,
      { phase: 'failed', message: 'Degraded - ProgressDeadlineExceeded: timed out', reason: 'Degraded' },
    ],
    [
      'Paused waits',
      ro({ observedGeneration: '4', phase: 'Paused', message: 'CanaryPauseStep' }),
      false,
      progressing('Paused - CanaryPauseStep', 'Paused'),
    ],
    [
      'Paused accepted',
      ro({ observedGeneration: '4', phase: 'Paused', message: 'CanaryPauseStep' }),
      true,
      { phase: 'done', message: 'Paused - CanaryPauseStep', reason: 'Paused' },
    ],
    [
      'stale generation',
      ro({ observedGeneration: '3', phase: 'Healthy' }),
      false,
      progressing('Progressing - waiting for rollout spec update to be observed'),
    ],
    [
      'unpausing',
      ro({ observedGeneration: '4', phase: 'Paused', controllerPause: true, pauseConditions: [] }),
      true,
      progressing('Progressing - waiting for rollout to unpause'),
    ],
    [
      'old hash-style observedGeneration',
      ro({ observedGeneration: '7d8f9c', phase: 'Healthy' }),
      false,
      { phase: 'done', message: 'Healthy', reason: 'Healthy' },
    ],
    [
      'Progressing',
      ro({ observedGeneration: '4', phase: 'Progressing', message: 'more replicas need to be updated' }),
      false,
      progressing('Progressing - more replicas need to be updated'),
    ],
  ])('%s', (_name, object, acceptPaused, expected) => {
    expect(argoRolloutStatus(object, acceptPaused)).toEqual(expected);
  });
});
