// The canary's data from real traffic: the mesh recorder's exposition and histogram maths from tables,
// then one real run: steady traffic to a baseline and three canaries (as fast, reads serialized as the bad
// canary's change makes them, answering 500), scraped every second by Debian's `prometheus`, judged by
// canary-analyze with the sample's metrics.
import { analyze, parseMetricsDefinition, PrometheusClient, type AnalysisPlan } from '@shiprail/canary-analyze';
import { sleep } from '@shiprail/core';
import {
  bucketIndex,
  CANARY_METRICS_YAML,
  escapeLabelValue,
  freePort,
  listenOnLoopback,
  ISTIO_DURATION_BUCKETS_MS,
  MeshRecorder,
  MeshTraffic,
  prometheusConfig,
  responseOf,
  sendRequest,
  startPrometheus,
  type LoopbackListener,
  type PrometheusServer,
  type RequestOutcome,
  type TrafficTarget,
} from '@shiprail/rehearsal/servers';
import { silentLog } from '@shiprail/testkit';
import { CanaryTraffic, meshSelector, SAMPLE_BASELINES, samplePaths } from '@shiprail/rehearsal';
import { createServer } from 'node:http';

describe('the mesh recorder', () => {
  test.each([
    [0, 0],
    [0.5, 0],
    [0.51, 1],
    [1, 1],
    [4.9, 2],
    [100, 6],
    [101, 7],
    [3_600_000, 18],
    [3_600_001, 19],
  ])('a request of %s ms falls in bucket %i (upper bounds inclusive, the last is +Inf)', (ms, index) => {
    expect(bucketIndex(ms)).toBe(index);
    expect(ISTIO_DURATION_BUCKETS_MS).toHaveLength(19);
  });

  test.each<[RequestOutcome, { code: string; flags: string }]>([
    [
      { status: 200, durationMs: 1 },
      { code: '200', flags: '-' },
    ],
    [
      { status: 503, durationMs: 1 },
      { code: '503', flags: '-' },
    ],
    [
      { failure: 'timeout', durationMs: 2000 },
      { code: '504', flags: 'UT' },
    ],
    [
      { failure: 'connection', durationMs: 1 },
      { code: '503', flags: 'UF' },
    ],
  ])('%j is reported as Envoy reports it: %j', (outcome, expected) => {
    expect(responseOf(outcome)).toEqual(expected);
  });

  test.each([
    ['api', 'api'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb', 'a\\nb'],
  ])('label value %j is written %j', (value, written) => {
    expect(escapeLabelValue(value)).toBe(written);
  });

  test('counters by destination and code; cumulative buckets, sum and count per series', () => {
    const recorder = new MeshRecorder({ workload: 'load', namespace: 'tools' }, [10, 100]);
    const api = { workload: 'api', namespace: 'shop' };
    recorder.record(api, { status: 200, durationMs: 5 });
    recorder.record(api, { status: 200, durationMs: 10 });
    recorder.record(api, { status: 200, durationMs: 150.25 });
    recorder.record(api, { failure: 'timeout', durationMs: 2000 });
    const labels = (code: string, flags: string): string =>
      `reporter="source",source_workload="load",source_workload_namespace="tools",destination_workload="api",` +
      `destination_workload_namespace="shop",destination_service="api.shop.svc.cluster.local",destination_app="api",` +
      `request_protocol="http",response_code="${code}",response_flags="${flags}"`;
    const ok = labels('200', '-');
    const late = labels('504', 'UT');
    expect(recorder.exposition().split('\n')).toEqual([
      '# HELP istio_requests_total Total requests.',
      '# TYPE istio_requests_total counter',
      `istio_requests_total{${ok}} 3`,
      `istio_requests_total{${late}} 1`,
      '# HELP istio_request_duration_milliseconds Request duration in milliseconds.',
      '# TYPE istio_request_duration_milliseconds histogram',
      `istio_request_duration_milliseconds_bucket{${ok},le="10"} 2`,
      `istio_request_duration_milliseconds_bucket{${ok},le="100"} 2`,
      `istio_request_duration_milliseconds_bucket{${ok},le="+Inf"} 3`,
      `istio_request_duration_milliseconds_sum{${ok}} 165.25`,
      `istio_request_duration_milliseconds_count{${ok}} 3`,
      `istio_request_duration_milliseconds_bucket{${late},le="10"} 0`,
      `istio_request_duration_milliseconds_bucket{${late},le="100"} 0`,
      `istio_request_duration_milliseconds_bucket{${late},le="+Inf"} 1`,
      `istio_request_duration_milliseconds_sum{${late}} 2000`,
      `istio_request_duration_milliseconds_count{${late}} 1`,
      '',
    ]);
  });

  test.each([
    [[], 1000, 'global:\n  scrape_interval: 1h\nscrape_configs: []\n'],
    [
      ['127.0.0.1:9101'],
      1000,
      'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: mesh\n    static_configs:\n      - targets: ["127.0.0.1:9101"]\n',
    ],
  ])('Prometheus scrapes %j every %i ms', (targets, intervalMs, config) => {
    expect(prometheusConfig(targets, intervalMs)).toBe(config);
  });
});

describe('a request as the load generator sends it', () => {
  test('an answer is its status; one past the deadline a timeout; a closed port a connection failure', async () => {
    const silent = createServer(() => undefined);
    const listener = await listenOnLoopback(silent);
    const service = await listenOnLoopback(
      createServer((request, response) => {
        response.statusCode = request.url === '/healthz' ? 200 : 500;
        response.end();
      }),
    );
    const closed = `http://127.0.0.1:${await freePort()}/`;
    try {
      expect(await sendRequest(`${service.url}/api/items`, 2000)).toMatchObject({ status: 500 });
      expect(await sendRequest(`${service.url}/healthz`, 2000)).toMatchObject({ status: 200 });
      const late = await sendRequest(listener.url, 200);
      expect(late).toMatchObject({ failure: 'timeout' });
      expect(late.durationMs).toBeGreaterThanOrEqual(150);
      expect(await sendRequest(closed, 2000)).toMatchObject({ failure: 'connection' });
    } finally {
      await listener.stop();
      await service.stop();
    }
  });
});

describe('the load generator', () => {
  test('sends `concurrency` requests a turn, round robin over the addresses it looks up, and records each', async () => {
    const hits: [number, number] = [0, 0];
    const servers = await Promise.all(
      hits.map((_, index) =>
        listenOnLoopback(
          createServer((_request, response) => {
            hits[index] = (hits[index] ?? 0) + 1;
            response.end('[]');
          }),
        ),
      ),
    );
    const traffic = await MeshTraffic.start({ requestsPerSecond: 40, concurrency: 4 });
    try {
      traffic.send([
        {
          destination: { workload: 'api', namespace: 'shop' },
          addresses: () => Promise.resolve(servers.map((server) => server.url)),
        },
      ]);
      // The first turn is sent at once; the next one 100 ms later.
      while (hits[0] + hits[1] < 8) await sleep(20);
      await traffic.halt();
      expect(hits[0]).toBe(hits[1]);
      const count = /istio_requests_total\{[^}]*response_code="200"[^}]*\} (\d+)/.exec(traffic.recorder.exposition());
      expect(Number(count?.[1])).toBe(hits[0] + hits[1]);
      const metrics = await fetch(traffic.metricsUrl);
      expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await metrics.text()).toBe(traffic.recorder.exposition());
    } finally {
      await traffic.stop();
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
  test("a target's paths are asked for in turn at each of its addresses", async () => {
    const asked: string[][] = [[], []];
    const servers = await Promise.all(
      asked.map((paths) =>
        listenOnLoopback(
          createServer((request, response) => {
            paths.push(request.url ?? '');
            response.end('[]');
          }),
        ),
      ),
    );
    const traffic = await MeshTraffic.start({ requestsPerSecond: 40, concurrency: 4 });
    try {
      traffic.send([
        {
          destination: { workload: 'catalog', namespace: 'shop' },
          addresses: () => servers.map((server) => server.url),
          paths: ['/healthz', '/cgi-bin/search?tee', '//elsewhere.invalid/x'],
        },
      ]);
      while ((asked[0]?.length ?? 0) + (asked[1]?.length ?? 0) < 12) await sleep(20);
      await traffic.halt();
      // A path that reads as another host (`//elsewhere.invalid/x`) is still asked of the address.
      for (const paths of asked) {
        expect(new Set(paths)).toEqual(new Set(['/healthz', '/cgi-bin/search?tee', '//elsewhere.invalid/x']));
      }
    } finally {
      await traffic.stop();
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
});

describe("the world's canary traffic", () => {
  function canaryTraffic(
    judged: Pick<ConstructorParameters<typeof CanaryTraffic>[0], 'baselines' | 'paths'> = {
      baselines: SAMPLE_BASELINES,
      paths: samplePaths,
    },
  ): { traffic: CanaryTraffic; sent: TrafficTarget[][] } {
    const sent: TrafficTarget[][] = [];
    const traffic = new CanaryTraffic({
      traffic: { send: (targets) => sent.push([...targets]), halt: () => Promise.resolve() },
      addresses: (environment) => [`http://${environment}.example`],
      namespace: (environment) => `shop-${environment}`,
      ...judged,
    });
    return { traffic, sent };
  }

  test.each([
    ['production', 'api', true],
    ['canary', 'worker', true],
    ['canary', 'api', false],
  ])(
    "a ready pod of %s/%s (armed: %s) sends nothing: only a canary's api does, once the world is restored",
    (environment, workload, armed) => {
      const { traffic, sent } = canaryTraffic();
      if (armed) traffic.arm();
      traffic.podReady(environment, workload);
      expect(sent).toEqual([]);
    },
  );

  test.each(['canary', 'prod-canary'])(
    "a ready pod of %s's api: traffic goes to it and to production's, at the addresses looked up each turn",
    async (environment) => {
      const { traffic, sent } = canaryTraffic();
      traffic.arm();
      traffic.podReady(environment, 'api');
      expect(sent[0]?.map((target) => target.destination)).toEqual([
        { workload: 'api', namespace: 'shop-production' },
        { workload: 'api', namespace: `shop-${environment}` },
      ]);
      expect(await Promise.all(sent[0]?.map((target) => Promise.resolve(target.addresses())) ?? [])).toEqual([
        ['http://production.example'],
        [`http://${environment}.example`],
      ]);
      await traffic.halt();
      traffic.podReady(environment, 'api');
      expect(sent).toHaveLength(1);
    },
  );

  test.each([
    ['canary', 'api', true, ['production/api']],
    ['canary', 'worker', true, []],
    ['staging', 'api', true, []],
    ['canary', 'api', false, []],
  ])(
    'a pod of %s/%s starting (armed: %s) looks up its baseline at once, before it is ready: %j',
    async (environment, workload, armed, looked) => {
      const lookups: string[] = [];
      let ready: (value: { ready: true }) => void = () => undefined;
      const traffic = new CanaryTraffic({
        traffic: { send: () => undefined, halt: () => Promise.resolve() },
        addresses: (name, judged) => {
          lookups.push(`${name}/${judged}`);
          return [];
        },
        namespace: (name) => `shop-${name}`,
        baselines: SAMPLE_BASELINES,
        paths: samplePaths,
      });
      if (armed) traffic.arm();
      const pods = traffic.watching({ readiness: () => new Promise((resolve) => (ready = resolve)) });
      const subject = {
        environment,
        namespace: `shop-${environment}`,
        kind: 'Deployment' as const,
        name: workload,
        pod: `${workload}-1`,
        template: {},
      };
      const answered = pods.readiness(subject);
      await sleep(10);
      expect(lookups).toEqual(looked);
      ready({ ready: true });
      await answered;
    },
  );

  test("a repository's canary: each workload its smoke checks reach draws traffic at their paths, against the same workload of its baseline", () => {
    const paths: Record<string, string[]> = { catalog: ['/healthz', '/cgi-bin/search?tee'], checkout: ['/ready'] };
    const { traffic, sent } = canaryTraffic({
      baselines: { canary: 'prod' },
      paths: (environment, workload) => (environment === 'canary' ? (paths[workload] ?? []) : []),
    });
    traffic.arm();
    for (const [environment, workload] of [
      ['prod', 'catalog'],
      ['canary', 'mailer'],
      ['canary', 'catalog'],
      ['canary', 'checkout'],
      ['canary', 'catalog'],
    ] as const)
      traffic.podReady(environment, workload);
    expect(sent).toHaveLength(3);
    expect(sent.at(-1)?.map(({ destination, paths }) => ({ ...destination, paths }))).toEqual([
      { workload: 'catalog', namespace: 'shop-prod', paths: paths['catalog'] },
      { workload: 'catalog', namespace: 'shop-canary', paths: paths['catalog'] },
      { workload: 'checkout', namespace: 'shop-prod', paths: paths['checkout'] },
      { workload: 'checkout', namespace: 'shop-canary', paths: paths['checkout'] },
    ]);
  });
});

/**
 * An api as the canaries answer /api/items: at once, one read at a time over one store connection (40 ms
 * each, as the bad canary's change reads), or 500. The rehearsal's scenarios run the sample's own image.
 */
function startApi(answer: 'fast' | 'serialized' | 'errors'): Promise<LoopbackListener> {
  let connection = Promise.resolve();
  return listenOnLoopback(
    createServer((_request, response) => {
      if (answer === 'errors') {
        response.writeHead(500).end('{}');
        return;
      }
      const read = answer === 'serialized' ? connection.then(() => sleep(40)) : Promise.resolve();
      connection = read;
      void read.then(() => response.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    }),
  );
}

/** How long each judgement looks back, and how long the traffic runs before it. */
const WINDOW_MS = 15_000;
const CANARIES = ['healthy', 'slow', 'errors'] as const;

describe('canary-analyze judges the traffic Prometheus scraped', () => {
  let prometheus: PrometheusServer;
  let traffic: MeshTraffic;
  const apis: LoopbackListener[] = [];
  let judgedAt = 0;

  beforeAll(async () => {
    const start = async (answer: Parameters<typeof startApi>[0]): Promise<string> => {
      const api = await startApi(answer);
      apis.push(api);
      return api.url;
    };
    const baseline = await start('fast');
    const canaries = { healthy: await start('fast'), slow: await start('serialized'), errors: await start('errors') };
    traffic = await MeshTraffic.start({ requestsPerSecond: 12, concurrency: 3 });
    prometheus = await startPrometheus({ scrapeTargets: [traffic.scrapeTarget] });
    traffic.send([
      { destination: { workload: 'api', namespace: 'shop-production' }, addresses: () => [baseline] },
      ...CANARIES.map((name) => ({
        destination: { workload: 'api', namespace: `shop-${name}` },
        addresses: () => [canaries[name]],
      })),
    ]);
    // The window judged, and the 3 s of scrapes its first sample reads.
    await sleep(WINDOW_MS + 4000);
    judgedAt = Date.now();
  }, 60_000);

  afterAll(async () => {
    await traffic?.stop();
    await prometheus?.stop();
    await Promise.all(apis.map((api) => api.stop()));
  });

  test.each([
    ['healthy', 'pass', ['Pass', 'Pass', 'Pass']],
    ['slow', 'fail', ['Pass', 'High', 'High']],
    ['errors', 'fail', ['High']],
  ] as const)('a canary %s -> %s', async (name, decision, classifications) => {
    const plan: AnalysisPlan = {
      metrics: await parseMetricsDefinition(CANARY_METRICS_YAML, { file: 'canary.yml' }),
      baseline: meshSelector('shop-production'),
      canary: meshSelector(`shop-${name}`),
      durationMs: 0,
      intervalMs: WINDOW_MS,
      stepMs: 1000,
      thresholds: { pass: 95, marginal: 75 },
    };
    const clock = { now: () => judgedAt, sleep };
    const result = await analyze(plan, new PrometheusClient({ url: prometheus.url }), clock, silentLog);
    const metrics = result.rounds[0]?.metrics ?? [];
    expect({ decision: result.verdict.decision, reason: result.verdict.reason }).toMatchObject({ decision });
    expect(metrics.map((metric) => metric.classification).slice(0, classifications.length)).toEqual(classifications);
    // A sample a second on both sides (a busy machine delays a scrape now and then).
    expect(metrics[0]?.judgement?.baseline.count).toBeGreaterThanOrEqual(WINDOW_MS / 2000);
    expect(metrics[0]?.judgement?.canary.count).toBeGreaterThanOrEqual(WINDOW_MS / 2000);
  });
});
