// Trying again: exponential backoff with jitter, an abortable sleep of any length, and retry, which asks its caller
// what is worth it.
import { MAX_TIMER_MS } from './duration.ts';

export interface BackoffOptions {
  /** Delay before the second attempt. */
  baseMs: number;
  /** Upper bound of one delay. */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Share of the delay that is random (0..1, default 0): spreads concurrent retries apart. */
  jitter?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, including the first. */
  attempts: number;
  /** Whether this error is worth another attempt (default: every error). */
  retryIf?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The delay after failed attempt `attempt` (1-based): exponential, capped, with optional jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = options.baseMs * (options.factor ?? 2) ** (attempt - 1);
  const capped = Math.min(exponential, options.maxMs ?? Number.POSITIVE_INFINITY);
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  return Math.round(capped * (1 - jitter) + capped * jitter * random());
}

/** Waits `ms`, however long (a wait beyond one Node timer is made of several), or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const end = Date.now() + ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const arm = (): void => {
      const remaining = end - Date.now();
      if (remaining <= 0) done();
      else timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
    };
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}

/** Runs `operation` until it succeeds, an error is not retryable, or attempts run out (last error thrown). */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !(options.retryIf?.(error) ?? true)) throw error;
      const delay = backoffDelay(attempt, options, options.random);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
