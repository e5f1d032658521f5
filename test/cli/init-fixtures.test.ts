// `shiprail init` on each fixture monorepo layout: the services it writes are the images the fixture
// builds, detect-changed-services reads the manifest and selects the service whose file changed (on a
// real git repository), and the caller workflow passes the suite's workflow validation.
import { parseManifest, runDetectChangedServices } from '@shiprail/detect-changed-services';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventPayload, git } from '../detect-changed-services/repo.ts';
import { createTestRuntime } from '@shiprail/testkit';
import { callerWorkflowProblems } from '../workflows/caller-workflow.ts';
import { copyFixture, removeCopies, runInitOn } from './system.ts';

afterAll(removeCopies);

interface Layout {
  fixture: string;
  /** The images the fixture builds: the services init must write, no more, no less. */
  services: string[];
  libraries: string[];
  /** A file whose change selects exactly `selects`. */
  change: string;
  selects: string[];
  /** Files init writes besides services.yml and the workflow. */
  writes: string[];
  overlays: string;
}

const layouts: Layout[] = [
  {
    fixture: 'skaffold-modules',
    services: ['ads', 'cart', 'frontend', 'loadgenerator', 'payments'],
    libraries: ['protos'],
    change: 'protos/shop.proto',
    selects: ['cart', 'frontend'],
    writes: ['.github/smoke.yml', 'overlays/dev/kustomization.yaml', 'overlays/production/kustomization.yaml'],
    overlays: 'overlays/{environment}',
  },
  {
    fixture: 'compose-env',
    services: ['api', 'web', 'worker'],
    libraries: ['shared'],
    change: 'shared/money.py',
    selects: ['api'],
    writes: ['.github/smoke.yml', 'overlays/staging/kustomization.yaml'],
    overlays: 'overlays/{environment}',
  },
  {
    fixture: 'nested-dockerfiles',
    services: ['cart', 'checkout', 'email'],
    libraries: ['money'],
    change: 'services/cart/src/index.js',
    selects: ['cart'],
    writes: [],
    overlays: 'overlays/{environment}',
  },
  {
    fixture: 'single-service',
    services: ['hello-api'],
    libraries: [],
    change: 'server.js',
    selects: ['hello-api'],
    writes: ['.github/smoke.yml', 'overlays/canary/kustomization.yaml'],
    overlays: 'overlays/{environment}',
  },
  {
    fixture: 'kustomize-components',
    services: ['api', 'web'],
    libraries: [],
    change: 'apps/web/server.js',
    selects: ['web'],
    writes: ['.github/smoke.yml'],
    overlays: 'deploy/overlays/{environment}',
  },
  {
    fixture: 'helm-chart',
    services: ['backend', 'frontend'],
    libraries: ['common'],
    change: 'libs/common/pom.xml',
    selects: ['backend'],
    writes: ['.github/smoke.yml'],
    overlays: 'overlays/{environment}',
  },
];

function commitAll(directory: string, message: string): string {
  git(directory, 'add', '--all');
  execFileSync('git', ['-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', message], {
    cwd: directory,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
  return git(directory, 'rev-parse', 'HEAD');
}

describe.each(layouts)('$fixture', (layout) => {
  let directory: string;
  let code: number;
  let printed: string;

  beforeAll(async () => {
    directory = copyFixture(layout.fixture);
    git(directory, 'init', '--quiet', '--initial-branch=main');
    const result = await runInitOn(directory);
    code = result.code;
    printed = result.system.output.join('');
  });

  const read = (path: string): string => readFileSync(join(directory, path), 'utf8');

  test('writes one service per image the repository builds, none missing, none extra', async () => {
    expect(code).toBe(0);
    const manifest = await parseManifest(read('.github/services.yml'), '.github/services.yml');
    expect(manifest.services.map((service) => service.name).sort()).toEqual(layout.services);
    expect(manifest.libraries.map((library) => library.name)).toEqual(layout.libraries);
    for (const service of layout.services) expect(printed).toMatch(new RegExp(`^${service}\\s`, 'm'));
  });

  test('writes the smoke checks, the caller workflow and the overlays it says', () => {
    for (const file of ['.github/workflows/deploy.yml', ...layout.writes]) expect(printed).toContain(`wrote ${file}`);
    expect(read('.github/workflows/deploy.yml')).toContain(`overlays: "${layout.overlays}"`);
  });

  test('the caller workflow passes the workflow validation', async () => {
    expect(await callerWorkflowProblems(read('.github/workflows/deploy.yml'))).toEqual([]);
  });

  test('detect-changed-services selects the service whose file changed', async () => {
    const base = commitAll(directory, 'adopt shiprail');
    appendFileSync(join(directory, layout.change), '\n');
    const head = commitAll(directory, 'change');
    const runtime = createTestRuntime({
      github: {
        workspace: directory,
        eventName: 'push',
        payload: eventPayload('push', { before: base, after: head }),
        defaultBranch: 'main',
      },
    });
    await runDetectChangedServices(runtime);
    expect(JSON.parse(runtime.outputs['services'] ?? '[]')).toEqual(layout.selects);
  });
});
