// The errors of talking to a server (a status the caller cannot use, no answer in time) and the deadline of
// one attempt, for every action that talks to one (registries, git remotes, Prometheus, the Kubernetes and
// GitHub APIs, downloads). Whether another attempt is worth it is failure.ts's answer.
import { formatDuration, MAX_TIMER_MS } from './duration.ts';
import { stripUrlCredentials } from './secrets.ts';

/** A server answered with a status the caller cannot use. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly url: string;

  constructor(status: number, url: string, detail = '') {
    const shown = stripUrlCredentials(url);
    super(`${shown} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.url = shown;
  }
}

/** A server (or a program talking to one) did not answer in time. */
export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${formatDuration(ms)}`);
    this.name = 'DeadlineError';
  }
}

/**
 * Runs one network operation under a deadline: its signal aborts when `ms` pass, and the promise rejects
 * with a DeadlineError then, even when the operation ignores the signal.
 */
export async function withDeadline<T>(
  operation: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        const error = new DeadlineError(what, ms);
        controller.abort(error);
        reject(error);
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  });
  try {
    return await Promise.race([operation(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
