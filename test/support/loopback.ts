// Starts an HTTP server on 127.0.0.1 at a free port; `stop()` drops open connections and closes it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackListener {
  url: string;
  stop(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
