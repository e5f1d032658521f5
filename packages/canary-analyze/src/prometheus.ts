// A small client for Prometheus' HTTP API range queries (`/api/v1/query_range`) over fetch: auth
// headers, a deadline per request and for the whole analysis, retries with backoff on 5xx, 429 and
// network failures only, answers checked before use, and errors that tell a rejected query (the user's
// PromQL) from a Prometheus that cannot answer.
import {
  ClassifiedError,
  DeadlineError,
  escapeUntrusted,
  failureOf,
  isTransient,
  isTransientStatus,
  retry,
  withDeadline,
} from '@shiprail/core';

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
  /** The longest one request may take (default QUERY_TIMEOUT_MS). */
  timeoutMs?: number;
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The time (ms since the epoch, by `now`) after which no request is made or awaited. */
  deadline?: number;
  now?: () => number;
  /** Removes secrets from server text before it goes into an error (the runtime's redact). */
  redact?: (text: string) => string;
  fetch?: typeof fetch;
}

/** How long one query may take: Prometheus answers range queries in seconds, or it is not answering. */
export const QUERY_TIMEOUT_MS = 20_000;

/** Prometheus answered and refused the query (bad PromQL, too many points): retrying will not help. */
export class QueryRejectedError extends ClassifiedError {
  readonly status: number;
  readonly errorType: string;
  constructor(message: string, status: number, errorType: string) {
    super(message, 'permanent');
    this.name = 'QueryRejectedError';
    this.status = status;
    this.errorType = errorType;
  }
}

/**
 * Prometheus could not be reached or kept failing (network, timeout, 5xx: transient), or answered
 * something another attempt will not change (auth refused, an answer that is not a query result).
 */
export class PrometheusUnavailableError extends ClassifiedError {
  constructor(message: string, transient: boolean) {
    super(message, failureOf(transient));
    this.name = 'PrometheusUnavailableError';
  }
}

interface ApiResponse {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: unknown;
}

export class PrometheusClient {
  private readonly endpoint: string;
  private readonly options: PrometheusClientOptions;
  /** The URL as errors show it: without user:password. */
  private readonly shownUrl: string;

  /**
   * Basic credentials given in the URL (`https://user:password@host`), which fetch refuses to send
   * itself: a secret of its own, to be masked, since a server may echo it.
   */
  readonly urlAuthorization: string | undefined;

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
    const sleep = this.options.sleep;
    const response = await retry(() => this.post(body), {
      attempts: this.options.attempts ?? 3,
      baseMs: 1000,
      maxMs: 8000,
      jitter: 0.2,
      retryIf: (error) => error instanceof PrometheusUnavailableError && isTransient(error),
      // A pause never outlasts the deadline; the next attempt then gives up with the last error.
      ...(sleep ? { sleep: (ms: number) => sleep(Math.min(ms, Math.max(0, this.remainingMs()))) } : {}),
    });
    return parseMatrix(response.data, (text) => this.redact(text));
  }

  /** Time left before the deadline (Infinity without one). */
  private remainingMs(): number {
    const { deadline, now } = this.options;
    return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - (now ?? Date.now)();
  }

  private async post(body: URLSearchParams): Promise<ApiResponse> {
    const timeoutMs = Math.min(this.options.timeoutMs ?? QUERY_TIMEOUT_MS, this.remainingMs());
    if (!(timeoutMs > 0)) {
      throw new PrometheusUnavailableError(
        `Prometheus at ${this.shownUrl} did not answer within the analysis' time (duration plus ${QUERY_TIMEOUT_MS / 1000}s)`,
        false,
      );
    }
    let answer: { status: number; ok: boolean; text: string };
    try {
      // The deadline covers the answer's body too: a server that sends headers and then stalls is cut off.
      answer = await withDeadline((signal) => this.exchange(body, signal), timeoutMs, `Prometheus at ${this.shownUrl}`);
    } catch (error) {
      const reason =
        error instanceof DeadlineError
          ? error.message
          : `could not reach Prometheus at ${this.shownUrl}: ${networkReason(error)}`;
      throw new PrometheusUnavailableError(reason, isTransient(error));
    }
    return this.interpret(answer);
  }

  private async exchange(
    body: URLSearchParams,
    signal: AbortSignal,
  ): Promise<{ status: number; ok: boolean; text: string }> {
    const response = await (this.options.fetch ?? fetch)(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(this.urlAuthorization ? { authorization: this.urlAuthorization } : {}),
        ...Object.fromEntries(this.options.headers ?? []),
      },
      body,
      signal,
    });
    return { status: response.status, ok: response.ok, text: await response.text() };
  }

  /** The answer as a query result, or the error it means; server text is redacted and made one safe line. */
  private interpret({ status, ok, text }: { status: number; ok: boolean; text: string }): ApiResponse {
    const payload = parseJson(text);
    if (ok && payload?.status === 'success') return payload;
    const shown = (value: string): string => escapeUntrusted(this.redact(value));
    const apiError = typeof payload?.error === 'string' ? shown(payload.error) : undefined;
    if (payload?.status === 'error' && (status === 400 || status === 422)) {
      const errorType = typeof payload.errorType === 'string' ? shown(payload.errorType) : 'bad_data';
      throw new QueryRejectedError(apiError ?? 'query rejected', status, errorType);
    }
    if (status === 401 || status === 403) {
      throw new PrometheusUnavailableError(
        `Prometheus refused access (HTTP ${status}): check prometheus-headers`,
        false,
      );
    }
    const detail = apiError ?? shown(text.trim().slice(0, 200));
    throw new PrometheusUnavailableError(
      `Prometheus answered HTTP ${status}${detail ? `: ${detail}` : ''}${ok ? ' (not a query_range answer: is prometheus-url the Prometheus server?)' : ''}`,
      isTransientStatus(status),
    );
  }

  private redact(text: string): string {
    return this.options.redact ? this.options.redact(text) : text;
  }
}

/** A matrix result, checked: anything else is a malformed answer, never numbers made up. */
function parseMatrix(data: unknown, redact: (text: string) => string): Series[] {
  const malformed = (what: string, value: unknown): PrometheusUnavailableError =>
    new PrometheusUnavailableError(
      `Prometheus answered a malformed query_range result: ${what} is ${escapeUntrusted(redact(shorten(value)))}`,
      false,
    );
  if (typeof data !== 'object' || data === null) throw malformed('data', data);
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  if (resultType !== 'matrix') throw malformed('resultType (expected "matrix")', resultType);
  if (!Array.isArray(result)) throw malformed('result', result);
  return result.map((entry: unknown, index): Series => {
    const { metric, values } = (typeof entry === 'object' && entry !== null ? entry : {}) as {
      metric?: unknown;
      values?: unknown;
    };
    if (!Array.isArray(values)) throw malformed(`result[${index}].values`, values);
    const labels =
      typeof metric === 'object' && metric !== null && Object.values(metric).every((v) => typeof v === 'string')
        ? (metric as Record<string, string>)
        : undefined;
    if (!labels) throw malformed(`result[${index}].metric`, metric);
    const points = values.map((point: unknown, at): [number, number] => {
      const valid =
        Array.isArray(point) &&
        point.length === 2 &&
        typeof point[0] === 'number' &&
        Number.isFinite(point[0]) &&
        typeof point[1] === 'string' &&
        /^(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|Inf)|NaN)$/i.test(point[1]);
      if (!valid) throw malformed(`result[${index}].values[${at}] (expected [unix seconds, "number"])`, point);
      const [seconds, value] = point as [number, string];
      return [Math.round(seconds * 1000), Number(value.replace(/inf$/i, 'Infinity'))];
    });
    return { labels, points };
  });
}

/** A piece of a server's answer, short and on one line, to quote in an error. */
function shorten(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
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
function networkReason(error: unknown): string {
  // Duck-typed: errors from fetch may come from another realm, where `instanceof Error` is false.
  const described = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (typeof described?.cause?.code === 'string') return described.cause.code;
  if (typeof described?.cause?.message === 'string') return escapeUntrusted(described.cause.message);
  return typeof described?.message === 'string' ? escapeUntrusted(described.message) : String(error);
}
