// Steady traffic to workloads, recorded as a mesh's client-side proxy records it (mesh-metrics.ts): a
// few requests a second to each target, sent `concurrency` at a time as a load generator's connections
// send them, each with a deadline, and every outcome exposed on a loopback `/metrics` that Prometheus
// scrapes. Where a workload is reached is looked up at every request, so the addresses may change.
import { Agent, createServer, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { listenOnLoopback, type LoopbackListener } from './loopback.ts';
import { MeshRecorder, type MeshDestination, type RequestOutcome } from './mesh-metrics.ts';

export interface TrafficTarget {
  destination: MeshDestination;
  /** Base URLs of the workload's pods (round robin), looked up at every turn. Empty: nothing is sent. */
  addresses: () => readonly string[] | Promise<readonly string[]>;
  /** The paths asked for, in turn (default the traffic's `path`). */
  paths?: readonly string[];
}

export interface TrafficOptions {
  /** Requests a second to each target (default 12). */
  requestsPerSecond?: number;
  /** Requests sent together to each target, as that many connections would (default 3). */
  concurrency?: number;
  /** Deadline of every request, body included (default 2000 ms). */
  timeoutMs?: number;
  /** The path requested (default /api/items). */
  path?: string;
  /** The workload the traffic comes from, as the mesh labels it. */
  source?: { workload: string; namespace: string };
}

/** The load generator's name in the mesh's labels. */
export const TRAFFIC_SOURCE = { workload: 'shiprail-load', namespace: 'shiprail' };

/** Kept-alive connections, as a load generator's are: each request pays for itself, not for a handshake. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Sends one GET and says how it ended, body read whole, within `timeoutMs`. */
export function sendRequest(url: string, timeoutMs: number): Promise<RequestOutcome> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  return new Promise((resolve) => {
    let status = 0;
    const sent = request(url, { agent, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      status = response.statusCode ?? 0;
      response.once('error', failed);
      response.resume();
      response.once('end', () => resolve({ status, durationMs: elapsed() }));
    });
    // Past its deadline a request is aborted, before or during its answer; anything else is the connection's.
    const failed = (error: Error): void => {
      const failure = error.name === 'AbortError' || error.name === 'TimeoutError' ? 'timeout' : 'connection';
      resolve({ failure, durationMs: elapsed() });
    };
    sent.once('error', failed);
    sent.end();
  });
}

export class MeshTraffic {
  /** The proxy's metrics, `http://127.0.0.1:<port>/metrics`. */
  readonly metricsUrl: string;
  /** `127.0.0.1:<port>`, as a scrape configuration names a target. */
  readonly scrapeTarget: string;
  readonly recorder: MeshRecorder;
  private readonly options: Required<Omit<TrafficOptions, 'source'>>;
  private readonly listener: LoopbackListener;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private targets: readonly TrafficTarget[] = [];
  private turn = 0;

  /** Serves `/metrics` on a free loopback port; no traffic until `send`. */
  static async start(options: TrafficOptions = {}): Promise<MeshTraffic> {
    const recorder = new MeshRecorder(options.source ?? TRAFFIC_SOURCE);
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      const body = recorder.exposition();
      response.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
    return new MeshTraffic(recorder, await listenOnLoopback(server), options);
  }

  private constructor(recorder: MeshRecorder, listener: LoopbackListener, options: TrafficOptions) {
    this.recorder = recorder;
    this.listener = listener;
    this.metricsUrl = `${listener.url}/metrics`;
    this.scrapeTarget = new URL(listener.url).host;
    this.options = {
      requestsPerSecond: options.requestsPerSecond ?? 12,
      concurrency: options.concurrency ?? 3,
      timeoutMs: options.timeoutMs ?? 2000,
      path: options.path ?? '/api/items',
    };
    if (!(this.options.requestsPerSecond > 0) || !(this.options.concurrency >= 1)) {
      throw new RangeError('requestsPerSecond must be above 0 and concurrency at least 1');
    }
  }

  /** Sends traffic to these targets from now on (replacing any before). */
  send(targets: readonly TrafficTarget[]): void {
    this.targets = targets;
    if (this.timer) return;
    const { requestsPerSecond, concurrency } = this.options;
    this.timer = setInterval(() => this.tick(), (concurrency * 1000) / requestsPerSecond);
    this.timer.unref();
    this.tick();
  }

  /** Stops sending; resolves once every request sent has ended. */
  async halt(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.targets = [];
    await Promise.all(this.inFlight);
  }

  async stop(): Promise<void> {
    await this.halt();
    await this.listener.stop();
  }

  private tick(): void {
    this.turn += 1;
    const turn = this.turn;
    for (const target of this.targets) {
      // A lookup that fails sends nothing this turn: the target then has no data, never good data.
      const sent = Promise.resolve(target.addresses()).then(
        (addresses) => this.sendTo(target, addresses, turn),
        () => undefined,
      );
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }

  /** This turn's requests to one target, round robin over its addresses. */
  private async sendTo(target: TrafficTarget, addresses: readonly string[], turn: number): Promise<void> {
    const { concurrency, timeoutMs } = this.options;
    const paths = target.paths !== undefined && target.paths.length > 0 ? target.paths : [this.options.path];
    const requests: Array<Promise<void>> = [];
    for (let index = 0; index < concurrency && addresses.length > 0; index += 1) {
      const sent = turn * concurrency + index;
      const base = addresses[sent % addresses.length] ?? '';
      // Each address is asked for every path in turn.
      const path = paths[Math.floor(sent / addresses.length) % paths.length] ?? '/';
      requests.push(
        // Appended to the address's origin: a path such as `//elsewhere/` stays a path of that address.
        sendRequest(`${new URL(base).origin}${path.startsWith('/') ? '' : '/'}${path}`, timeoutMs).then((outcome) =>
          this.recorder.record(target.destination, outcome),
        ),
      );
    }
    await Promise.all(requests);
  }
}
