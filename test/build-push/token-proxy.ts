// A Bearer-token front for a real registry, as ghcr.io and Docker Hub work: requests without a valid
// token get `401 WWW-Authenticate: Bearer realm=...`; the realm hands out tokens for Basic
// credentials (anonymous: pull only). It can also fail the first requests (503, or a dropped
// connection) to exercise retries. Everything else is forwarded to the registry.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '@shiprail/rehearsal/servers';

export interface TokenProxyOptions {
  upstream: string;
  user: string;
  password: string;
}

export interface TokenProxy {
  host: string;
  url: string;
  /** Scopes asked of the token service, in order. */
  scopes: string[];
  /** Requests that reached the registry side (not the token service). */
  requests: number;
  /** `METHOD /path` of every registry-side request, in order. */
  calls: string[];
  /** Make the next n registry requests answer 503 / drop the connection. */
  fail(n: number, how: '503' | 'drop' | '500-forever'): void;
  stop(): Promise<void>;
}

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function startTokenProxy(options: TokenProxyOptions): Promise<TokenProxy> {
  const tokens = new Map<string, string>();
  let failures = 0;
  let failHow: '503' | 'drop' | '500-forever' = '503';
  const state = { scopes: [] as string[], requests: 0, calls: [] as string[] };
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  let base = '';

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', base);
    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? '';
      state.scopes.push(scope);
      const authorization = request.headers.authorization;
      const anonymousPull = authorization === undefined && scope.endsWith(':pull');
      if (authorization !== expected && !anonymousPull) {
        response
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end('{"details":"incorrect username or password"}');
        return;
      }
      const token = randomBytes(16).toString('hex');
      tokens.set(token, scope);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    state.requests += 1;
    state.calls.push(`${request.method ?? 'GET'} ${url.pathname}`);
    if (failHow === '500-forever' && failures > 0) {
      response.writeHead(500).end();
      return;
    }
    if (failures > 0) {
      failures -= 1;
      if (failHow === 'drop') request.socket.destroy();
      else response.writeHead(503).end();
      return;
    }
    const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? '';
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const granted = tokens.get(bearer) ?? '';
    const needs = request.method === 'GET' || request.method === 'HEAD' ? 'pull' : 'push';
    if (!granted.startsWith(`repository:${repository}:`) || !granted.includes(needs)) {
      response
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="${base}/token",service="test-registry",scope="repository:${repository}:${needs === 'pull' ? 'pull' : 'pull,push'}"`,
          'Content-Type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'authorization', 'connection', 'content-length'].includes(name)) {
        headers[name] = value;
      }
    }
    const upstream = await fetch(`${options.upstream}${url.pathname}${url.search}`, {
      method: request.method ?? 'GET',
      headers,
      body: body.length > 0 ? body : undefined,
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name)) out[name] = value;
    });
    if (request.method === 'HEAD') {
      out['content-length'] = upstream.headers.get('content-length') ?? '0';
      response.writeHead(upstream.status, out).end();
    } else response.writeHead(upstream.status, out).end(answer);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(502).end());
  });
  const listener = await listenOnLoopback(server);
  const host = new URL(listener.url).host;
  base = listener.url;
  return {
    host,
    url: base,
    get scopes() {
      return state.scopes;
    },
    get requests() {
      return state.requests;
    },
    get calls() {
      return state.calls;
    },
    fail(n, how) {
      failures = n;
      failHow = how;
    },
    stop: () => listener.stop(),
  };
}
