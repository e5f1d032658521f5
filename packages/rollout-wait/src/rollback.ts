// Rolling a Deployment back to its previous revision as `kubectl rollout undo` does: the ReplicaSet with
// the second-highest revision gives the template (without its pod-template-hash label) and annotations,
// applied with one JSON patch.
import type { KubeClient } from './kube.ts';
import { isControlledBy, selectorString, type PodTemplate, type ReplicaSet, type Workload } from './objects.ts';

const REVISION = 'deployment.kubernetes.io/revision';

// Annotations that stay the Deployment's own and are not copied from the ReplicaSet.
const KEPT_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type RollbackPlan =
  | { kind: 'patch'; revision: number; operations: unknown[]; image: string }
  | { kind: 'skip'; revision: number; reason: string }
  | { kind: 'impossible'; reason: string };

/** JSON round trip: client models and wire JSON compare alike (undefined fields dropped). */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const copy = plain(template ?? {}) as PodTemplate;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels['pod-template-hash'];
  }
  // Client models carry a null creationTimestamp that the wire JSON of templates omits.
  if (copy.metadata && (copy.metadata as Record<string, unknown>)['creationTimestamp'] === null) {
    delete (copy.metadata as Record<string, unknown>)['creationTimestamp'];
  }
  return copy;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, item]) => [key, sortKeys(item)]),
  );
}

/** What `kubectl rollout undo deployment/<name>` would do with these ReplicaSets. */
export function planRollback(deployment: Workload, replicaSets: readonly ReplicaSet[]): RollbackPlan {
  const name = deployment.metadata?.name ?? '';
  if (deployment.spec?.paused === true) {
    return {
      kind: 'impossible',
      reason: `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
    };
  }
  const owned = replicaSets
    .filter((rs) => isControlledBy(rs, deployment))
    .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION] ?? NaN) }))
    .filter((entry) => Number.isInteger(entry.revision))
    .sort((a, b) => b.revision - a.revision);
  const previous = owned[1];
  if (previous === undefined)
    return { kind: 'impossible', reason: `no rollout history found for deployment "${name}"` };
  const template = withoutHash(previous.rs.spec?.template);
  if (sameJson(template, withoutHash(deployment.spec?.template))) {
    return {
      kind: 'skip',
      revision: previous.revision,
      reason: `skipped rollback (current template already matches revision ${previous.revision})`,
    };
  }
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (KEPT_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(previous.rs.metadata?.annotations ?? {})) {
    if (!KEPT_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  return {
    kind: 'patch',
    revision: previous.revision,
    image: (template.spec?.containers ?? []).map((container) => container.image ?? '').join(', '),
    operations: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

export interface RollbackOutcome {
  rolledBack: boolean;
  revision: number | undefined;
  message: string;
}

/** Reads the Deployment and its ReplicaSets now, and patches it back to the previous revision. */
export async function rollbackDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<RollbackOutcome> {
  const deployment = await client.getDeployment(namespace, name, signal);
  const replicaSets = await client.replicaSets(namespace, selectorString(deployment.spec?.selector), signal);
  const plan = planRollback(deployment, replicaSets);
  if (plan.kind === 'impossible')
    return { rolledBack: false, revision: undefined, message: `not rolled back: ${plan.reason}` };
  if (plan.kind === 'skip') return { rolledBack: false, revision: plan.revision, message: plan.reason };
  await client.patchDeployment(namespace, name, plan.operations, signal);
  return {
    rolledBack: true,
    revision: plan.revision,
    message: `rolled back to revision ${plan.revision} (${plan.image})`,
  };
}
