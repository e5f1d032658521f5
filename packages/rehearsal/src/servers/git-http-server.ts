// git's smart HTTP protocol on 127.0.0.1, served by `git http-backend`, that insists on a token the way
// GitHub does (`Authorization: basic base64(x-access-token:<token>)`) and records what it was sent; with
// `api`, the same server answers GitHub's REST API under /api/v3 as well.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { GitHubApi } from './github-api.ts';
import { listenOnLoopback } from './loopback.ts';

export interface GitHttpRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`: a repository `<root>/a/b.git` is at `<url>/a/b.git`. */
  url: string;
  requests: GitHttpRequest[];
  stop(): Promise<void>;
}

export async function startGitHttpServer(options: {
  root: string;
  token: string;
  api?: GitHubApi;
}): Promise<GitHttpServer> {
  const expected = `basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`;
  const requests: GitHttpRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorization = request.headers.authorization;
    requests.push({ method: request.method ?? 'GET', path: url.pathname, authorization });
    if (options.api?.handles(url)) {
      options.api.serve(request, response, url).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(400);
        response.end(String(error));
      });
      return;
    }
    if (authorization?.toLowerCase() !== expected.toLowerCase()) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    serveWithBackend(options.root, url, request, response);
  });
  return { ...(await listenOnLoopback(server)), requests };
}

function serveWithBackend(root: string, url: URL, request: IncomingMessage, response: ServerResponse): void {
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      // No `gc --auto` after each push: one more process each time, for repositories that live minutes.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'receive.autoGc',
      GIT_CONFIG_VALUE_0: 'false',
    },
  });
  request.pipe(backend.stdin);
  let buffered = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of buffered.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    response.writeHead(status, headers);
    headersSent = true;
    response.write(buffered.subarray(end + 4));
  });
  backend.on('close', () => {
    if (!headersSent) response.writeHead(500);
    response.end();
  });
}
