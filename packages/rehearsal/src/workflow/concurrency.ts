// Concurrency groups shared by every run of a rehearsal, with GitHub's rule: in a group at most one job
// runs and one waits; a newer waiting job cancels the older waiting one (and, with cancel-in-progress,
// the running one too). A job waiting for its environment's approval is a waiting job. A workflow's own
// `concurrency` makes its whole run such a job.
import { valueText, type Value } from './expressions.ts';

export type Admission = 'admitted' | 'superseded';

export interface ConcurrencyTicket {
  /** Resolves (only) if a newer job of the group takes this one's place while it waits. */
  superseded: Promise<'superseded'>;
  /** Resolves when the job may run, or with `superseded`. */
  start(): Promise<Admission>;
  leave(): void;
}

interface Waiter {
  owner: string;
  cancel: () => void;
  supersede: () => void;
  /** Set once the job asked to start. */
  admit?: () => void;
}

interface Group {
  running?: { owner: string; cancel: () => void };
  waiting?: Waiter;
}

export class ConcurrencyGroups {
  private readonly groups = new Map<string, Group>();
  /** Who was superseded by whom, in order. */
  readonly superseded: Array<{ group: string; owner: string; by: string }> = [];

  /** Queues `owner` in `group`; `cancel` is called if a newer job with cancel-in-progress arrives while it runs. */
  join(group: string, owner: string, cancelInProgress: boolean, cancel: () => void): ConcurrencyTicket {
    const state = this.groups.get(group) ?? {};
    this.groups.set(group, state);
    if (state.waiting) {
      this.superseded.push({ group, owner: state.waiting.owner, by: owner });
      state.waiting.supersede();
    }
    if (state.running && cancelInProgress) {
      this.superseded.push({ group, owner: state.running.owner, by: owner });
      state.running.cancel();
    }
    let supersede: () => void = () => undefined;
    const superseded = new Promise<'superseded'>((resolve) => (supersede = () => resolve('superseded')));
    const waiter: Waiter = { owner, cancel, supersede };
    state.waiting = waiter;
    let out = false;
    const start = async (): Promise<Admission> => {
      const admitted = new Promise<'admitted'>((resolve) => {
        waiter.admit = () => resolve('admitted');
        if (!state.running && state.waiting === waiter) this.promote(state);
      });
      const admission = await Promise.race([admitted, superseded]);
      if (admission === 'superseded') out = true;
      return admission;
    };
    const leave = (): void => {
      if (out) return;
      out = true;
      if (state.waiting === waiter) state.waiting = undefined;
      if (state.running?.owner === owner) {
        state.running = undefined;
        this.promote(state);
      }
    };
    waiter.supersede = () => {
      out = true;
      supersede();
    };
    return { superseded, start, leave };
  }

  /** Who runs and who waits in `group` now. */
  members(group: string): { running?: string; waiting?: string } {
    const state = this.groups.get(group);
    return { running: state?.running?.owner, waiting: state?.waiting?.owner };
  }

  /** Moves the waiting job to running when it has asked to start. */
  private promote(state: Group): void {
    const next = state.waiting;
    if (!next?.admit || state.running) return;
    state.waiting = undefined;
    state.running = { owner: next.owner, cancel: next.cancel };
    next.admit();
  }
}

/** A `concurrency:` value (a group name, or `group` and `cancel-in-progress`); undefined when there is none. */
export function concurrencySetting(value: Value): { group: string; cancelInProgress: boolean } | undefined {
  if (value === null || value === '') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return { group: valueText(value), cancelInProgress: false };
  const cancel = value['cancel-in-progress'];
  return { group: valueText(value['group'] ?? ''), cancelInProgress: cancel === true || cancel === 'true' };
}
