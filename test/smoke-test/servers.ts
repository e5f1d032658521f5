// Real HTTP and HTTPS servers on 127.0.0.1 for the smoke-test tests: a service that becomes ready late,
// one that flaps, slow responses, redirects, JSON APIs, an echo of what was sent, a login that hands
// out a token, and TLS with a self-signed certificate made by openssl at test time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listenOnLoopback } from '@shiprail/rehearsal/servers';

export interface TestServer {
  url: string;
  /** Requests per path so far. */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

export interface ScenarioOptions {
  /** /late answers 503 until this long after the server started (default 20 s). */
  readyAfterMs?: number;
  /** Where /elsewhere redirects to (another origin). */
  elsewhere?: string;
}

export const LOGIN_TOKEN = 'tok-7f3a9c2e51';

export const ACCOUNT = {
  id: 42,
  name: 'Ada',
  plan: 'pro',
  version: '2.4.1',
  tags: ['admin', 'beta'],
  limits: { requests: 1000, burst: 50 },
  score: 87.5,
  deleted: null,
  active: true,
};

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
  });
}

function scenarioHandler(options: ScenarioOptions, hits: Map<string, number>, startedAt: number) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const count = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, count);
    const body = await readBody(request);
    switch (url.pathname) {
      case '/healthz':
        return json(response, 200, { status: 'ok' });
      case '/late': {
        const ready = Date.now() - startedAt >= (options.readyAfterMs ?? 20_000);
        return ready ? json(response, 200, { status: 'ok' }) : json(response, 503, { status: 'starting' });
      }
      case '/flap':
        // Fails twice, then answers, then fails twice again: a service that is not steady yet.
        return count % 3 === 0
          ? json(response, 200, { status: 'ok', hit: count })
          : json(response, 503, { status: 'flapping', hit: count });
      case '/slow': {
        const delay = Number(url.searchParams.get('ms') ?? '500');
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (response.destroyed) return;
        return json(response, 200, { slept: delay });
      }
      case '/drip': {
        // Headers at once, then the body a piece at a time: slow to finish, not slow to start.
        response.writeHead(200, { 'content-type': 'text/plain' });
        for (let piece = 0; piece < 10 && !response.destroyed; piece += 1) {
          response.write(`piece ${piece}\n`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        response.end();
        return;
      }
      case '/account':
        return json(response, 200, ACCOUNT, { 'x-request-id': 'req-123', 'cache-control': 'no-store' });
      case '/html':
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><body><h1>Service ready</h1></body></html>');
        return;
      case '/error-page':
        response.writeHead(500, { 'content-type': 'text/html' });
        response.end(`<html><body>Internal error: database unreachable${' padding'.repeat(100)}</body></html>`);
        return;
      case '/gzip':
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end(gzipSync(JSON.stringify({ compressed: true })));
        return;
      case '/echo':
        return json(response, 200, { method: request.method, headers: request.headers, body });
      case '/login': {
        if (request.method !== 'POST') return json(response, 405, { error: 'POST only' });
        const credentials = JSON.parse(body || '{}') as { user?: string };
        return credentials.user === 'ada'
          ? json(response, 200, { token: LOGIN_TOKEN, id: 42 })
          : json(response, 403, { error: 'who?' });
      }
      case '/me':
        return request.headers.authorization === `Bearer ${LOGIN_TOKEN}`
          ? json(response, 200, { id: 42, name: 'Ada' })
          : json(response, 401, { error: 'unauthorized' });
      case '/users/42':
        return json(response, 200, { id: 42, name: 'Ada' });
      case '/redirect':
        response.writeHead(302, { location: '/healthz' });
        response.end();
        return;
      case '/loop':
        response.writeHead(302, { location: '/loop' });
        response.end();
        return;
      case '/elsewhere':
        response.writeHead(307, { location: `${options.elsewhere ?? ''}/echo` });
        response.end();
        return;
      case '/cookie':
        response.writeHead(200, { 'set-cookie': 'session=srv-cookie-9d8e7f; HttpOnly', 'content-type': 'text/plain' });
        response.end('cookie set');
        return;
      default:
        return json(response, 404, { error: 'not found' });
    }
  };
}

async function listen(server: Server | HttpsServer, hits: Map<string, number>): Promise<TestServer> {
  return { ...(await listenOnLoopback(server)), hits };
}

export function startScenarioServer(options: ScenarioOptions = {}): Promise<TestServer> {
  const hits = new Map<string, number>();
  const handler = scenarioHandler(options, hits, Date.now());
  return listen(
    createHttpServer((request, response) => void handler(request, response)),
    hits,
  );
}

export interface Certificate {
  /** PEM files in a temporary directory. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** The issuing CA's certificate: the certificate itself when it is self-signed. */
  caFile: string;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
const FOR_LOOPBACK = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];

function certificateIn(directory: string, caFile: string): Certificate {
  const certFile = join(directory, 'cert.pem');
  const keyFile = join(directory, 'key.pem');
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    caFile,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** A self-signed certificate for 127.0.0.1, made with openssl (argument vector, no shell). */
export function makeSelfSignedCertificate(): Certificate {
  const directory = mkdtempSync(join(tmpdir(), 'smoke-tls-'));
  const certFile = join(directory, 'cert.pem');
  const args = ['req', '-x509', ...EC_KEY, '-keyout', join(directory, 'key.pem'), '-out', certFile, ...FOR_LOOPBACK];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return certificateIn(directory, certFile);
}

/** A certificate for 127.0.0.1 issued by a private CA, as an internal service would have. */
export function makeCertificateFromPrivateCa(): Certificate {
  const directory = mkdtempSync(join(tmpdir(), 'smoke-ca-'));
  const caFile = join(directory, 'ca.pem');
  const caKey = join(directory, 'ca-key.pem');
  const caArgs = ['req', '-x509', ...EC_KEY, '-keyout', caKey, '-out', caFile, '-subj', '/CN=smoke-test private CA'];
  execFileSync(
    'openssl',
    [...caArgs, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'],
    {
      stdio: 'ignore',
    },
  );
  const leafArgs = [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    join(directory, 'key.pem'),
    '-out',
    join(directory, 'cert.pem'),
  ];
  execFileSync('openssl', [...leafArgs, ...FOR_LOOPBACK, '-CA', caFile, '-CAkey', caKey], { stdio: 'ignore' });
  return certificateIn(directory, caFile);
}

export function startHttpsScenarioServer(certificate: Certificate, options: ScenarioOptions = {}): Promise<TestServer> {
  const hits = new Map<string, number>();
  const handler = scenarioHandler(options, hits, Date.now());
  const server = createHttpsServer(
    { cert: certificate.cert, key: certificate.key },
    (request, response) => void handler(request, response),
  );
  return listen(server, hits);
}
