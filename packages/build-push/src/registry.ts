// A client of the registry HTTP API (the Distribution spec): token and Basic challenges, manifests read
// and put by digest, blobs pushed, every request under a deadline and retried only when it may help.
import {
  ConfigurationError,
  DeadlineError,
  errorMessage,
  escapeUntrusted,
  HttpStatusError,
  isTransient,
  isTransientStatus,
  retry,
  stripUrlCredentials,
  withDeadline,
} from '@shiprail/core';
import { isLoopbackHost, type ImageReference } from '@shiprail/core/image-reference';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface Manifest {
  /** As the registry reports it (`Docker-Content-Digest`). */
  digest: string;
  mediaType: string;
  /** The exact bytes: a manifest is re-tagged by putting the same bytes under the new tag. */
  body: Uint8Array;
}

export interface RegistryClientOptions {
  /** The network: the runtime's fetch in the step. */
  fetch: typeof fetch;
  credentials?: RegistryCredentials | undefined;
  /** Attempts per request on network errors, deadlines, 5xx and 429 (default 3). */
  attempts?: number;
  /** First retry delay in ms (default 500), doubled each time. */
  retryBaseMs?: number;
  /** How long one request (answer and body) may take (default 10 s). */
  deadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (message: string) => void;
  /** Masks what the client comes to hold: the Basic authorization value, Bearer tokens. */
  mask?: (secret: string) => void;
  /** Removes secrets from server answers before they are put into errors. */
  redact?: (text: string) => string;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_DEADLINE_MS = 10_000;
/** The Distribution spec's limit for a manifest; error bodies and tokens are far smaller. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Every manifest kind a tag can point at: without them a registry may answer 404 for OCI images. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** The registry answered with an error, or did not answer at all. */
export class RegistryError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
  }
}

/** One HTTP answer read whole (within the request's deadline). */
interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array;
}

async function readBody(response: Response): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks);
}

/** fetch's own error says only "fetch failed": the network's reason is its cause (read duck-typed, across realms). */
function causeOf(error: unknown): string {
  const cause: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'cause') : undefined;
  const message: unknown = typeof cause === 'object' && cause !== null ? Reflect.get(cause, 'message') : undefined;
  return typeof message === 'string' && message !== '' ? message : errorMessage(error);
}

const mediaTypeOf = (answer: Answer): string => (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';

type Scope = 'pull' | 'pull,push';

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` (or `Basic realm=...`). */
export function parseChallenge(header: string): Challenge {
  const scheme = /^\s*(\S+)/.exec(header)?.[1]?.toLowerCase() ?? '';
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[(match[1] ?? '').toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  return { scheme, params };
}

/** The registry's own words for an error (its JSON `errors`), else the status text. */
function errorDetail(answer: Answer): string {
  try {
    const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8')) as {
      errors?: Array<{ code?: string; message?: string }>;
    };
    const first = parsed.errors?.[0];
    if (first) return `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`;
  } catch {
    // Not the registry's JSON error shape: the status line says enough.
  }
  return answer.statusText;
}

/**
 * A client of the Distribution (OCI) HTTP API for one repository: reads and writes manifests,
 * authenticates anonymously, with Basic auth or with a Bearer token from the registry's
 * WWW-Authenticate challenge. Every request has a deadline; network errors, deadlines, 5xx and 429
 * are tried again, anything else fails at once with its cause. Loopback registries are reached over
 * plain HTTP, every other registry over HTTPS.
 */
export class RegistryClient {
  private readonly reference: ImageReference;
  private readonly options: RegistryClientOptions;
  private readonly base: string;
  private readonly authorizations = new Map<Scope, string>();

  constructor(reference: ImageReference, options: RegistryClientOptions) {
    this.reference = reference;
    this.options = options;
    this.base = `${reference.loopback ? 'http' : 'https'}://${reference.apiHost}/v2/`;
    const basic = this.basic();
    if (basic !== undefined) options.mask?.(basic.slice('Basic '.length));
  }

  /** The digest and kind of the manifest a tag or digest points at; undefined when there is none. */
  async headManifest(reference: string): Promise<Omit<Manifest, 'body'> | undefined> {
    const answer = await this.request('HEAD', `manifests/${reference}`, 'pull', {
      Accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    if (answer.status === 404) return undefined;
    this.expectOk(answer, `check ${this.reference.name}:${reference}`);
    return { digest: answer.headers.get('docker-content-digest') ?? '', mediaType: mediaTypeOf(answer) };
  }

  /** The manifest's exact bytes; undefined when there is none. */
  async getManifest(reference: string): Promise<Manifest | undefined> {
    const answer = await this.request('GET', `manifests/${reference}`, 'pull', {
      Accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    if (answer.status === 404) return undefined;
    this.expectOk(answer, `read ${this.reference.name}:${reference}`);
    return {
      digest: answer.headers.get('docker-content-digest') ?? '',
      mediaType: mediaTypeOf(answer),
      body: answer.body,
    };
  }

  /** Puts a manifest under a tag; returns the digest the registry reports. */
  async putManifest(tag: string, manifest: Manifest): Promise<string> {
    const answer = await this.request(
      'PUT',
      `manifests/${tag}`,
      'pull,push',
      { 'Content-Type': manifest.mediaType },
      manifest.body,
    );
    this.expectOk(answer, `tag ${this.reference.name}:${tag}`);
    return answer.headers.get('docker-content-digest') ?? manifest.digest;
  }

  /** Whether the repository holds a blob (asked before uploading it). */
  async hasBlob(digest: string): Promise<boolean> {
    const answer = await this.request('HEAD', `blobs/${digest}`, 'pull,push', {});
    if (answer.status === 404) return false;
    this.expectOk(answer, `check blob ${digest}`);
    return true;
  }

  /**
   * Uploads a blob in one request (a monolithic upload: POST for a session, PUT with the digest). The
   * PUT's deadline grows with the size, at 1 MiB/s at worst.
   */
  async uploadBlob(digest: string, bytes: Uint8Array): Promise<void> {
    const started = await this.request('POST', 'blobs/uploads/', 'pull,push', {});
    this.expectOk(started, `start the upload of ${digest}`);
    const location = started.headers.get('location') ?? '';
    let url: URL;
    try {
      url = new URL(location, this.base);
    } catch {
      throw new RegistryError(
        `registry ${this.reference.registry} gave an invalid upload location '${this.shown(location)}'`,
        502,
      );
    }
    url.searchParams.set('digest', digest);
    const deadlineMs = (this.options.deadlineMs ?? DEFAULT_DEADLINE_MS) + Math.ceil(bytes.byteLength / 1048.576);
    const answer = await this.requestUrl(
      url,
      'PUT',
      'pull,push',
      { 'Content-Type': 'application/octet-stream' },
      bytes,
      deadlineMs,
    );
    this.expectOk(answer, `upload ${digest}`);
  }

  /**
   * Fails now, before anything is built, when the registry refuses the credentials: reads the
   * repository's tag list with the scope a push needs.
   */
  async checkAccess(scope: Scope): Promise<void> {
    const answer = await this.request('GET', 'tags/list?n=1', scope, {});
    // A repository that does not exist yet answers 404 once access is granted.
    if (answer.status !== 404) this.expectOk(answer, `reach ${this.reference.repository}`);
  }

  /** A server's words, fit for an error message: secrets removed, on one line. */
  private shown(text: string): string {
    return escapeUntrusted((this.options.redact ?? ((plain: string) => plain))(text));
  }

  private expectOk(answer: Answer, what: string): void {
    if (answer.status >= 200 && answer.status < 300) return;
    const detail = this.shown(errorDetail(answer));
    throw new RegistryError(
      `registry ${this.reference.registry} could not ${what}: HTTP ${answer.status}${detail ? ` ${detail}` : ''}`,
      answer.status,
    );
  }

  private request(
    method: string,
    path: string,
    scope: Scope,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<Answer> {
    return this.requestUrl(new URL(`${this.base}${this.reference.repository}/${path}`), method, scope, headers, body);
  }

  /** A request to any URL the registry named; credentials go only to the registry's own origin. */
  private async requestUrl(
    target: URL,
    method: string,
    scope: Scope,
    headers: Record<string, string>,
    body?: Uint8Array,
    deadlineMs?: number,
  ): Promise<Answer> {
    const url = target.toString();
    const ownOrigin = target.origin === new URL(this.base).origin;
    const authorization = ownOrigin ? this.authorizations.get(scope) : undefined;
    let answer = await this.send(
      url,
      method,
      authorization ? { ...headers, Authorization: authorization } : headers,
      body,
      deadlineMs,
    );
    if (answer.status !== 401 || !ownOrigin) return this.checkDenied(answer, scope);
    const challenge = parseChallenge(answer.headers.get('www-authenticate') ?? '');
    const fresh = await this.authorize(challenge, scope);
    answer = await this.send(url, method, { ...headers, Authorization: fresh }, body, deadlineMs);
    if (answer.status === 401) throw this.refused(answer.status);
    return this.checkDenied(answer, scope);
  }

  private checkDenied(answer: Answer, scope: Scope): Answer {
    if (answer.status !== 403) return answer;
    const detail = this.shown(errorDetail(answer));
    const who = this.options.credentials ? `user '${this.options.credentials.username}'` : 'anonymous access';
    throw new ConfigurationError(
      `registry ${this.reference.registry} denied ${scope === 'pull' ? 'reading' : 'pushing to'} ${this.reference.repository} for ${who} (HTTP 403${detail ? ` ${detail}` : ''})`,
      { input: 'registry-username' },
    );
  }

  private refused(status: number): ConfigurationError {
    const credentials = this.options.credentials;
    if (credentials === undefined) {
      return new ConfigurationError(
        `registry ${this.reference.registry} requires credentials for ${this.reference.repository} (HTTP ${status}): set registry-username and registry-password`,
        { input: 'registry-username' },
      );
    }
    return new ConfigurationError(
      `registry ${this.reference.registry} refused the credentials of user '${credentials.username}' (HTTP ${status}): check registry-username and registry-password`,
      { input: 'registry-password' },
    );
  }

  private basic(): string | undefined {
    const credentials = this.options.credentials;
    if (credentials === undefined) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  /** Answers a challenge: Basic with the credentials, or a Bearer token from the challenge's realm. */
  private async authorize(challenge: Challenge, scope: Scope): Promise<string> {
    let authorization: string | undefined;
    if (challenge.scheme === 'basic') {
      authorization = this.basic();
      if (authorization === undefined) throw this.refused(401);
    } else if (challenge.scheme === 'bearer' && challenge.params['realm']) {
      authorization = `Bearer ${await this.token(challenge.params, scope)}`;
    } else {
      throw new RegistryError(
        `registry ${this.reference.registry} asked for an authentication scheme this action does not speak ('${this.shown(challenge.scheme)}')`,
        401,
      );
    }
    this.authorizations.set(scope, authorization);
    return authorization;
  }

  private tokenUrl(params: Record<string, string>, scope: Scope): URL {
    let url: URL;
    try {
      url = new URL(params['realm'] ?? '');
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.host))) {
      throw new RegistryError(
        `registry ${this.reference.registry} sent its clients for tokens to '${this.shown(stripUrlCredentials(params['realm'] ?? ''))}', which is not an HTTPS URL`,
        401,
      );
    }
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', `repository:${this.reference.repository}:${scope}`);
    return url;
  }

  private async token(params: Record<string, string>, scope: Scope): Promise<string> {
    const basic = this.basic();
    const answer = await this.send(
      this.tokenUrl(params, scope).toString(),
      'GET',
      basic ? { Authorization: basic } : {},
    );
    if (answer.status === 401 || answer.status === 403) throw this.refused(answer.status);
    if (answer.status < 200 || answer.status >= 300) {
      throw new RegistryError(
        `the token service of registry ${this.reference.registry} answered HTTP ${answer.status} ${this.shown(errorDetail(answer))}`,
        answer.status,
      );
    }
    let token: unknown;
    try {
      const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8')) as {
        token?: unknown;
        access_token?: unknown;
      };
      token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`the token service of registry ${this.reference.registry} gave no token`, 502);
    }
    this.options.mask?.(token);
    return token;
  }

  /** One HTTP exchange under the deadline; network errors, deadlines, 5xx and 429 are tried again. */
  private async send(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: Uint8Array,
    deadlineMs?: number,
  ): Promise<Answer> {
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
    try {
      return await retry(() => this.exchange(url, method, headers, body, deadlineMs), {
        attempts,
        baseMs: this.options.retryBaseMs ?? 500,
        maxMs: 8000,
        jitter: 0.2,
        retryIf: isTransient,
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
        onRetry: (error, attempt, delayMs) =>
          this.options.onRetry?.(
            `${this.failure(error, method, url)}; attempt ${attempt + 1} of ${attempts} in ${delayMs} ms`,
          ),
      });
    } catch (error) {
      if (error instanceof ConfigurationError || error instanceof RegistryError) throw error;
      const tries = isTransient(error) ? ` (${attempts} attempt${attempts === 1 ? '' : 's'})` : '';
      throw new RegistryError(`registry ${this.reference.registry}: ${this.failure(error, method, url)}${tries}`, 503);
    }
  }

  private async exchange(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: Uint8Array,
    deadlineMs = this.options.deadlineMs ?? DEFAULT_DEADLINE_MS,
  ): Promise<Answer> {
    return withDeadline(
      async (signal) => {
        const response = await this.options.fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : Buffer.from(body),
          redirect: 'follow',
          signal,
        });
        if (isTransientStatus(response.status)) {
          await response.body?.cancel().catch(() => undefined);
          throw new HttpStatusError(response.status, url);
        }
        return {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
          body: await readBody(response),
        };
      },
      deadlineMs,
      `${method} ${url}`,
    );
  }

  /** What went wrong with one exchange, in words: the deadline, the status, or the network's cause. */
  private failure(error: unknown, method: string, url: string): string {
    if (error instanceof DeadlineError || error instanceof HttpStatusError) return this.shown(error.message);
    return `${method} ${stripUrlCredentials(url)} failed: ${this.shown(causeOf(error))}`;
  }
}
