// An environment's ingress: an HTTP proxy on 127.0.0.1, the environment's base URL, that sends each request
// to a ready pod of the workload its route names (ingress-routes.ts), taking the pods in turn, as an
// ingress controller does. No route: 404; no ready pod: 503; a pod that does not answer: 502 (nginx's
// answers), each saying why.
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { pipeline } from 'node:stream';
import { withDeadline } from '@shiprail/core';
import { listenOnLoopback, type LoopbackListener } from './loopback.ts';

/**
 * Where a path goes now: pod addresses (`ip:port`) and, when the route rewrites it, the path the pod is
 * asked for; or the answer when nothing serves it.
 */
export type Upstream = { addresses: string[]; path?: string } | { status: 404 | 503; message: string };

export interface IngressOptions {
  upstream(path: string): Promise<Upstream>;
  /** Longest a proxied request may take, finding its pod included (default 30 s). */
  timeoutMs?: number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

/** The headers a proxy passes on: all but the hop-by-hop ones. */
const endToEnd = (headers: IncomingHttpHeaders): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));

function answer(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

export async function startIngress(options: IngressOptions): Promise<LoopbackListener> {
  let turn = 0;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const proxy = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    // One deadline for the whole request: a pod that answers a byte at a time is cut off too.
    const deadline = AbortSignal.timeout(timeoutMs);
    const url = new URL(incoming.url ?? '/', 'http://ingress');
    const upstream = await withDeadline(() => options.upstream(url.pathname), timeoutMs, `a pod for ${url.pathname}`);
    if (!('addresses' in upstream)) return answer(response, upstream.status, upstream.message);
    const address = upstream.addresses[turn++ % upstream.addresses.length] ?? '';
    const [host = '', port = ''] = address.split(/:(?=\d+$)/);
    const headers = endToEnd(incoming.headers);
    const outgoing = httpRequest(
      {
        host,
        port: Number(port),
        method: incoming.method,
        path: upstream.path === undefined ? incoming.url : `${upstream.path}${url.search}`,
        headers,
        signal: deadline,
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, endToEnd(reply.headers));
        // A reply cut short (the pod gone, the deadline passed) ends the response too.
        pipeline(reply, response, () => undefined);
      },
    );
    outgoing.on('error', (error) => {
      const why = deadline.aborted ? `no answer in ${timeoutMs} ms` : error.message;
      answer(response, 502, `the pod at ${address} did not answer: ${why}`);
    });
    incoming.pipe(outgoing);
  };
  const server = createServer((incoming, response) => {
    proxy(incoming, response).catch((error: unknown) =>
      answer(response, 500, `ingress: ${error instanceof Error ? error.message : String(error)}`),
    );
  });
  return listenOnLoopback(server);
}
