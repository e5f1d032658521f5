// What a service mesh's client-side proxy records of every request, with Istio's standard series and
// labels: `istio_requests_total` (a counter by destination workload and response code) and
// `istio_request_duration_milliseconds` (a histogram on Istio's default buckets), reported by the source
// (`reporter="source"`), as Prometheus's text exposition format. Pure: the clock and the network are the
// caller's.

/** Istio's default buckets of `istio_request_duration_milliseconds`, in milliseconds. */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** Where a request went, as the mesh names it. */
export interface MeshDestination {
  /** The Deployment (or other workload) of the pod that answered: `destination_workload`. */
  workload: string;
  namespace: string;
  /** `destination_service`, e.g. `api.shop-production.svc.cluster.local` (default: derived). */
  service?: string;
}

/**
 * How one request ended. A request the proxy could not complete gets Envoy's code and flag: `UT`
 * (upstream request timeout, 504) when its deadline passed, `UF` (upstream connection failure, 503)
 * when no connection was made.
 */
export type RequestOutcome =
  { status: number; durationMs: number } | { failure: 'timeout' | 'connection'; durationMs: number };

interface Histogram {
  /** Counts per bucket (not cumulative), one more for +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/** The labels Istio sets on both series, in its order. */
function seriesLabels(
  source: { workload: string; namespace: string },
  destination: MeshDestination,
  code: string,
  flags: string,
): Array<[string, string]> {
  return [
    ['reporter', 'source'],
    ['source_workload', source.workload],
    ['source_workload_namespace', source.namespace],
    ['destination_workload', destination.workload],
    ['destination_workload_namespace', destination.namespace],
    [
      'destination_service',
      destination.service ?? `${destination.workload}.${destination.namespace}.svc.cluster.local`,
    ],
    ['destination_app', destination.workload],
    ['request_protocol', 'http'],
    ['response_code', code],
    ['response_flags', flags],
  ];
}

/** A label value as the exposition format writes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const labelText = (labels: ReadonlyArray<[string, string]>): string =>
  labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',');

/** A bucket bound as Prometheus writes `le`. */
const bound = (value: number): string => (Number.isFinite(value) ? String(value) : '+Inf');

/** The index of the first bucket whose upper bound holds `value` (bounds are inclusive); the last is +Inf. */
export function bucketIndex(value: number, bounds: readonly number[] = ISTIO_DURATION_BUCKETS_MS): number {
  const index = bounds.findIndex((upper) => value <= upper);
  return index === -1 ? bounds.length : index;
}

/** The code and flags a proxy reports for an outcome. */
export function responseOf(outcome: RequestOutcome): { code: string; flags: string } {
  if ('status' in outcome) return { code: String(outcome.status), flags: '-' };
  return outcome.failure === 'timeout' ? { code: '504', flags: 'UT' } : { code: '503', flags: 'UF' };
}

/** Every outcome recorded so far, exposed as a proxy's `/metrics` would. */
export class MeshRecorder {
  private readonly source: { workload: string; namespace: string };
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, { labels: Array<[string, string]>; histogram: Histogram }>();

  constructor(source: { workload: string; namespace: string }, bounds: readonly number[] = ISTIO_DURATION_BUCKETS_MS) {
    this.source = source;
    this.bounds = bounds;
  }

  record(destination: MeshDestination, outcome: RequestOutcome): void {
    const { code, flags } = responseOf(outcome);
    const labels = seriesLabels(this.source, destination, code, flags);
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, histogram: { buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 } };
      this.series.set(key, entry);
    }
    const { histogram } = entry;
    const index = bucketIndex(outcome.durationMs, this.bounds);
    histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
    histogram.sum += outcome.durationMs;
    histogram.count += 1;
  }

  /** Prometheus's text format (version 0.0.4), series in a stable order. */
  exposition(): string {
    const entries = [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, entry]) => entry);
    const lines = [
      '# HELP istio_requests_total Total requests.',
      '# TYPE istio_requests_total counter',
      ...entries.map(({ labels, histogram }) => `istio_requests_total{${labelText(labels)}} ${histogram.count}`),
      '# HELP istio_request_duration_milliseconds Request duration in milliseconds.',
      '# TYPE istio_request_duration_milliseconds histogram',
    ];
    for (const { labels, histogram } of entries) {
      let cumulative = 0;
      for (const [index, upper] of [...this.bounds, Number.POSITIVE_INFINITY].entries()) {
        cumulative += histogram.buckets[index] ?? 0;
        lines.push(
          `istio_request_duration_milliseconds_bucket{${labelText([...labels, ['le', bound(upper)]])}} ${cumulative}`,
        );
      }
      lines.push(`istio_request_duration_milliseconds_sum{${labelText(labels)}} ${Number(histogram.sum.toFixed(3))}`);
      lines.push(`istio_request_duration_milliseconds_count{${labelText(labels)}} ${histogram.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
