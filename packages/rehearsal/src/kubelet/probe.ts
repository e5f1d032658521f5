// Readiness probes as the kubelet runs them: one attempt of an httpGet, tcpSocket or exec handler under the
// probe's timeout, with the kubelet's own failure messages, and the thresholds that turn a series of
// attempts into ready or not ready.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { resolvePort, type ContainerSpec, type Probe, type ProbeAction } from './pod-template.ts';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, in the kubelet's words (`HTTP probe failed with statuscode: 503`); empty on success. */
  message: string;
}

export interface ProbeTarget {
  podIp: string;
  container: ContainerSpec;
  /** Runs a command in the container; resolves with its exit code and output. */
  exec: (command: readonly string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;
}

const USER_AGENT = 'kube-probe/1.31';

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

function dialError(host: string, port: number, error: NodeJS.ErrnoException): string {
  const cause =
    error.code === 'ECONNREFUSED'
      ? 'connect: connection refused'
      : error.code === 'EHOSTUNREACH'
        ? 'connect: no route to host'
        : error.message;
  return `dial tcp ${host}:${port}: ${cause}`;
}

function probeHttp(
  action: Extract<ProbeAction, { kind: 'httpGet' }>,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ProbeResult> {
  const url = `${action.scheme.toLowerCase()}://${hostForUrl(host)}:${port}${action.path.startsWith('/') ? '' : '/'}${action.path}`;
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const header of action.headers) headers[header.name] = header.value;
  const send = action.scheme === 'HTTPS' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    // The kubelet does not verify a probed server's certificate.
    const req = send(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(
        status >= 200 && status < 400
          ? { ok: true, message: '' }
          : { ok: false, message: `HTTP probe failed with statuscode: ${status}` },
      );
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({
        ok: false,
        message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, message: `Get "${url}": ${dialError(host, port, error)}` }),
    );
    req.end();
  });
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: '' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, message: dialError(host, port, error) }),
    );
  });
}

async function probeExec(command: readonly string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  try {
    const { exitCode, output } = await target.exec(command, timeoutMs);
    if (exitCode === 0) return { ok: true, message: '' };
    const said = output.trim();
    return {
      ok: false,
      message: `command ${JSON.stringify(command)} exited with ${exitCode}${said ? `: ${said}` : ''}`,
    };
  } catch (error) {
    return { ok: false, message: `command ${JSON.stringify(command)} failed: ${(error as Error).message}` };
  }
}

/** One attempt of a probe's handler against a container. */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const { action } = probe;
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (action.kind === 'exec') return probeExec(action.command, target, timeoutMs);
  const port = resolvePort(action.port, target.container);
  if (port === undefined)
    return { ok: false, message: `port '${String(action.port)}' is not among the container's named ports` };
  const host = action.host ?? target.podIp;
  return action.kind === 'httpGet' ? probeHttp(action, host, port, timeoutMs) : probeTcp(host, port, timeoutMs);
}

/**
 * The kubelet's results for one container's readiness: not ready until `successThreshold` attempts in a
 * row succeed, not ready again after `failureThreshold` in a row fail.
 */
export class ReadinessTracker {
  ready = false;
  /** The last failure's message, kept until a success. */
  lastFailure = '';
  private successes = 0;
  private failures = 0;
  private readonly probe: Pick<Probe, 'successThreshold' | 'failureThreshold'>;

  constructor(probe: Pick<Probe, 'successThreshold' | 'failureThreshold'>) {
    this.probe = probe;
  }

  record(result: ProbeResult): boolean {
    if (result.ok) {
      this.failures = 0;
      this.successes += 1;
      this.lastFailure = '';
      if (this.successes >= this.probe.successThreshold) this.ready = true;
    } else {
      this.successes = 0;
      this.failures += 1;
      this.lastFailure = result.message;
      if (this.failures >= this.probe.failureThreshold) this.ready = false;
    }
    return this.ready;
  }
}
