import { ConfigurationError, retry } from '@shiprail/core';
import type { ImageReference } from './reference.ts';

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
  credentials?: RegistryCredentials | undefined;
  /** Attempts per request on 5xx, 429 and dropped connections (default 4). */
  attempts?: number;
  /** First retry delay in ms (default 500), doubled each time. */
  retryBaseMs?: number;
  onRetry?: (message: string) => void;
}

/** Every manifest kind a tag can point at: without them a registry may answer 404 for OCI images. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** A failure worth another attempt: a 5xx/429 answer or a connection that dropped. */
class TransientError extends Error {}

/** The registry answered with an error that another attempt will not change. */
export class RegistryError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
  }
}

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

async function errorDetail(response: Response): Promise<string> {
  const body = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    const first = parsed.errors?.[0];
    if (first) return `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`;
  } catch {
    // Not the registry's JSON error shape: the status line says enough.
  }
  return response.statusText;
}

/**
 * A client of the Distribution (OCI) HTTP API for one repository: reads and writes manifests,
 * authenticates anonymously, with Basic auth or with a Bearer token from the registry's
 * WWW-Authenticate challenge, and retries transient failures. Loopback registries are reached over
 * plain HTTP, every other registry over HTTPS.
 */
export class RegistryClient {
  private readonly reference: ImageReference;
  private readonly options: RegistryClientOptions;
  private readonly base: string;
  private readonly authorizations = new Map<Scope, string>();

  constructor(reference: ImageReference, options: RegistryClientOptions = {}) {
    this.reference = reference;
    this.options = options;
    this.base = `${reference.loopback ? 'http' : 'https'}://${reference.apiHost}/v2/`;
  }

  /** The digest and kind of the manifest a tag or digest points at; undefined when there is none. */
  async headManifest(reference: string): Promise<Omit<Manifest, 'body'> | undefined> {
    const response = await this.request('HEAD', `manifests/${reference}`, 'pull', {
      Accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    if (response.status === 404) return undefined;
    await this.expectOk(response, `check ${this.reference.name}:${reference}`);
    return {
      digest: response.headers.get('docker-content-digest') ?? '',
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '',
    };
  }

  /** The manifest's exact bytes; undefined when there is none. */
  async getManifest(reference: string): Promise<Manifest | undefined> {
    const response = await this.request('GET', `manifests/${reference}`, 'pull', {
      Accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    if (response.status === 404) return undefined;
    await this.expectOk(response, `read ${this.reference.name}:${reference}`);
    const body = new Uint8Array(await response.arrayBuffer());
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { digest: response.headers.get('docker-content-digest') ?? '', mediaType, body };
  }

  /** Puts a manifest under a tag; returns the digest the registry reports. */
  async putManifest(tag: string, manifest: Manifest): Promise<string> {
    const response = await this.request(
      'PUT',
      `manifests/${tag}`,
      'pull,push',
      { 'Content-Type': manifest.mediaType },
      manifest.body,
    );
    await this.expectOk(response, `tag ${this.reference.name}:${tag}`);
    return response.headers.get('docker-content-digest') ?? manifest.digest;
  }

  /**
   * Fails now, before anything is built, when the registry refuses the credentials: reads the
   * repository's tag list with the scope a push needs.
   */
  async checkAccess(scope: Scope): Promise<void> {
    const response = await this.request('GET', 'tags/list?n=1', scope, {});
    // A repository that does not exist yet answers 404 once access is granted.
    if (response.status === 404) {
      await response.body?.cancel();
      return;
    }
    await this.expectOk(response, `reach ${this.reference.repository}`);
    await response.body?.cancel();
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    const detail = await errorDetail(response);
    throw new RegistryError(
      `registry ${this.reference.registry} could not ${what}: HTTP ${response.status}${detail ? ` ${detail}` : ''}`,
      response.status,
    );
  }

  private async request(
    method: string,
    path: string,
    scope: Scope,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<Response> {
    const url = `${this.base}${this.reference.repository}/${path}`;
    const authorization = this.authorizations.get(scope);
    let response = await this.send(
      url,
      method,
      authorization ? { ...headers, Authorization: authorization } : headers,
      body,
    );
    if (response.status !== 401) return this.checkDenied(response, scope);
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await response.body?.cancel();
    const fresh = await this.authorize(challenge, scope);
    response = await this.send(url, method, { ...headers, Authorization: fresh }, body);
    if (response.status === 401) {
      await response.body?.cancel();
      throw this.refused(response.status);
    }
    return this.checkDenied(response, scope);
  }

  private async checkDenied(response: Response, scope: Scope): Promise<Response> {
    if (response.status !== 403) return response;
    const detail = await errorDetail(response);
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
        `registry ${this.reference.registry} asked for an authentication scheme this action does not speak ('${challenge.scheme}')`,
        401,
      );
    }
    this.authorizations.set(scope, authorization);
    return authorization;
  }

  private async token(params: Record<string, string>, scope: Scope): Promise<string> {
    const url = new URL(params['realm'] ?? '');
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', `repository:${this.reference.repository}:${scope}`);
    const basic = this.basic();
    const response = await this.send(url.toString(), 'GET', basic ? { Authorization: basic } : {});
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.refused(response.status);
    }
    if (!response.ok) {
      throw new RegistryError(
        `the token service of registry ${this.reference.registry} answered HTTP ${response.status} ${await errorDetail(response)}`,
        response.status,
      );
    }
    const answer = (await response.json()) as { token?: unknown; access_token?: unknown };
    const token = typeof answer.token === 'string' ? answer.token : answer.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`the token service of registry ${this.reference.registry} gave no token`, 502);
    }
    return token;
  }

  /** One HTTP exchange, retried on 5xx, 429 and dropped connections. */
  private async send(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<Response> {
    const attempts = this.options.attempts ?? 4;
    return retry(
      async () => {
        let response: Response;
        try {
          response = await fetch(url, {
            method,
            headers,
            body: body === undefined ? undefined : Buffer.from(body),
            redirect: 'follow',
          });
        } catch (error) {
          const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
          throw new TransientError(`${method} ${url} failed${cause}`);
        }
        if (response.status >= 500 || response.status === 429) {
          await response.body?.cancel();
          throw new TransientError(`${method} ${url} answered HTTP ${response.status}`);
        }
        return response;
      },
      {
        attempts,
        baseMs: this.options.retryBaseMs ?? 500,
        maxMs: 8000,
        jitter: 0.2,
        retryIf: (error) => error instanceof TransientError,
        onRetry: (error, attempt, delayMs) =>
          this.options.onRetry?.(
            `${error instanceof Error ? error.message : String(error)}; attempt ${attempt + 1} of ${attempts} in ${delayMs} ms`,
          ),
      },
    ).catch((error: unknown) => {
      if (error instanceof TransientError)
        throw new RegistryError(`registry ${this.reference.registry}: ${error.message}`, 503);
      throw error;
    });
  }
}
