// A small JSON service for the end-to-end demo and the smoke-test tests: /healthz, /api/version,
// /api/items on 127.0.0.1 at a free port. Plain Node (no test framework), so `node x.ts` can use it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.ts';

export interface SampleServiceOptions {
  /** Reported by /api/version (default 1.0.0). */
  version?: string;
}

export interface SampleService {
  url: string;
  stop(): Promise<void>;
}

export const SAMPLE_ITEMS = [
  { id: 1, name: 'keyboard', price: 49.5 },
  { id: 2, name: 'mouse', price: 19.99 },
  { id: 3, name: 'monitor', price: 189 },
];

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export async function startSampleService(options: SampleServiceOptions = {}): Promise<SampleService> {
  const version = options.version ?? '1.0.0';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, { error: 'method not allowed' });
    } else if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
    } else if (path === '/api/version') {
      sendJson(response, 200, { version });
    } else if (path === '/api/items') {
      sendJson(response, 200, SAMPLE_ITEMS);
    } else {
      sendJson(response, 404, { error: 'not found' });
    }
  });
  return listenOnLoopback(server);
}
