// Servers on 127.0.0.1 that fail the way real ones do: accept and never answer, hang up, send bytes that
// are not HTTP, answer with an error status, or echo the request's headers back (as some proxies and
// misconfigured servers do, which is how credentials leak into error messages).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type FaultBehaviour =
  | { kind: 'hang' }
  | { kind: 'close' }
  | { kind: 'garbage' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'echo'; status?: number };

export interface FaultServer {
  url: string;
  /** Connections (raw behaviours) or requests (HTTP behaviours) received so far. */
  readonly hits: number;
  stop(): Promise<void>;
}

const GARBAGE = Buffer.from('\u0000\u0001SSH-2.0-not-http\r\n\u00ff\u00fe{{{\r\n\r\n', 'latin1');

function rawHandler(behaviour: FaultBehaviour): (socket: Socket) => void {
  return (socket) => {
    socket.on('error', () => undefined);
    if (behaviour.kind === 'close') socket.destroy();
    else if (behaviour.kind === 'garbage') socket.end(GARBAGE);
    // 'hang': keep the connection open and say nothing.
  };
}

function httpHandler(behaviour: FaultBehaviour): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    request.resume();
    if (behaviour.kind === 'status') {
      response.writeHead(behaviour.status, behaviour.headers ?? { 'content-type': 'text/plain' });
      response.end(behaviour.body ?? '');
    } else if (behaviour.kind === 'echo') {
      response.writeHead(behaviour.status ?? 500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: 'echo', method: request.method, url: request.url, headers: request.headers }),
      );
    }
  };
}

export async function startFaultServer(behaviour: FaultBehaviour): Promise<FaultServer> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const raw = behaviour.kind === 'hang' || behaviour.kind === 'close' || behaviour.kind === 'garbage';
  const server: Server = raw ? createTcpServer(rawHandler(behaviour)) : createHttpServer(httpHandler(behaviour));
  server.on(raw ? 'connection' : 'request', () => (hits += 1));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
