// A small client for Prometheus' HTTP API range queries (`/api/v1/query_range`) over fetch: auth
// headers, a timeout per request, retries with backoff on 5xx, 429 and network failures, and errors
// that tell a rejected query (the user's PromQL) from a Prometheus that cannot answer.
import { retry } from '@shiprail/core';

export interface RangeQuery {
  query: string;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  stepMs: number;
}

export interface Series {
  labels: Record<string, string>;
  /** [milliseconds, value]; NaN and ±Inf as Prometheus returns them. */
  points: Array<[number, number]>;
}

export interface PrometheusClientOptions {
  url: string;
  headers?: ReadonlyArray<[string, string]>;
  timeoutMs?: number;
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** Prometheus answered and refused the query (bad PromQL, too many points): retrying will not help. */
export class QueryRejectedError extends Error {
  readonly status: number;
  readonly errorType: string;
  constructor(message: string, status: number, errorType: string) {
    super(message);
    this.name = 'QueryRejectedError';
    this.status = status;
    this.errorType = errorType;
  }
}

/** Prometheus could not be reached or kept failing (network, timeout, 5xx, auth). */
export class PrometheusUnavailableError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'PrometheusUnavailableError';
    this.retryable = retryable;
  }
}

interface ApiResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }> };
}

export class PrometheusClient {
  private readonly endpoint: string;
  private readonly options: PrometheusClientOptions;
  /** The URL as errors show it: without user:password. */
  private readonly shownUrl: string;

  /** Basic credentials given in the URL (`https://user:password@host`), which fetch refuses to send itself. */
  private readonly urlAuthorization: string | undefined;

  constructor(options: PrometheusClientOptions) {
    this.options = options;
    const parsed = new URL(options.url);
    this.urlAuthorization =
      parsed.username || parsed.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
        : undefined;
    parsed.username = '';
    parsed.password = '';
    const base = parsed.toString().replace(/\/+$/, '');
    this.shownUrl = base;
    this.endpoint = `${base}/api/v1/query_range`;
  }

  /** Runs a range query; throws QueryRejectedError or PrometheusUnavailableError. */
  async queryRange(range: RangeQuery): Promise<Series[]> {
    const body = new URLSearchParams({
      query: range.query,
      start: (range.start / 1000).toFixed(3),
      end: (range.end / 1000).toFixed(3),
      step: `${range.stepMs / 1000}`,
    });
    const response = await retry(() => this.post(body), {
      attempts: this.options.attempts ?? 3,
      baseMs: 1000,
      maxMs: 8000,
      jitter: 0.2,
      retryIf: (error) => error instanceof PrometheusUnavailableError && error.retryable,
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
    });
    return (response.data?.result ?? []).map((entry) => ({
      labels: entry.metric ?? {},
      points: (entry.values ?? []).map(([seconds, value]) => [Math.round(seconds * 1000), Number(value)]),
    }));
  }

  private async post(body: URLSearchParams): Promise<ApiResponse> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...(this.urlAuthorization ? { authorization: this.urlAuthorization } : {}),
          ...Object.fromEntries(this.options.headers ?? []),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const reason = networkReason(error, this.options.timeoutMs ?? 30_000);
      throw new PrometheusUnavailableError(`could not reach Prometheus at ${this.shownUrl}: ${reason}`, true);
    }
    const text = await response.text().catch(() => '');
    const payload = parseJson(text);
    if (response.ok && payload?.status === 'success') return payload;
    if (payload?.status === 'error' && (response.status === 400 || response.status === 422)) {
      throw new QueryRejectedError(payload.error ?? 'query rejected', response.status, payload.errorType ?? 'bad_data');
    }
    if (response.status === 401 || response.status === 403) {
      throw new PrometheusUnavailableError(
        `Prometheus refused access (HTTP ${response.status}): check prometheus-headers`,
        false,
      );
    }
    const detail = payload?.error ?? text.trim().slice(0, 200);
    const retryable = response.status >= 500 || response.status === 429;
    throw new PrometheusUnavailableError(
      `Prometheus answered HTTP ${response.status}${detail ? `: ${detail}` : ''}${response.ok ? ' (not a query_range answer: is prometheus-url the Prometheus server?)' : ''}`,
      retryable,
    );
  }
}

function parseJson(text: string): ApiResponse | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Why fetch failed, as people read it (fetch's own message is only "fetch failed"). */
function networkReason(error: unknown, timeoutMs: number): string {
  // Duck-typed: errors from fetch may come from another realm, where `instanceof Error` is false.
  const described = error as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  } | null;
  if (described?.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000}s (timed out)`;
  if (typeof described?.cause?.code === 'string') return described.cause.code;
  if (typeof described?.cause?.message === 'string') return described.cause.message;
  return typeof described?.message === 'string' ? described.message : String(error);
}
