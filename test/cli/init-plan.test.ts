// init's decisions from in-memory repositories: the environments named after the overlays a repository
// has, the build command of builders without a Dockerfile or the exact line to add, and a caller workflow
// with those environments that passes the workflow checks.
import { environmentsOf, MemoryFiles, planInit, renderCallerWorkflow, type InitContext } from '@shiprail/cli';
import { callerWorkflowProblems } from '../workflows/caller-workflow.ts';

const context: InitContext = {
  repositoryName: 'shop',
  defaultBranch: 'main',
  environment: new Map(),
  render: () => Promise.reject(new Error('no kustomize tree here')),
};

describe('environments', () => {
  test.each([
    [['prod', 'dev'], 'dev, prod', 'deploy/overlays/{dev,prod}'],
    [
      ['production', 'staging', 'development'],
      'development, staging, production',
      'deploy/overlays/{development,staging,production}',
    ],
    [['qa', 'live', 'dev', 'canary'], 'dev, qa, live', 'deploy/overlays/{dev,qa,live}'],
    [['dev'], 'dev, staging, production', 'default'],
    [['dev', 'qa', 'staging', 'prod'], 'dev, qa, staging, prod', 'deploy/overlays/{dev,qa,staging,prod}'],
    [['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], 'dev, staging, production', 'default'],
  ])('overlays %j: %s (%s)', (names, environments, source) => {
    const overlays = names.map((environment) => ({ environment, folder: `deploy/overlays/${environment}` }));
    const found = environmentsOf(overlays);
    expect(found.value.join(', ')).toBe(environments);
    expect(found.source).toBe(source);
  });

  test('a caller workflow through two environments passes the workflow checks', async () => {
    const { content } = renderCallerWorkflow({
      workflow: `acme/shiprail/.github/workflows/deploy.yml@${'a'.repeat(40)}`,
      defaultBranch: 'main',
      imagePrefix: { value: 'ghcr.io/acme', source: 'deploy/base/api.yaml:16' },
      overlays: { value: 'deploy/overlays/{environment}', source: 'deploy/overlays/dev' },
      environments: { value: ['dev', 'prod'], source: 'deploy/overlays/{dev,prod}' },
      smoke: true,
    });
    expect(content).toContain('      environments: dev, prod # deploy/overlays/{dev,prod}\n');
    expect(content).toContain(
      '      base-urls: |\n        dev: ${{ vars.BASE_URL_DEV }}\n        prod: ${{ vars.BASE_URL_PROD }}\n',
    );
    expect(await callerWorkflowProblems(content)).toEqual([]);
  });
});

describe('builders without a Dockerfile', () => {
  const skaffold = (builder: string): string =>
    `apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: ads\n      context: ads\n      ${builder}: {}\n`;

  test.each([
    [
      'jib',
      { 'ads/pom.xml': '<project/>', 'ads/mvnw': '' },
      'build: "./mvnw compile jib:buildTar -Djib.outputPaths.tar=\\"$IMAGE_OUTPUT\\"" # skaffold.yaml:7 (jib), ads/pom.xml',
    ],
    [
      'jib',
      { 'ads/build.gradle.kts': '' },
      'build: "gradle jibBuildTar -Djib.outputPaths.tar=\\"$IMAGE_OUTPUT\\"" # skaffold.yaml:7 (jib), ads/build.gradle.kts',
    ],
  ])('%s with %j: the manifest says how it is built', async (builder, buildFiles, line) => {
    const plan = await planInit(new MemoryFiles({ 'skaffold.yaml': skaffold(builder), ...buildFiles }), context);
    expect(plan.files.find((file) => file.path === '.github/services.yml')?.content).toContain(`    ${line}\n`);
    expect(plan.toAdd.join('\n')).not.toContain('services.ads: built with');
  });

  test.each([
    ['jib', 'build: ./mvnw compile jib:buildTar -Djib.outputPaths.tar="$IMAGE_OUTPUT"'],
    ['ko', 'build: KO_DOCKER_REPO=ko.local ko build --push=false --oci-layout-path="$IMAGE_OUTPUT" .'],
    ['buildpacks', 'build: pack build ads --path .'],
  ])('%s with nothing to derive a command from: the exact line to add', async (builder, line) => {
    const plan = await planInit(new MemoryFiles({ 'skaffold.yaml': skaffold(builder) }), context);
    const manifest = plan.files.find((file) => file.path === '.github/services.yml')?.content ?? '';
    expect(manifest).toContain(`# built with ${builder} (skaffold.yaml:7): no Dockerfile, add build:`);
    expect(plan.toAdd.find((added) => added.startsWith('.github/services.yml services.ads: built with'))).toContain(
      `add \`${line}`,
    );
  });
});
