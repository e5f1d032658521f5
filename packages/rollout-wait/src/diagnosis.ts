// What to show about a resource that did not finish: the reasons its containers give, recent events, and
// the last log lines of one failing pod. Best effort, under the deadline the caller gives.
import type { KubeClient } from './kube.ts';
import { selectorString, timestampMs, type KubeEvent, type Pod } from './objects.ts';
import { containerProblems, podsWithLabel, type ContainerProblem } from './pods.ts';
import type { TrackedResource } from './decide.ts';

export interface PodLog {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

export interface Diagnosis {
  problems: ContainerProblem[];
  events: KubeEvent[];
  log: PodLog | undefined;
}

const LOG_LINES = 20;
const EVENT_ROWS = 10;

/** Containers that are not running well, hopeless or not (a pod stuck in ContainerCreating is worth showing). */
function unwellContainers(pod: Pod): ContainerProblem[] {
  const hopeless = containerProblems(pod);
  if (hopeless.length > 0) return hopeless;
  const name = pod.metadata?.name ?? '';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const waiting = statuses.flatMap((status) =>
    status.ready === true || status.state?.waiting?.reason === undefined
      ? []
      : [
          {
            pod: name,
            container: status.name ?? '',
            reason: status.state.waiting.reason,
            message: status.state.waiting.message ?? '',
            restarts: status.restartCount ?? 0,
          },
        ],
  );
  if (waiting.length > 0) return waiting;
  const unschedulable = (pod.status?.conditions ?? []).find(
    (condition) => condition.type === 'PodScheduled' && condition.status === 'False',
  );
  return unschedulable
    ? [
        {
          pod: name,
          container: '',
          reason: unschedulable.reason ?? 'Unschedulable',
          message: unschedulable.message ?? '',
          restarts: 0,
        },
      ]
    : [];
}

/** Best effort: a failure to read diagnostics never changes the verdict. */
export async function diagnose(client: KubeClient, entry: TrackedResource, signal: AbortSignal): Promise<Diagnosis> {
  const { namespace, name } = entry.ref;
  let pods = [...entry.pods.values()];
  const selector = selectorString(entry.object?.spec?.selector);
  if (pods.length === 0 && selector !== '') {
    pods = await client
      .list('pod', namespace, { labelSelector: selector }, signal)
      .then((list) => list.items)
      .catch(() => []);
  }
  const fresh = entry.newPods ? podsWithLabel(pods, entry.newPods) : pods;
  const problems = (fresh.length > 0 ? fresh : pods).flatMap(unwellContainers);
  const failing = problems.find((problem) => problem.container !== '');
  const involved = [name, ...new Set(problems.map((problem) => problem.pod))].slice(0, 4);
  const events = (
    await Promise.all(involved.map((object) => client.events(namespace, object, signal).catch((): KubeEvent[] => [])))
  )
    .flat()
    .sort((a, b) => eventTime(b) - eventTime(a))
    .slice(0, EVENT_ROWS);
  let log: PodLog | undefined;
  if (failing !== undefined) {
    const previous = failing.restarts > 0;
    const read = (fromPrevious: boolean): Promise<PodLog | undefined> =>
      client
        .podLog(namespace, failing.pod, failing.container, { previous: fromPrevious, tailLines: LOG_LINES }, signal)
        .then((text) => ({ pod: failing.pod, container: failing.container, previous: fromPrevious, text }))
        .catch(() => undefined);
    log = (await read(previous)) ?? (previous ? await read(false) : undefined);
  }
  return { problems, events, log };
}

const eventTime = (event: KubeEvent): number =>
  Math.max(timestampMs(event.lastTimestamp), timestampMs(event.eventTime), timestampMs(event.firstTimestamp));
