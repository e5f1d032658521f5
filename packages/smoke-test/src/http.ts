// One HTTP exchange over node:http/https: redirects, per-request timeout, custom CA or no verification,
// decompressed bodies, and errors that say what happened in words a user can act on.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ClassifiedError, classifyFailure, errorMessage, formatDuration } from '@shiprail/core';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  timeoutMs: number;
  /** Time left before the overall timeout, when that may come first: it ends the request as `signal` does. */
  overallMs?: number;
  followRedirects: boolean;
  ca?: string;
  insecure: boolean;
  /** Ends the request early (the overall timeout). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
  /** Whether the body was cut at MAX_BODY_BYTES. */
  truncated: boolean;
  /** From sending the first request to the last byte of the final response. */
  latencyMs: number;
  /** Where the final response came from, after redirects. */
  url: string;
  redirects: number;
}

/** No response came; `permanent` when another attempt cannot fix it (an untrusted certificate, a scheme that is not HTTP). */
export class HttpError extends ClassifiedError {
  readonly latencyMs: number;

  constructor(message: string, latencyMs: number, failure: HttpError['failure'] = 'transient') {
    super(message, failure);
    this.name = 'HttpError';
    this.latencyMs = latencyMs;
  }
}

export const MAX_REDIRECTS = 10;
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
const USER_AGENT = 'shiprail-smoke-test';
/** Credentials that must not follow a redirect to another origin (as browsers and curl do). */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Sends a request, following redirects when asked; rejects with HttpError when no response came. */
export async function send(request: HttpRequest, now: () => number = Date.now): Promise<HttpResponse> {
  const started = now();
  let url = request.url;
  let method = request.method;
  let body = request.body;
  let headers = request.headers;
  for (let redirects = 0; ; redirects += 1) {
    let response: IncomingMessage;
    try {
      response = await exchange({ ...request, url, method, headers, body, ...timeLeft(request, now() - started) });
    } catch (error) {
      // Checks retry until their window closes: only what is known to repeat stops them.
      const failure = classifyFailure(error) === 'permanent' ? 'permanent' : 'transient';
      throw new HttpError(describeNetworkError(error, url, request.timeoutMs), now() - started, failure);
    }
    const location = response.headers.location;
    if (request.followRedirects && isRedirect(response.statusCode) && location !== undefined) {
      response.resume();
      if (redirects >= MAX_REDIRECTS) throw new HttpError(`more than ${MAX_REDIRECTS} redirects`, now() - started);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new HttpError(
          `redirected to a ${next.protocol} URL, which is not http or https`,
          now() - started,
          'permanent',
        );
      }
      if (new URL(url).origin !== next.origin) {
        headers = headers.filter(([name]) => !ORIGIN_BOUND_HEADERS.includes(name.toLowerCase()));
      }
      // 303 always, and 301/302 after a POST, become GET without a body (as fetch and browsers do).
      if (
        response.statusCode === 303 ||
        ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
      ) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        headers = headers.filter(([name]) => !/^content-(type|length)$/i.test(name));
      }
      url = next.toString();
      continue;
    }
    let read: { text: string; truncated: boolean };
    try {
      read = await readBody(response, timeLeft(request, now() - started), request.signal);
    } catch (error) {
      throw new HttpError(describeNetworkError(error, url, request.timeoutMs), now() - started);
    }
    return {
      status: response.statusCode ?? 0,
      headers: flattenHeaders(response),
      body: read.text,
      truncated: read.truncated,
      latencyMs: now() - started,
      url,
      redirects,
    };
  }
}

/** The request's timeouts once `elapsedMs` of them are spent. */
function timeLeft(request: HttpRequest, elapsedMs: number): Pick<HttpRequest, 'timeoutMs' | 'overallMs'> {
  return {
    timeoutMs: request.timeoutMs - elapsedMs,
    ...(request.overallMs === undefined ? {} : { overallMs: request.overallMs - elapsedMs }),
  };
}

/**
 * Ends a stalled exchange when its time is up: a TimeoutError for the request's own timeout, an
 * AbortedError when the overall timeout comes first (its abort timer may not have fired yet on a busy machine).
 */
function stallTimer(stream: { destroy(error: Error): void }, time: Pick<HttpRequest, 'timeoutMs' | 'overallMs'>) {
  const overallFirst = time.overallMs !== undefined && time.overallMs < time.timeoutMs;
  const ms = overallFirst ? (time.overallMs ?? 0) : time.timeoutMs;
  return setTimeout(() => stream.destroy(overallFirst ? new AbortedError() : new TimeoutError()), Math.max(ms, 0));
}

const isRedirect = (status: number | undefined): boolean =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

/**
 * Node's HTTP modules are loaded on first use, as is TLS's list of public CAs (only with a custom CA):
 * a step that stops at its inputs sends nothing.
 */
async function exchange(request: HttpRequest): Promise<IncomingMessage> {
  if (request.overallMs !== undefined && request.overallMs <= 0) throw new AbortedError();
  if (request.timeoutMs <= 0) throw new TimeoutError();
  const target = new URL(request.url);
  const https = target.protocol === 'https:';
  const { request: send } = https ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  const rootCertificates =
    https && request.ca !== undefined ? process.getBuiltinModule('node:tls').rootCertificates : [];
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { 'user-agent': USER_AGENT, accept: '*/*' };
    for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const options = {
      method: request.method,
      headers,
      agent: false as const,
      ...(https
        ? {
            rejectUnauthorized: !request.insecure,
            // A custom CA adds to the public ones: a user trusting an internal CA still reaches the rest.
            ...(request.ca === undefined ? {} : { ca: [...rootCertificates, request.ca] }),
          }
        : {}),
    };
    const outgoing = send(target, options, (response) => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      resolve(response);
    });
    const timer = stallTimer(outgoing, request);
    const onAbort = (): void => {
      outgoing.destroy(new AbortedError());
    };
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    outgoing.end(request.body);
  });
}

/** The response's body, decoded by zlib (loaded when a body is compressed) as its content-encoding says. */
function decoded(response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? '').toLowerCase();
  if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(encoding)) return response;
  const zlib = process.getBuiltinModule('node:zlib');
  if (encoding === 'deflate') return response.pipe(zlib.createInflate());
  return response.pipe(encoding === 'br' ? zlib.createBrotliDecompress() : zlib.createGunzip());
}

function readBody(
  response: IncomingMessage,
  time: Pick<HttpRequest, 'timeoutMs' | 'overallMs'>,
  signal: AbortSignal | undefined,
): Promise<{ text: string; truncated: boolean }> {
  const stream = decoded(response);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const timer = stallTimer(response, time);
    const onAbort = (): void => {
      response.destroy(new AbortedError());
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const stop = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const finish = (): void => {
      stop();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), truncated });
    };
    stream.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = MAX_BODY_BYTES - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        truncated = true;
        response.destroy();
        finish();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', finish);
    const fail = (error: Error): void => {
      stop();
      if (!truncated) reject(error);
    };
    stream.on('error', fail);
    if (stream !== response) response.on('error', fail);
  });
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

class TimeoutError extends Error {}
class AbortedError extends Error {}

const TLS_HINT = 'trust its CA with ca: <file>, or set insecure: true for a self-signed test endpoint';

function describeNetworkError(error: unknown, url: string, timeoutMs: number): string {
  const where = new URL(url).host;
  if (error instanceof TimeoutError)
    return `no complete response within ${formatDuration(timeoutMs)} (request timeout) from ${where}`;
  if (error instanceof AbortedError) return `stopped while waiting for ${where}`;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
  const message = errorMessage(error);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}`;
    case 'ECONNRESET':
      return `connection reset by ${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name of ${where}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      // Node's own advice (system CA store) does not apply to a runner: keep the reason only.
      return `TLS certificate of ${where} not trusted (${message.split(';')[0] ?? code}); ${TLS_HINT}`;
    default:
      return `${message}${code !== '' && !message.includes(code) ? ` (${code})` : ''} (${where})`;
  }
}
