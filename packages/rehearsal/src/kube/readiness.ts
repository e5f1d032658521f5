// What the simulated clusters ask of a node: whether the pods of a template become ready, and why not.
// One interface, so that a kubelet that runs the images and their readiness probes can answer in place of
// the first answer here, which follows the rehearsal's world (how the scenario says a rollout goes).
// No jest globals: `node x.ts` under Node 24 can import it.
import { isObject, text, type JsonObject } from './patch.ts';
import type { PodHealth } from './workloads.ts';

/** A pod a workload controller starts: whose it is and the template it comes from. */
export interface PodTemplateSubject {
  /** The environment (the simulated cluster's tenant) the workload belongs to. */
  environment: string;
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
  /** The pod, just created and starting. */
  pod: string;
  /** spec.template as rendered: containers with their images, env, ports and readiness probes. */
  template: JsonObject;
}

/**
 * How the pods of a template end up: ready, or not with the state their containers are in (`starting`:
 * running but never ready, as with a failing readiness probe) and, for a Deployment, whether its progress
 * deadline passes while it waits.
 */
export type TemplateReadiness =
  { ready: true } | { ready: false; health: PodHealth; message?: string; progressDeadlineExceeded?: boolean };

export interface PodReadiness {
  /** Asked of each pod a controller starts, once it exists (starting); the pod is then written as answered. */
  readiness(subject: PodTemplateSubject): Promise<TemplateReadiness>;
}

/** How the world says a rollout goes: every state it goes through, the deadline passing, or pods failing so. */
export type RolloutOutcome = 'success' | 'deadline' | 'stuck' | PodHealth;

/** The first image of a pod template ('' without one). */
export function templateImage(template: JsonObject | undefined): string {
  const spec = template?.['spec'];
  const containers = isObject(spec) ? spec['containers'] : undefined;
  const first = Array.isArray(containers) ? containers[0] : undefined;
  return isObject(first) ? text(first['image']) : '';
}

/** Readiness as the scenario's outcome says, per environment, workload and first image (default: ready). */
export class ScenarioReadiness implements PodReadiness {
  private readonly outcome: (environment: string, workload: string, image: string) => RolloutOutcome;

  constructor(outcome: (environment: string, workload: string, image: string) => RolloutOutcome = () => 'success') {
    this.outcome = outcome;
  }

  readiness(subject: PodTemplateSubject): Promise<TemplateReadiness> {
    const outcome = this.outcome(subject.environment, subject.name, templateImage(subject.template));
    if (outcome === 'success') return Promise.resolve({ ready: true });
    if (outcome === 'deadline')
      return Promise.resolve({ ready: false, health: 'starting', progressDeadlineExceeded: true });
    if (outcome === 'stuck') return Promise.resolve({ ready: false, health: 'starting' });
    return Promise.resolve({ ready: false, health: outcome });
  }
}
