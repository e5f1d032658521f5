// runDetectChangedServices in-process, with the recording runtime: the same decisions as the bundle, without a process.
import { ConfigurationError } from '@shiprail/core';
import {
  buildMatcher,
  parseManifest,
  renderSummary,
  runDetectChangedServices,
  selectAll,
  selectServices,
} from '@shiprail/detect-changed-services';
import { join } from 'node:path';
import { createTestRuntime } from '@shiprail/testkit';
import { createSampleMonorepo } from '@shiprail/rehearsal';
import { eventPayload, MANIFEST, removeTemporaryDirectories, Repo, temporaryDirectory } from './repo.ts';

afterAll(removeTemporaryDirectories);

describe('runDetectChangedServices', () => {
  test('sets every output and writes the summary', async () => {
    const sample = await createSampleMonorepo(join(temporaryDirectory(), 'shop'));
    const runtime = createTestRuntime({
      github: {
        workspace: sample.path,
        eventName: 'push',
        payload: eventPayload('push', { before: sample.base, after: sample.head }),
        defaultBranch: 'main',
      },
    });
    await runDetectChangedServices(runtime);
    const { matrix, ...rest } = runtime.outputs;
    expect(rest).toEqual({
      services: '["api","worker"]',
      'any-changed': 'true',
      all: 'false',
      base: sample.base,
      head: sample.head,
    });
    expect(matrix).toMatch(/^\{"include":\[\{"service":"api",/);
    expect(runtime.summaries).toHaveLength(1);
    expect(runtime.logs).toContain('Selected 2 of 3 services');
    expect(runtime.warnings).toEqual([]);
  });

  test('an event without commits warns and selects every service', async () => {
    const sample = await createSampleMonorepo(join(temporaryDirectory(), 'shop'));
    const runtime = createTestRuntime({ github: { workspace: sample.path, eventName: 'release', payload: {} } });
    await runDetectChangedServices(runtime);
    expect(runtime.outputs).toMatchObject({ services: '["api","web","worker"]', all: 'true', base: '' });
    expect(runtime.warnings).toEqual([
      'Selected every service: the release event names no commits to compare (give the base input to compare)',
    ]);
  });

  test('a working directory that does not exist is an input mistake', async () => {
    const runtime = createTestRuntime({
      inputs: { 'working-directory': 'missing' },
      github: { workspace: temporaryDirectory() },
    });
    await expect(runDetectChangedServices(runtime)).rejects.toThrow(ConfigurationError);
    expect(runtime.outputs).toEqual({});
  });
});

const manifest = await parseManifest(MANIFEST, '.github/services.yml');

describe('renderSummary', () => {
  test('escapes reasons and folds the services not selected', () => {
    const selection = selectServices(manifest, buildMatcher(manifest), ['services/worker/a|b<c>.ts'], {
      includeDependents: true,
    });
    const summary = renderSummary({
      manifest,
      comparison: { kind: 'diff', base: 'a'.repeat(40), head: 'b'.repeat(40), label: 'push to main' },
      selection,
      changedFiles: 1,
    });
    expect(summary).toContain('Compared `aaaaaaa`..`bbbbbbb` (push to main): 1 changed file.');
    expect(summary).toContain('| `worker` | worker | statefulset/worker | services/worker/a\\|b&lt;c&gt;.ts |');
    expect(summary).toContain('<details><summary>Not selected (2)</summary>');
  });

  test('shows the warning when every service was selected for want of a comparison', () => {
    const warning = 'Selected every service: no merge base';
    const summary = renderSummary({
      manifest,
      comparison: { kind: 'all', head: 'b'.repeat(40), reason: 'every service: no merge base', warning },
      selection: selectAll(manifest, 'every service: no merge base'),
      changedFiles: 0,
    });
    expect(summary).toContain('No comparison: every service: no merge base.');
    expect(summary).toContain(`> [!WARNING]\n> ${warning}`);
    expect(summary).not.toContain('Not selected');
  });
});

describe('discovery without a manifest', () => {
  test('finds the nested Dockerfile, names the matched folder, and warns of folders without one', async () => {
    const repo = Repo.create();
    const base = repo.commit('services', {
      'src/cart/src/Dockerfile': 'FROM scratch\n',
      'src/cart/src/main.go': 'package main\n',
      'src/email/Dockerfile': 'FROM scratch\n',
      'src/docs/README.md': '# docs\n',
    });
    const head = repo.commit('change cart', { 'src/cart/src/main.go': 'package main // changed\n' });
    const runtime = createTestRuntime({
      inputs: { discover: 'src/*' },
      github: { workspace: repo.path, eventName: 'push', payload: eventPayload('push', { before: base, after: head }) },
    });
    await runDetectChangedServices(runtime);
    expect(runtime.outputs['services']).toBe('["cart"]');
    expect(runtime.logs).toContain(
      'Discovered 2 service(s) with src/*: cart (src/cart/src/Dockerfile), email (src/email/Dockerfile)',
    );
    expect(runtime.warnings).toEqual([
      "discover 'src/*' matched 1 folder(s) with no Dockerfile at any depth, not services: src/docs",
    ]);
  });
});
