// Hostile inputs and faulty servers, each run through the bundled action: one `::error`, exit code 1, an
// end within the deadline plus a few seconds (or at once, for what no retry can fix; timed from the first
// connection, so that Node's start on a busy machine does not count), no secret shown,
// nothing left in RUNNER_TEMP, and `result` / `resources` set once the wait has started.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceOutput } from '@shiprail/rollout-wait';
import {
  startFaultServer,
  type FaultBehaviour,
  type FaultServer,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
  kubeconfigFor,
} from '@shiprail/testkit';
import {
  startKubeApiServer,
  type KubeApiServer,
  deploymentRollout,
  playScenario,
  seedDeployment,
  kubeconfigText,
} from '@shiprail/rehearsal/kube';

/** What "at once" means for a failure no retry can fix: from the first connection to the end. */
const AT_ONCE_MS = 2_000;
/** A bound on a whole run, Node's start on a busy machine included. */
const WHOLE_RUN_MS = 40_000;
const PASSWORD = 'pa55-Word-never-shown';
const PLUGIN_SECRET = 'plugin-secret-never-shown';

/** A proxy in front of the API server that accepts some requests and never answers them. */
async function startHangingProxy(
  target: KubeApiServer,
  hangs: (request: IncomingMessage) => boolean,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const forward = (request: IncomingMessage, response: ServerResponse): void => {
    if (hangs(request)) return;
    const upstream = httpRequest(
      `${target.url}${request.url ?? '/'}`,
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  };
  const proxy = createServer(forward);
  proxy.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** A TCP tap in front of `url` (TLS passes through): when the action first connected. */
async function startTap(
  url: string,
): Promise<{ url: string; firstConnection: () => number | undefined; stop: () => Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let first: number | undefined;
  const tap = createTcpServer((socket) => {
    first ??= Date.now();
    const upstream = connect(Number(target.port), target.hostname);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => sockets.delete(end));
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve) => tap.listen(0, '127.0.0.1', resolve));
  return {
    url: `${target.protocol}//127.0.0.1:${(tap.address() as AddressInfo).port}${target.pathname.replace(/\/$/, '')}`,
    firstConnection: () => first,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        tap.close(() => resolve());
      }),
  };
}

interface World {
  api: KubeApiServer;
  tlsApi: KubeApiServer;
  fault: (behaviour: FaultBehaviour) => Promise<FaultServer>;
  proxy: (hangs: (request: IncomingMessage) => boolean) => Promise<string>;
  /** The URL to write into the kubeconfig for a server: through the tap that times the run. */
  via: (url: string) => Promise<string>;
  /** A file where a credential plugin notes its calls (times the run when nothing connects). */
  pluginCalls: string;
}

interface HostileCase {
  /** The kubeconfig input and the other inputs, made against the world's servers. */
  inputs: (world: World) => Promise<Record<string, string>> | Record<string, string>;
  /** From the first connection to the end of the run; undefined: nothing may connect at all. */
  withinMs: number | undefined;
  /** In the one `::error`. */
  error: string | RegExp;
  /** `result` output: undefined when the inputs themselves were refused. */
  result: 'failed' | 'timeout' | undefined;
  /** In the resources output's message, when given. */
  message?: string;
  secrets?: string[];
}

const cluster = (server: string, ...more: string[]): string[] => [`server: ${server}`, ...more];
const caOf = (api: KubeApiServer): string =>
  `certificate-authority-data: ${Buffer.from(api.certificate ?? '').toString('base64')}`;

/**
 * A kubeconfig for the TLS server at `url` with an exec credential plugin `sh -c <script>` and a secret
 * in its env; the plugin writes the time of each call to `calls` (epoch milliseconds, one per line).
 */
function execKubeconfig(api: KubeApiServer, url: string, script: string, calls: string): string {
  return kubeconfigText({
    cluster: [`server: ${url}`, caOf(api)],
    user: [
      'exec:',
      '  apiVersion: client.authentication.k8s.io/v1',
      '  command: sh',
      `  args: ['-c', 'date +%s%3N >> ${calls}; ${script}']`,
      `  env: [{name: PLUGIN_SECRET, value: ${PLUGIN_SECRET}}]`,
      '  interactiveMode: Never',
    ],
  });
}

const stuckRollout = async (api: KubeApiServer): Promise<void> => {
  seedDeployment(api, 'api', 'ghcr.io/acme/api:1.0');
  const steps = deploymentRollout({ name: 'api', from: 'ghcr.io/acme/api:1.0', to: 'ghcr.io/acme/api:2.0' });
  await playScenario(api, steps.slice(0, 2));
};

/** A deadline case: the deadline, then a few seconds for the verdict and the end of the process. */
const deadline = (ms: number): number => ms + 3_000;

const cases: Record<string, HostileCase> = {
  'timeout: 597h is refused, not a deadline that passes at once': {
    inputs: ({ api }) => ({ kubeconfig: api.kubeconfig, timeout: '597h' }),
    withinMs: undefined,
    error: "input 'timeout': '597h' is longer than 24 days",
    result: undefined,
  },
  'a server scheme no client speaks': {
    inputs: () => ({ kubeconfig: kubeconfigFor(fakeApi, cluster('ftp://127.0.0.1:1')) }),
    withinMs: undefined,
    error: "input 'kubeconfig': cluster 'test' has a server with the scheme 'ftp'",
    result: undefined,
  },
  'a password in the server URL is never shown': {
    inputs: async ({ fault, via }) => {
      const server = await fault({ kind: 'status', status: 503, body: 'down for maintenance' });
      const url = (await via(server.url)).replace('http://', `http://admin:${PASSWORD}@`);
      return { kubeconfig: kubeconfigFor(fakeApi, cluster(url)), timeout: '3s' };
    },
    withinMs: deadline(3_000),
    error:
      /^timed out after 3\.0s waiting for deployment\/api \(Timeout\): cannot list deployments in namespace default at http:\/\/127\.0\.0\.1:\d+: down for maintenance \(HTTP 503\)$/,
    result: 'timeout',
    message: 'down for maintenance (HTTP 503)',
    secrets: [PASSWORD],
  },
  'a list that never answers ends at the deadline': {
    inputs: async ({ fault, via }) => {
      const server = await fault({ kind: 'hang' });
      return { kubeconfig: kubeconfigFor(fakeApi, cluster(await via(server.url))), timeout: '3s' };
    },
    withinMs: deadline(3_000),
    error:
      /timed out after 3\.0s waiting for deployment\/api \(Timeout\): no answer from http:\/\/127\.0\.0\.1:\d+ to the list of deployments in namespace default/,
    result: 'timeout',
  },
  'a watch that never answers ends at the deadline': {
    inputs: async ({ api, proxy, via }) => {
      await stuckRollout(api);
      const url = await proxy((request) => (request.url ?? '').includes('watch=true'));
      return { kubeconfig: kubeconfigFor(api, cluster(await via(url))), timeout: '3s' };
    },
    withinMs: deadline(3_000),
    error: 'timed out after 3.0s waiting for deployment/api (Timeout): Waiting for deployment "api" rollout to finish',
    result: 'timeout',
  },
  'events that never answer: diagnostics give up, the verdict stands': {
    inputs: async ({ api, proxy, via }) => {
      await stuckRollout(api);
      const url = await proxy((request) => (request.url ?? '').includes('/events'));
      return { kubeconfig: kubeconfigFor(api, cluster(await via(url))), timeout: '2s' };
    },
    // The deadline, then at most 5 s of diagnostics.
    withinMs: deadline(2_000 + 5_000),
    error: 'timed out after 2.0s waiting for deployment/api (Timeout)',
    result: 'timeout',
  },
  'a server that hangs up at once is retried until the deadline, and said': {
    inputs: async ({ fault, via }) => {
      const server = await fault({ kind: 'close' });
      return { kubeconfig: kubeconfigFor(fakeApi, cluster(await via(server.url))), timeout: '3s' };
    },
    withinMs: deadline(3_000),
    error: /\(Timeout\): cannot list deployments in namespace default at http:\/\/127\.0\.0\.1:\d+: ECONNRESET/,
    result: 'timeout',
  },
  'bytes that are not HTTP fail at once': {
    inputs: async ({ fault, via }) => {
      const server = await fault({ kind: 'garbage' });
      return { kubeconfig: kubeconfigFor(fakeApi, cluster(await via(server.url))) };
    },
    withinMs: AT_ONCE_MS,
    error: /^cannot list deployments in namespace default at http:\/\/127\.0\.0\.1:\d+: Parse Error/,
    result: 'failed',
  },
  'a certificate the kubeconfig does not trust fails at once': {
    inputs: async ({ tlsApi, via }) => ({ kubeconfig: kubeconfigFor(tlsApi, cluster(await via(tlsApi.url))) }),
    withinMs: AT_ONCE_MS,
    error: 'TLS failed (DEPTH_ZERO_SELF_SIGNED_CERT',
    result: 'failed',
  },
  'TLS spoken to a plain-HTTP server fails at once': {
    inputs: async ({ api, via }) => ({
      kubeconfig: kubeconfigFor(api, cluster((await via(api.url)).replace('http:', 'https:'))),
    }),
    withinMs: AT_ONCE_MS,
    error: 'TLS failed',
    result: 'failed',
  },
  '401 fails at once with the server’s word': {
    inputs: async ({ tlsApi, via }) => ({
      kubeconfig: kubeconfigFor(tlsApi, cluster(await via(tlsApi.url), caOf(tlsApi))).replace(
        tlsApi.token,
        'wrong-token',
      ),
    }),
    withinMs: AT_ONCE_MS,
    error: /^cannot list deployments in namespace default at https:\/\/127\.0\.0\.1:\d+: Unauthorized \(HTTP 401\)$/,
    result: 'failed',
  },
  '403 fails at once with the server’s word': {
    inputs: async ({ tlsApi, via }) => {
      tlsApi.failAll(403);
      return { kubeconfig: kubeconfigFor(tlsApi, cluster(await via(tlsApi.url), caOf(tlsApi))) };
    },
    withinMs: AT_ONCE_MS,
    error: 'the server is currently unable to handle the request (HTTP 403)',
    result: 'failed',
  },
  'a kind the cluster does not serve fails at once': {
    inputs: async ({ via }) => {
      const bare = await startBare();
      return { kubeconfig: kubeconfigFor(bare, cluster(await via(bare.url))), resources: 'rollout/shop' };
    },
    withinMs: AT_ONCE_MS,
    error: /does not serve argoproj\.io\/v1alpha1 rollouts: is Argo Rollouts installed\?$/,
    result: 'failed',
  },
  'an exec credential plugin that fails: its reason, redacted, at once': {
    inputs: async ({ tlsApi, via, pluginCalls }) => ({
      kubeconfig: execKubeconfig(
        tlsApi,
        await via(tlsApi.url),
        'echo "cannot log in with $PLUGIN_SECRET" >&2; exit 3',
        pluginCalls,
      ),
    }),
    withinMs: AT_ONCE_MS,
    error: "the exec credential plugin 'sh' failed: cannot log in with ***",
    result: 'failed',
    secrets: [PLUGIN_SECRET],
  },
  'an exec credential plugin that fails silently: said so, at once': {
    inputs: async ({ tlsApi, via, pluginCalls }) => ({
      kubeconfig: execKubeconfig(tlsApi, await via(tlsApi.url), 'exit 1', pluginCalls),
    }),
    withinMs: AT_ONCE_MS,
    error: "the exec credential plugin 'sh' failed: it exited with an error and wrote nothing to stderr",
    result: 'failed',
  },
};

/** Only its token is used, for kubeconfigs whose server is a fault server. */
const fakeApi = { token: 'token-for-a-fault-server' } as KubeApiServer;

let started: Array<{ stop: () => Promise<void> }> = [];
async function startBare(): Promise<KubeApiServer> {
  const bare = await startKubeApiServer({ withoutArgoRollouts: true });
  started.push(bare);
  return bare;
}

afterEach(async () => {
  await Promise.all(started.map((server) => server.stop()));
  started = [];
});

test.each(Object.keys(cases))('%s', async (name) => {
  const row = cases[name];
  if (row === undefined) throw new Error(name);
  const scratch = mkdtempSync(join(tmpdir(), 'hostile-'));
  started.push({ stop: () => Promise.resolve(rmSync(scratch, { recursive: true, force: true })) });
  const api = await startKubeApiServer({ bookmarkIntervalMs: 500 });
  const tlsApi = await startKubeApiServer({ tls: true });
  started.push(api, tlsApi);
  const world: World = {
    api,
    tlsApi,
    fault: async (behaviour) => {
      const server = await startFaultServer(behaviour);
      started.push(server);
      return server;
    },
    proxy: async (hangs) => {
      const proxy = await startHangingProxy(api, hangs);
      started.push(proxy);
      return proxy.url;
    },
    pluginCalls: join(scratch, 'plugin-calls'),
    via: async (url) => {
      const tap = await startTap(url);
      started.push(tap);
      taps.push(tap);
      return tap.url;
    },
  };
  const taps: Array<{ firstConnection: () => number | undefined }> = [];
  const inputs = await row.inputs(world);
  const run: ActionRun = await runBundledAction('rollout-wait', {
    inputs: { resources: 'deployment/api', timeout: '10m', ...inputs },
    timeoutMs: 60_000,
  });
  const exitedAt = Date.now();

  expectContainedFailure(run, { withinMs: WHOLE_RUN_MS, secrets: row.secrets ?? [] });
  const pluginCalls = existsSync(world.pluginCalls) ? readFileSync(world.pluginCalls, 'utf8').split('\n') : [];
  const connected =
    taps.map((tap) => tap.firstConnection()).find((at) => at !== undefined) ??
    (pluginCalls[0] ? Number(pluginCalls[0]) : undefined);
  if (row.withinMs === undefined) expect(connected).toBeUndefined();
  else expect(exitedAt - (connected ?? Number.NaN)).toBeLessThan(row.withinMs);
  if (typeof row.error === 'string') expect(run.errors[0]).toContain(row.error);
  else expect(run.errors[0]).toMatch(row.error);
  expect(run.outputs['result']).toBe(row.result);
  if (row.result === undefined) return;
  const [resource] = JSON.parse(run.outputs['resources'] ?? '[]') as ResourceOutput[];
  expect(resource).toMatchObject({ done: false, namespace: 'default' });
  expect(run.summary).toContain(row.result === 'failed' ? '## Rollout: ❌ failed' : '## Rollout: ⏱️ timeout');
  if (row.result === 'failed') expect(run.summary).toContain('**Stopped:** ');
  if (row.message !== undefined) expect(resource?.message).toContain(row.message);
});
