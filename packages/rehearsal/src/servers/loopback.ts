// Loopback networking for tests and the demo: free ports, and HTTP(S) servers on 127.0.0.1 that stop cleanly.
import { createServer, Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sleep } from '@shiprail/core';

export interface LoopbackListener {
  url: string;
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 at a free port; `stop()` drops open connections and closes the server. */
export async function listenOnLoopback(server: HttpServer | HttpsServer): Promise<LoopbackListener> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof HttpsServer ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A port on 127.0.0.1 that was free a moment ago (for programs that take a port, not a socket). */
export async function freePort(): Promise<number> {
  const listener = await listenOnLoopback(createServer());
  const port = Number(new URL(listener.url).port);
  await listener.stop();
  return port;
}

export interface WaitForHttpOptions {
  timeoutMs: number;
  /** Which answer means ready (default: any 2xx). */
  isReady?: (status: number) => boolean;
  /** False once the program serving it has exited: no point waiting longer. */
  isRunning?: () => boolean;
}

/** Polls `url` until it answers as ready, the program behind it exits, or time runs out. */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + options.timeoutMs;
  const isReady = options.isReady ?? ((status: number) => status >= 200 && status < 300);
  for (;;) {
    if (options.isRunning?.() === false) return 'exited';
    const status = await fetch(url).then(
      async (response) => {
        await response.body?.cancel();
        return response.status;
      },
      () => 0, // Not listening yet.
    );
    if (status !== 0 && isReady(status)) return 'ready';
    if (Date.now() > deadline) return 'timeout';
    await sleep(100);
  }
}
