// What is worth another attempt, and how long one attempt may take: one answer for every action that
// talks to a server (registries, git remotes, Prometheus, the Kubernetes and GitHub APIs, downloads).
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

// Errors of the connection itself, as Node, undici and libuv name them: another attempt may succeed.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Statuses another attempt can change: a timeout, too many requests, or the server's own failure. */
export const isTransientStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

// Duck-typed: errors from another realm (a VM context, a worker) fail `instanceof Error`.
const field = (error: unknown, name: 'code' | 'cause'): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/**
 * Whether another attempt can fix this error: network failures, a deadline that expired, 408, 429 and
 * 5xx. Not 4xx answers, bad certificates, refused schemes or anything else the same request repeats.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof DeadlineError) return true;
  if (error instanceof HttpStatusError) return isTransientStatus(error.status);
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = field(current, 'code');
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    current = field(current, 'cause');
  }
  return false;
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
