// The pure parts of the wait, from tables: when it ends and how (decide), how a kubeconfig server is
// read (as kubectl reads it), and which failures are worth another attempt.
import { ConfigurationError, DeadlineError, isTransient } from '@shiprail/core';
import {
  connectionError,
  decide,
  parseClusterServer,
  statusError,
  trackResource,
  type Decision,
  type RolloutWaitState,
  type TrackedResource,
} from '@shiprail/rollout-wait';
import { parseImageReference, type ImageReference } from '@shiprail/core/image-reference';

type Phase = TrackedResource['verdict']['phase'];

interface Row {
  /** One letter per resource: d done, p progressing, f failed, u not listed yet, m listed and missing. */
  resources: string;
  failFast?: boolean;
  images?: string[];
  /** The image the done resources' templates carry. */
  carried?: string;
  deadlinePassed?: boolean;
  warnedUnclaimed?: boolean;
  failure?: Error;
}

const PHASES: Readonly<Record<string, Phase>> = { d: 'done', p: 'progressing', f: 'failed', u: 'progressing' };

function stateOf(row: Row): RolloutWaitState {
  const resources = row.resources.split('').map((letter, index) => {
    const entry = trackResource({ kind: 'deployment', name: `r${index}`, namespace: 'default', text: `r${index}` });
    entry.synced = letter !== 'u';
    entry.object =
      letter === 'm' || letter === 'u'
        ? undefined
        : { spec: { template: { spec: { containers: [{ name: 'app', image: row.carried ?? 'api:1' }] } } } };
    entry.verdict = { phase: PHASES[letter] ?? 'progressing', message: letter, reason: letter };
    return entry;
  });
  return {
    resources,
    deadlinePassed: row.deadlinePassed ?? false,
    failure: row.failure,
    warnedUnclaimed: row.warnedUnclaimed ?? false,
  };
}

const image = (text: string): ImageReference => {
  const reference = parseImageReference(text);
  if (reference === undefined) throw new Error(text);
  return reference;
};

/** The decision in short: wait, warn, or end:<result>[:<error message>]. */
function summary(decision: Decision): string {
  if (decision.kind === 'wait') return 'wait';
  if (decision.kind === 'warn-unclaimed') return `warn:${decision.images.join(',')}`;
  return `end:${decision.result}${decision.error ? `:${decision.error.message}` : ''}`;
}

const forbidden = new Error('cannot list deployments: Forbidden (HTTP 403)');

describe('decide: whether the wait goes on, and how it ends', () => {
  test.each<[string, Row, string]>([
    ['nothing known yet', { resources: 'uu' }, 'wait'],
    ['one done, one progressing', { resources: 'dp' }, 'wait'],
    ['all done', { resources: 'dd' }, 'end:success'],
    ['one failed, fail-fast', { resources: 'fp' }, 'end:failed'],
    ['one failed without fail-fast: the others are waited for', { resources: 'fp', failFast: false }, 'wait'],
    ['one failed without fail-fast, the others done', { resources: 'fd', failFast: false }, 'end:failed'],
    ['the deadline with one progressing', { resources: 'dp', deadlinePassed: true }, 'end:timeout'],
    ['the deadline before anything was listed', { resources: 'uu', deadlinePassed: true }, 'end:timeout'],
    ['all done as the deadline passes: success wins', { resources: 'dd', deadlinePassed: true }, 'end:success'],
    ['a failure no retry can fix', { resources: 'dp', failure: forbidden }, `end:failed:${forbidden.message}`],
    [
      'a failure wins over the deadline',
      { resources: 'pp', failure: forbidden, deadlinePassed: true },
      `end:failed:${forbidden.message}`,
    ],
    ['listed and missing', { resources: 'dm' }, 'end:failed:deployment/r1 in namespace default does not exist'],
    ['missing, but not all listed yet', { resources: 'mu' }, 'wait'],
    ['missing while expected images may still create it', { resources: 'dm', images: ['api:2'] }, 'wait'],
    ['all done, expected image carried', { resources: 'dd', images: ['api:2'], carried: 'api:2' }, 'end:success'],
    ['all done, expected image nowhere: said once', { resources: 'dd', images: ['web:2'] }, 'warn:web:2'],
    [
      'all done, expected image nowhere, said already',
      { resources: 'dd', images: ['web:2'], warnedUnclaimed: true },
      'wait',
    ],
    [
      'all done, expected image nowhere, at the deadline',
      { resources: 'dd', images: ['web:2'], deadlinePassed: true },
      'end:timeout',
    ],
  ])('%s', (_name, row, expected) => {
    const options = { failFast: row.failFast ?? true, acceptPaused: false, images: (row.images ?? []).map(image) };
    expect(summary(decide(stateOf(row), options))).toBe(expected);
  });

  test('a missing resource is a mistake in the resources input', () => {
    const decision = decide(stateOf({ resources: 'm' }), { failFast: true, acceptPaused: false, images: [] });
    expect(decision.kind === 'end' && decision.error).toBeInstanceOf(ConfigurationError);
  });
});

describe('kubeconfig servers, read as kubectl reads them', () => {
  const where = { input: 'kubeconfig' };
  test.each<[string, string, string | undefined]>([
    ['https://10.0.0.1:6443', 'https://10.0.0.1:6443', undefined],
    ['http://127.0.0.1:8001', 'http://127.0.0.1:8001', undefined],
    ['http://127.0.0.1:8001/', 'http://127.0.0.1:8001', undefined],
    ['https://rancher.example/k8s/clusters/c-1/', 'https://rancher.example/k8s/clusters/c-1', undefined],
    ['127.0.0.1:8001', 'http://127.0.0.1:8001', undefined],
    ['localhost:6443', 'http://localhost:6443', undefined],
    ['HTTPS://Cluster.Example:443', 'https://cluster.example', undefined],
    ['https://admin:p%40ss@10.0.0.1:6443', 'https://10.0.0.1:6443', 'admin:p@ss'],
  ])('%s', (server, url, credentials) => {
    const parsed = parseClusterServer(server, 'c', where);
    expect(parsed.url).toBe(url);
    expect(parsed.username === undefined ? undefined : `${parsed.username}:${parsed.password ?? ''}`).toBe(credentials);
  });

  test.each([
    ['ftp://10.0.0.1', "cluster 'c' has a server with the scheme 'ftp'"],
    ['unix:///var/run/k8s.sock', "cluster 'c' has a server with the scheme 'unix'"],
    ['https://[::1', "cluster 'c' has a server that is not a URL"],
  ])('%s is refused', (server, message) => {
    let thrown: unknown;
    try {
      parseClusterServer(server, 'c', where);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect(thrown instanceof ConfigurationError && thrown.describe()).toContain(`input 'kubeconfig': ${message}`);
  });
});

describe('which failures another attempt can fix', () => {
  const code = (name: string, message = name): Error => Object.assign(new Error(message), { code: name });
  test.each<[string, () => Error, boolean, string]>([
    ['429', () => statusError('list', 429, ''), true, 'list: (HTTP 429)'],
    ['503 with a Status body', () => statusError('list', 503, '{"message":"etcd is down"}'), true, 'etcd is down'],
    ['500 with an HTML page', () => statusError('list', 500, '<html>oops</html>'), true, '<html>oops</html>'],
    ['401', () => statusError('list', 401, ''), false, 'list: Unauthorized (HTTP 401)'],
    ['403 with a Status body', () => statusError('list', 403, '{"message":"forbidden: User"}'), false, 'forbidden'],
    ['404', () => statusError('list', 404, ''), false, '(HTTP 404)'],
    ['refused connection', () => connectionError('list', code('ECONNREFUSED')), true, 'list: ECONNREFUSED'],
    ['reset connection', () => connectionError('list', code('ECONNRESET')), true, 'list: ECONNRESET'],
    ['no answer in time', () => connectionError('list', new DeadlineError('list', 30_000)), true, 'did not answer'],
    [
      'an untrusted certificate',
      () => connectionError('list', code('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')),
      false,
      "TLS failed (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); check the cluster's certificate-authority-data",
    ],
    [
      'TLS spoken to a plain-HTTP server',
      () => connectionError('list', code('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number')),
      false,
      'TLS failed',
    ],
    ['anything else', () => connectionError('list', new Error('no idea')), false, 'list: no idea'],
  ])('%s', (_name, make, retryable, message) => {
    const error = make();
    expect(isTransient(error)).toBe(retryable);
    expect(error.message).toContain(message);
  });
});
