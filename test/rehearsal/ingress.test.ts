// An environment's ingress: Kubernetes' path precedence read from rendered Ingresses, a Service's target
// port and selector, and the proxy itself in front of two loopback servers standing for pods (its turns,
// its 404, 503 and 502 answers).
import { busyboxVersion, mirrorRegistriesConf } from '../../packages/rehearsal/src/servers/image-mirror.ts';
import {
  ingressBackend,
  pathMatches,
  selects,
  serviceTarget,
} from '../../packages/rehearsal/src/servers/ingress-routes.ts';
import { startIngress, type Upstream } from '../../packages/rehearsal/src/servers/ingress.ts';
import { listenOnLoopback, type LoopbackListener } from '@shiprail/rehearsal/servers';
import type { JsonObject } from '@shiprail/rehearsal/kube';
import { createServer } from 'node:http';

/** Rendered objects, as the API server stores them. */
const json = (value: object): JsonObject => value as JsonObject;

const backend = (service: string, port: number | string) => ({
  service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } },
});
const shop = json({
  spec: {
    defaultBackend: backend('fallback', 80),
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/api', pathType: 'Prefix', backend: backend('api', 'http') },
            { path: '/api/items', pathType: 'Exact', backend: backend('items', 80) },
            { path: '/healthz', pathType: 'Exact', backend: backend('api', 'http') },
            { path: '/', pathType: 'Prefix', backend: backend('web', 80) },
          ],
        },
      },
    ],
  },
});

describe('routes', () => {
  it.each([
    ['/api', 'Prefix', '/api', true],
    ['/api', 'Prefix', '/api/', true],
    ['/api', 'Prefix', '/api/items', true],
    ['/api', 'Prefix', '/apis', false],
    ['/api/', 'Prefix', '/api', true],
    ['/', 'Prefix', '/anything', true],
    ['/healthz', 'Exact', '/healthz', true],
    ['/healthz', 'Exact', '/healthz/', false],
    ['/a', 'ImplementationSpecific', '/a/b', true],
  ] as const)('%s (%s) matches %s: %s', (rule, type, path, matches) => {
    expect(pathMatches(rule, type, path)).toBe(matches);
  });

  it.each([
    ['/api/items', 'items'],
    ['/api/items/3', 'api'],
    ['/api', 'api'],
    ['/healthz', 'api'],
    ['/healthz/deep', 'web'],
    ['/index.html', 'web'],
  ])('%s goes to %s: the longest path, Exact first', (path, service) => {
    expect(ingressBackend([shop], path)?.service).toBe(service);
  });

  it('falls back to the default backend, else to nothing', () => {
    const only = json({ spec: { defaultBackend: backend('fallback', 80), rules: [{ http: { paths: [] } }] } });
    expect(ingressBackend([only], '/x')).toEqual({ service: 'fallback', port: 80 });
    expect(ingressBackend([], '/x')).toBeUndefined();
  });

  it("reads a Service's target port and selector", () => {
    const service = json({
      spec: {
        selector: { app: 'api' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'admin', port: 9000, targetPort: 'admin' },
          { name: 'plain', port: 7000 },
        ],
      },
    });
    expect(serviceTarget(service, 'http')).toEqual({ selector: { app: 'api' }, targetPort: 8080 });
    expect(serviceTarget(service, 9000)).toEqual({ selector: { app: 'api' }, targetPort: 'admin' });
    expect(serviceTarget(service, 'plain')?.targetPort).toBe(7000);
    expect(serviceTarget(service, 81)).toBeUndefined();
    expect(serviceTarget(json({ spec: { ports: [{ port: 80 }] } }), 80)).toBeUndefined();
    expect(selects({ app: 'api' }, json({ metadata: { labels: { app: 'api', tier: 'x' } } }))).toBe(true);
    expect(selects({ app: 'api', tier: 'y' }, json({ metadata: { labels: { app: 'api', tier: 'x' } } }))).toBe(false);
  });
});

describe('the image mirror', () => {
  it("sends Docker Hub's names to the world's registry, over plain HTTP", () => {
    const conf = mirrorRegistriesConf('127.0.0.1:5000');
    expect(conf).toContain('prefix = "docker.io"\nlocation = "127.0.0.1:5000"\ninsecure = true');
    expect(conf).toContain('unqualified-search-registries = ["docker.io"]');
  });

  it("sends a repository's own registry to where the world's registry holds its images", () => {
    const conf = mirrorRegistriesConf('127.0.0.1:5000', { 'registry.example.com/shop': '127.0.0.1:5000/shop' });
    expect(conf).toContain('prefix = "registry.example.com/shop"\nlocation = "127.0.0.1:5000/shop"\ninsecure = true');
  });

  it.each([
    ['BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.', '1.35.0'],
    ['sh: busybox: not found', undefined],
  ])('reads the version of %s', (banner, version) => {
    expect(busyboxVersion(banner)).toBe(version);
  });
});

describe('the proxy', () => {
  const pods: LoopbackListener[] = [];
  let ingress: LoopbackListener;
  let upstream: Upstream = { addresses: [] };

  beforeAll(async () => {
    for (const name of ['one', 'two']) {
      pods.push(
        await listenOnLoopback(
          createServer((request, response) => {
            response.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
            response.end(`${name} ${request.method} ${request.url}`);
          }),
        ),
      );
    }
    ingress = await startIngress({ upstream: () => Promise.resolve(upstream) });
  });
  afterAll(async () => {
    await ingress.stop();
    await Promise.all(pods.map((pod) => pod.stop()));
  });

  const get = async (path: string): Promise<[number, string]> => {
    const response = await fetch(`${ingress.url}${path}`, { signal: AbortSignal.timeout(5_000) });
    return [response.status, (await response.text()).trim()];
  };

  it('takes the ready pods in turn, the path and query as given', async () => {
    upstream = { addresses: pods.map((pod) => new URL(pod.url).host) };
    expect([await get('/api/items?page=2'), await get('/api/items?page=2')]).toEqual([
      [200, 'one GET /api/items?page=2'],
      [200, 'two GET /api/items?page=2'],
    ]);
  });

  it('answers as nginx does when nothing serves the path, no pod is ready, or the pod does not answer', async () => {
    upstream = { status: 404, message: 'no Ingress rule of shop-dev serves /x' };
    expect(await get('/x')).toEqual([404, 'no Ingress rule of shop-dev serves /x']);
    upstream = { status: 503, message: 'no ready pod behind service shop-dev/api' };
    expect(await get('/api')).toEqual([503, 'no ready pod behind service shop-dev/api']);
    upstream = { addresses: ['127.0.0.1:1'] };
    const [status, text] = await get('/api');
    expect(status).toBe(502);
    expect(text).toMatch(/^the pod at 127\.0\.0\.1:1 did not answer: connect ECONNREFUSED/);
  });

  it('cuts off a pod that answers a byte at a time once the request has taken its deadline', async () => {
    const dripping = await listenOnLoopback(
      createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => response.write('.'), 50);
        response.on('close', () => clearInterval(timer));
      }),
    );
    const strict = await startIngress({
      upstream: () => Promise.resolve({ addresses: [new URL(dripping.url).host] }),
      timeoutMs: 300,
    });
    try {
      const started = Date.now();
      const response = await fetch(`${strict.url}/slow`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await strict.stop();
      await dripping.stop();
    }
  });
});
