// Pure decisions: inputs, remote URLs, commit messages, what verify looks for, git's environment.
import { ConfigurationError, InputParser } from '@shiprail/core';
import {
  DEFAULT_COMMIT_MESSAGE,
  entryApplied,
  gitEnvironment,
  httpOrigin,
  isBranchName,
  missingReferences,
  normalizeOverlay,
  ownerAndName,
  parseInputs,
  pullRequestBranch,
  remoteUrlFor,
  renderCommitMessage,
  renderedImages,
} from '@shiprail/kustomize-bump';
import { DEPLOY_JOBS, deployCommitTemplate, gitTrailers } from './deploy-message.ts';

const parserOf = (inputs: Record<string, string>, masked: string[] = []): InputParser =>
  new InputParser(
    (name) => inputs[name] ?? '',
    (secret) => masked.push(secret),
  );
const required = { overlays: 'overlays/dev', images: 'api:1' };

describe('inputs', () => {
  test('defaults, and the token masked while parsing', () => {
    const masked: string[] = [];
    const inputs = parseInputs(parserOf({ ...required, token: 'ghs_abcdef' }, masked));
    expect(masked).toContain('ghs_abcdef');
    expect(inputs).toMatchObject({
      mode: 'push',
      verify: 'auto',
      'max-attempts': 5,
      'dry-run': false,
      branch: '',
      overlays: ['overlays/dev'],
      'commit-message': DEFAULT_COMMIT_MESSAGE,
    });
    expect(inputs.images).toEqual([{ name: 'api', newTag: '1', argument: 'api:1' }]);
  });

  test.each([
    [{ overlays: '' }, "input 'overlays': is required"],
    [{ images: '# only a comment' }, "input 'images': is required"],
    [{ images: 'api' }, "input 'images': 'api' sets neither"],
    [{ mode: 'merge' }, "input 'mode': expected one of push, pull-request"],
    [{ verify: 'yes' }, "input 'verify': expected one of auto, true, false"],
    [{ 'max-attempts': '0' }, "input 'max-attempts': must be at least 1"],
    [{ 'dry-run': 'yes' }, "input 'dry-run': expected true or false"],
    [{ branch: 'feature..x' }, "input 'branch': 'feature..x' is not a valid branch name"],
    [{ 'commit-message': 'Bump {{image}}' }, "input 'commit-message': unknown placeholder {{image}}"],
    [{ overlays: '/etc' }, "input 'overlays': '/etc' must be a directory inside the repository"],
    [{ overlays: '-h' }, "input 'overlays': '-h' is not a directory name: it starts with '-'"],
    [{ overlays: './--enable-helm' }, "input 'overlays': './--enable-helm' is not a directory name"],
    [{ overlays: 'a/../../b' }, "input 'overlays': 'a/../../b' must be a directory inside the repository"],
    [{ mode: 'pull-request' }, "input 'token': is required with mode pull-request"],
  ])('%j is refused: %s', (override, message) => {
    let thrown: unknown;
    try {
      parseInputs(parserOf({ ...required, ...override }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).describe()).toContain(message);
  });

  test.each([
    ['overlays/dev', 'overlays/dev'],
    ['./overlays/dev/', 'overlays/dev'],
    ['overlays//dev', 'overlays/dev'],
    ['.', '.'],
    ['overlays\\prod', 'overlays/prod'],
  ])('overlay %s is %s', (given, normalized) => {
    expect(normalizeOverlay(given)).toBe(normalized);
  });

  test.each([
    ['main', true],
    ['release/2024-05', true],
    ['-x', false],
    ['a..b', false],
    ['a b', false],
    ['x.lock', false],
    ['a/.hidden', false],
    ['refs~1', false],
  ])('branch name %s valid: %s', (name, valid) => {
    expect(isBranchName(name)).toBe(valid);
  });
});

describe('the remote', () => {
  test.each([
    ['acme/gitops', 'https://github.com', 'https://github.com/acme/gitops.git'],
    ['acme/gitops.git', 'https://ghe.example/', 'https://ghe.example/acme/gitops.git'],
    ['acme/gitops', 'file:///srv/git', 'file:///srv/git/acme/gitops.git'],
    ['https://gitlab.example/acme/gitops.git', 'https://github.com', 'https://gitlab.example/acme/gitops.git'],
    ['file:///tmp/x/gitops.git', 'https://github.com', 'file:///tmp/x/gitops.git'],
    ['/srv/git/gitops.git', 'https://github.com', '/srv/git/gitops.git'],
    ['git@github.com:acme/gitops.git', 'https://github.com', 'git@github.com:acme/gitops.git'],
  ])('%s on %s is %s', (repository, server, url) => {
    expect(remoteUrlFor(repository, server)).toBe(url);
  });

  test('something else is a mistake of the repository input', () => {
    expect(() => remoteUrlFor('just-a-name', 'https://github.com')).toThrow('neither owner/name nor a git URL');
  });

  test.each([
    ['acme/gitops', { owner: 'acme', repo: 'gitops' }],
    ['https://github.com/acme/gitops.git', { owner: 'acme', repo: 'gitops' }],
    ['file:///srv/acme/gitops.git', { owner: 'acme', repo: 'gitops' }],
  ])('owner and name of %s', (repository, expected) => {
    expect(ownerAndName(repository)).toEqual(expected);
  });

  test.each([
    ['https://github.com/acme/gitops.git', 'https://github.com'],
    ['http://127.0.0.1:8080/a/b.git', 'http://127.0.0.1:8080'],
    ['file:///srv/a.git', undefined],
    ['git@github.com:acme/gitops.git', undefined],
  ])('http origin of %s', (url, origin) => {
    expect(httpOrigin(url)).toBe(origin);
  });
});

describe("git's environment", () => {
  test('the token is an extra header for the remote’s origin, given by environment only', () => {
    const masked: string[] = [];
    const env = gitEnvironment('https://github.com/acme/gitops.git', 'tok123', {}, (secret) => masked.push(secret));
    const basic = Buffer.from('x-access-token:tok123').toString('base64');
    expect(env).toMatchObject({
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
      GIT_AUTHOR_NAME: 'github-actions[bot]',
    });
    expect(masked).toEqual([basic]);
  });

  test('no token, or a non-HTTP remote: no header at all', () => {
    expect(gitEnvironment('https://github.com/a/b.git', '', {}, () => undefined)['GIT_CONFIG_COUNT']).toBe('0');
    expect(gitEnvironment('file:///srv/a.git', 'tok', {}, () => undefined)['GIT_CONFIG_KEY_1']).toBeUndefined();
  });

  test('a stalled HTTP transfer ends: git’s low-speed limit, unless the environment sets its own', () => {
    expect(gitEnvironment('https://github.com/a/b.git', '', {}, () => undefined)).toMatchObject({
      GIT_HTTP_LOW_SPEED_LIMIT: '1000',
      GIT_HTTP_LOW_SPEED_TIME: '30',
    });
    const own = gitEnvironment('file:///a', '', { GIT_HTTP_LOW_SPEED_TIME: '5' }, () => undefined);
    expect(own['GIT_HTTP_LOW_SPEED_TIME']).toBe('5');
  });

  test('the author can be set by the usual git variables', () => {
    const env = gitEnvironment('file:///a', '', { GIT_AUTHOR_NAME: 'Deploy Bot' }, () => undefined);
    expect(env['GIT_AUTHOR_NAME']).toBe('Deploy Bot');
  });
});

describe('commit messages', () => {
  const values = {
    images: 'ghcr.io/acme/api:1.2.3',
    overlays: 'overlays/dev',
    changes: '- overlays/dev: ghcr.io/acme/api:1.2.2 → ghcr.io/acme/api:1.2.3',
    branch: 'main',
    'source-repository': 'acme/shop',
    'source-sha': 'abcdef0123456789',
    'source-short-sha': 'abcdef0',
    'source-url': 'https://github.com/acme/shop/commit/abcdef0123456789',
    'run-url': 'https://github.com/acme/shop/actions/runs/42',
  };

  test('the default names images, overlays, each change, the source commit and the run', () => {
    expect(renderCommitMessage(DEFAULT_COMMIT_MESSAGE, values)).toBe(
      [
        'Deploy ghcr.io/acme/api:1.2.3 to overlays/dev',
        '',
        '- overlays/dev: ghcr.io/acme/api:1.2.2 → ghcr.io/acme/api:1.2.3',
        '',
        'Source: https://github.com/acme/shop/commit/abcdef0123456789',
        'Run: https://github.com/acme/shop/actions/runs/42',
      ].join('\n'),
    );
  });

  test('a label whose value is empty is dropped', () => {
    expect(renderCommitMessage(DEFAULT_COMMIT_MESSAGE, { ...values, 'run-url': '', 'source-url': '' })).toBe(
      'Deploy ghcr.io/acme/api:1.2.3 to overlays/dev\n\n- overlays/dev: ghcr.io/acme/api:1.2.2 → ghcr.io/acme/api:1.2.3',
    );
  });

  test('custom templates', () => {
    expect(renderCommitMessage('chore({{branch}}): {{ images }} ({{source-short-sha}})', values)).toBe(
      'chore(main): ghcr.io/acme/api:1.2.3 (abcdef0)',
    );
  });

  test.each(DEPLOY_JOBS)("deploy.yml's %s job: its trailers, to %s, are git trailers", async (job, environment) => {
    const message = renderCommitMessage(await deployCommitTemplate(job), values);
    expect(gitTrailers(message)).toEqual([
      `Source: ${values['source-url']}`,
      `Run: ${values['run-url']}`,
      `Source-Commit: ${values['source-sha']}`,
      `Environment: ${environment}`,
      `Shiprail-Deploy: ${environment}`,
    ]);
  });
});

describe('what verify looks for in rendered manifests', () => {
  const manifests = [
    'spec:',
    '  template:',
    '    spec:',
    '      initContainers:',
    '        - image: "busybox:1.36"',
    '      containers:',
    '        - name: api',
    '          image: registry.example:5000/acme/api:2.0.0@sha256:abc',
    '        - image: ghcr.io/acme/web:1.1.0 # sidecar',
    '          name: web',
  ].join('\n');

  test('every image: value, quoted or not', () => {
    expect(renderedImages(manifests)).toEqual([
      'busybox:1.36',
      'registry.example:5000/acme/api:2.0.0@sha256:abc',
      'ghcr.io/acme/web:1.1.0',
    ]);
  });

  test.each([
    [{ name: 'ghcr.io/acme/api', newName: 'registry.example:5000/acme/api', newTag: '2.0.0' }, true],
    [{ name: 'x', newName: 'registry.example:5000/acme/api', digest: 'sha256:abc' }, true],
    [{ name: 'ghcr.io/acme/web', newTag: '1.1.0' }, true],
    [{ name: 'ghcr.io/acme/web' }, true],
    [{ name: 'ghcr.io/acme/web', newTag: '1.2.0' }, false],
    [{ name: 'ghcr.io/acme/webb', newTag: '1.1.0' }, false],
    [{ name: 'x', newName: 'registry.example:5000/acme/api', digest: 'sha256:def' }, false],
  ])('%j applied: %s', (entry, applied) => {
    expect(entryApplied(entry, renderedImages(manifests))).toBe(applied);
  });

  test('missing references are named as the entry would render them', () => {
    expect(missingReferences([{ name: 'ghcr.io/acme/webb', newTag: '1.1.0' }], manifests)).toEqual([
      'ghcr.io/acme/webb:1.1.0',
    ]);
  });
});

test('the pull request branch depends on base, overlays and image names, not on tags', () => {
  const branch = (overlays: string[], images: string[]): string =>
    pullRequestBranch('main', {
      overlays,
      images: images.map((image) => ({ name: image.split(':')[0] ?? image, argument: image })),
    });
  const first = branch(['overlays/prod'], ['ghcr.io/acme/api:1']);
  expect(first).toMatch(/^kustomize-bump\/main\/api-[0-9a-f]{8}$/);
  expect(branch(['overlays/prod'], ['ghcr.io/acme/api:2'])).toBe(first);
  expect(branch(['overlays/dev'], ['ghcr.io/acme/api:2'])).not.toBe(first);
  expect(branch(['overlays/prod'], ['ghcr.io/acme/web:1', 'ghcr.io/acme/api:1'])).toMatch(/\/api-web-/);
});
