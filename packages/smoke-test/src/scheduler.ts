// Bounded parallelism with dependencies between tasks. Every task ends: one that throws or rejects is
// turned into a result by `onError`, and a failing callback is reported once the run has ended, so the
// run as a whole always finishes.

export interface ScheduleOptions<R> {
  /** Tasks running at once, at most. */
  limit: number;
  /** Earlier positions whose results a task needs before it starts. */
  needs: (position: number) => readonly number[];
  /** Starts a task; `results` holds the result of every task settled so far. */
  start: (position: number, results: ReadonlyArray<R | undefined>) => R | Promise<R>;
  /** The result of a task that threw or rejected. */
  onError: (position: number, error: unknown) => R;
  /** Called once per task, as it settles. */
  onSettled?: (position: number, result: R) => void;
}

/** Runs `count` tasks; resolves with their results by position once every one has settled. */
export function runScheduled<R>(count: number, options: ScheduleOptions<R>): Promise<R[]> {
  return new Promise((resolve, reject) => {
    const needs = Array.from({ length: count }, (_, position) => options.needs(position));
    if (needs.some((sources, position) => sources.some((source) => !(source >= 0 && source < position)))) {
      // A task waiting for itself or a later one would wait forever.
      reject(new Error('a task can only need tasks before it'));
      return;
    }
    const results = new Array<R | undefined>(count).fill(undefined);
    const state = new Array<'waiting' | 'running' | 'done'>(count).fill('waiting');
    let running = 0;
    let done = 0;
    let firstError: { error: unknown } | undefined;
    const keep = (error: unknown): void => {
      firstError ??= { error };
    };

    const settle = (position: number, outcome: { result: R } | { error: unknown }): void => {
      running -= 1;
      done += 1;
      state[position] = 'done';
      let result: R | undefined;
      try {
        result = 'result' in outcome ? outcome.result : options.onError(position, outcome.error);
        results[position] = result;
        options.onSettled?.(position, result);
      } catch (error) {
        keep(error);
      }
      pump();
    };

    const launch = (position: number): void => {
      state[position] = 'running';
      running += 1;
      let task: Promise<R>;
      try {
        task = Promise.resolve(options.start(position, results));
      } catch (error) {
        task = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      task.then(
        (result) => settle(position, { result }),
        (error: unknown) => settle(position, { error }),
      );
    };

    const ready = (position: number): boolean =>
      state[position] === 'waiting' && (needs[position] ?? []).every((source) => state[source] === 'done');

    function pump(): void {
      for (let position = 0; position < count && running < options.limit; position += 1) {
        if (ready(position)) launch(position);
      }
      if (done < count) return;
      if (firstError === undefined) resolve(results.filter((result): result is R => result !== undefined));
      else reject(firstError.error instanceof Error ? firstError.error : new Error(String(firstError.error)));
    }

    pump();
  });
}
