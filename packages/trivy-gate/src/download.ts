// Downloading Trivy's release archive: a deadline on silence, a bounded size, and retries only for what another
// attempt can fix.
import {
  DeadlineError,
  errorMessage,
  HttpStatusError,
  isTransient,
  retry,
  stripUrlCredentials,
  type Clock,
  type Log,
} from '@shiprail/core';
import { open } from 'node:fs/promises';

/** No byte for this long, before the answer or within the body, ends an attempt (a DeadlineError). */
export const IDLE_DEADLINE_MS = 10_000;
/** A new attempt starts only this long after the first one began: a failing mirror cannot hold the step. */
export const RETRY_WINDOW_MS = 20_000;
/** Trivy's archives are about 50 MiB; a mirror sending far more is not sending Trivy. */
export const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
const ATTEMPTS = 3;
const BACKOFF = { baseMs: 1000, factor: 2, maxMs: 4000, jitter: 0.5 };

export interface DownloadOptions {
  fetch: typeof fetch;
  log: Log;
  clock: Clock;
}

/**
 * A URL with its user info moved into an Authorization header: fetch refuses URLs that carry
 * credentials, and the URL is what gets printed.
 */
export function requestOf(url: string): { href: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { href: parsed.href, headers: {} };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  return { href: parsed.href, headers: { authorization: `Basic ${basic}` } };
}

/**
 * Downloads `url` to `path`. Network errors, stalls, 408, 429 and 5xx are tried again while the retry
 * window lasts; any other answer (404, 401, 403) fails at once with its status.
 */
export async function downloadFile(url: string, path: string, options: DownloadOptions): Promise<void> {
  const shown = stripUrlCredentials(url);
  const started = options.clock.now();
  options.log.info(`Downloading ${shown}`);
  try {
    await retry(() => downloadOnce(url, path, options.fetch), {
      ...BACKOFF,
      attempts: ATTEMPTS,
      retryIf: (error) => isTransient(error) && options.clock.now() - started < RETRY_WINDOW_MS,
      onRetry: (error, attempt, delay) =>
        options.log.info(`${errorMessage(error)} (attempt ${attempt}); trying again in ${delay} ms`),
      sleep: (ms) => options.clock.sleep(ms),
    });
  } catch (error) {
    // Status and deadline errors name the URL already; a network error says only what broke.
    if (error instanceof HttpStatusError || error instanceof DeadlineError) throw error;
    throw new Error(`downloading ${shown} failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** Aborts a request when no byte has arrived for a while. */
class IdleDeadline {
  readonly controller = new AbortController();
  expired = false;
  private readonly ms: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.poke();
  }

  poke(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

async function downloadOnce(url: string, path: string, fetchImpl: typeof fetch): Promise<void> {
  const { href, headers } = requestOf(url);
  const shown = stripUrlCredentials(url);
  const idle = new IdleDeadline(IDLE_DEADLINE_MS);
  const file = await open(path, 'w');
  try {
    const response = await fetchImpl(href, { headers, signal: idle.controller.signal, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new HttpStatusError(response.status, shown);
    }
    let received = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      idle.poke();
      received += chunk.byteLength;
      if (received > MAX_ARCHIVE_BYTES) {
        throw new Error(`${shown} sent more than ${MAX_ARCHIVE_BYTES / 1024 / 1024} MiB: that is no Trivy archive`);
      }
      await file.write(chunk);
    }
  } catch (error) {
    if (idle.expired) throw new DeadlineError(shown, IDLE_DEADLINE_MS);
    throw error;
  } finally {
    idle.stop();
    await file.close();
  }
}
