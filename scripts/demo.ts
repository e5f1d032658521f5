// The whole pipeline on one machine, in the reusable workflow's order, with the bundled actions run as
// the GitHub runner runs them: detect → build and push → scan → GitOps bump → rollout → smoke test →
// canary analysis. Everything it starts listens on 127.0.0.1 and is stopped at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/action-metadata.ts';
import { runAction, type ActionRun, type RunActionOptions } from '@shiprail/rehearsal/harness';
import { createSampleMonorepo } from '@shiprail/rehearsal/sample-monorepo';
import { startRegistry } from '@shiprail/rehearsal/registry';
import { createGitopsRemote } from '@shiprail/rehearsal/gitops-repo';
import { startKubeApiServer } from '@shiprail/rehearsal/kube-api-server';
import { deploymentRollout, playScenario, seedDeployment } from '@shiprail/rehearsal/kube-scenarios';
import { startSampleService } from '@shiprail/rehearsal/sample-service';
import { CANARY_METRICS_YAML, canaryOpenMetrics, startPrometheus } from '@shiprail/rehearsal/prometheus';

interface StageResult {
  stage: string;
  outcome: 'ok' | 'failed' | 'skipped';
  decision: string;
  seconds: number;
}

interface MatrixEntry {
  service: string;
  context: string;
  dockerfile: string;
  image: string;
  resource: string;
  reasons: string[];
}

const has = (program: string): boolean => spawnSync('sh', ['-c', 'command -v "$0"', program]).status === 0;
const work = mkdtempSync(join(tmpdir(), 'shiprail-demo-'));
const cleanups: Array<() => Promise<void>> = [];
const results: StageResult[] = [];
const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

async function stage(
  name: string,
  body: () => Promise<{ decision: string; outcome?: StageResult['outcome'] }>,
): Promise<boolean> {
  console.log(`\n${bold(`▶ ${name}`)}`);
  const started = Date.now();
  try {
    const { decision, outcome = 'ok' } = await body();
    results.push({ stage: name, outcome, decision, seconds: (Date.now() - started) / 1000 });
    console.log(`  ${outcome === 'ok' ? '✔' : outcome === 'skipped' ? '–' : '✘'} ${decision}`);
    return outcome !== 'failed';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.push({ stage: name, outcome: 'failed', decision: message, seconds: (Date.now() - started) / 1000 });
    console.log(`  ✘ ${message}`);
    return false;
  }
}

/** Runs a bundled action and fails the stage with the action's own error lines when it fails. */
async function action(id: string, options: RunActionOptions): Promise<ActionRun> {
  const run = await runAction(id, options);
  if (run.exitCode !== 0) {
    const reasons = run.errors.length > 0 ? run.errors.join('; ') : run.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`${id} exited with ${run.exitCode}: ${reasons}`);
  }
  return run;
}

async function main(): Promise<void> {
  let monorepo = { path: '', base: '', head: '' };
  let matrix: MatrixEntry[] = [];
  /** service → the reference every later stage deploys (`image@digest`, or a tag in dry-run). */
  const references = new Map<string, string>();
  /** service → the image repository (what overlays and Deployments name). */
  const repositories = new Map<string, string>();

  const detected = await stage('detect-changed-services', async () => {
    monorepo = await createSampleMonorepo(join(work, 'monorepo'));
    const run = await action('detect-changed-services', {
      workspace: monorepo.path,
      eventName: 'push',
      sha: monorepo.head,
      ref: 'refs/heads/main',
      event: {
        ref: 'refs/heads/main',
        before: monorepo.base,
        after: monorepo.head,
        repository: { full_name: 'acme/shop', default_branch: 'main' },
      },
    });
    matrix = (JSON.parse(run.outputs['matrix'] ?? '{"include":[]}') as { include: MatrixEntry[] }).include;
    const why = matrix.map((entry) => `${entry.service} (${entry.reasons.join(', ')})`).join('; ');
    return { decision: `libs/common changed → ${matrix.length} of 3 services: ${why}` };
  });
  if (!detected || matrix.length === 0) return;

  await stage('build-push', async () => {
    const real = has('buildah') && has('docker-registry');
    const registry = real ? await startRegistry() : undefined;
    if (registry) cleanups.push(() => registry.stop());
    const prefix = registry ? `${registry.host}/acme` : 'ghcr.io/acme';
    // Image layers go to the demo's own folder, so that nothing is left behind in the machine's storage.
    const storageConf = join(work, 'storage.conf');
    const storage = join(work, 'containers');
    writeFileSync(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/root"\nrunroot = "${storage}/run"\n`,
    );
    const built: string[] = [];
    for (const entry of matrix) {
      const image = `${prefix}/${entry.image}`;
      repositories.set(entry.service, image);
      const run = await action('build-push', {
        workspace: monorepo.path,
        sha: monorepo.head,
        ref: 'refs/heads/main',
        eventName: 'push',
        event: { repository: { default_branch: 'main' } },
        env: { CONTAINERS_STORAGE_CONF: storageConf },
        inputs: {
          image,
          context: entry.context,
          dockerfile: entry.dockerfile,
          ...(real ? { builder: 'buildah' } : { 'dry-run': 'true' }),
        },
      });
      const digest = run.outputs['digest'] ?? '';
      const firstTag = (run.outputs['tags'] ?? '').split('\n')[0] ?? image;
      references.set(entry.service, digest === '' ? firstTag : `${image}@${digest}`);
      built.push(digest === '' ? firstTag : `${entry.image}@${digest.slice(0, 19)}…`);
    }
    if (!real) {
      return {
        outcome: 'skipped',
        decision: `dry-run (install Debian's buildah and docker-registry to build and push): ${built.join(', ')}`,
      };
    }
    return { decision: `built with buildah and pushed to ${registry?.url ?? ''}: ${built.join(', ')}` };
  });

  await stage('trivy-gate', async () => {
    const report = join(repoRoot, 'test', 'fixtures', 'trivy-reports', 'ubuntu-1804.json');
    const run = await action('trivy-gate', { workspace: work, inputs: { report, severity: 'CRITICAL,HIGH' } });
    const counts = run.outputs['counts'] ?? '{}';
    return {
      decision: `passed=${run.outputs['passed'] ?? '?'} blocking=${run.outputs['blocking'] ?? '?'} on a shipped Trivy report ${counts}`,
    };
  });

  const gitops = await createGitopsRemote({
    directory: join(work, 'gitops'),
    registry: (repositories.get(matrix[0]?.service ?? '') ?? 'ghcr.io/acme/x').replace(/\/[^/]+$/, ''),
  });
  const images = matrix.map((entry) => references.get(entry.service) ?? '').filter((ref) => ref !== '');
  await stage('kustomize-bump', async () => {
    const run = await action('kustomize-bump', {
      workspace: work,
      inputs: { repository: gitops.remoteUrl, overlays: 'overlays/dev', images: images.join('\n') },
    });
    const commit = (run.outputs['commit'] ?? '').slice(0, 7);
    return {
      decision: `changed=${run.outputs['changed'] ?? '?'}: one commit ${commit} sets ${images.length} images in overlays/dev`,
    };
  });

  await stage('rollout-wait', async () => {
    const server = await startKubeApiServer();
    cleanups.push(() => server.stop());
    const scenarios = matrix.map((entry) => {
      const to = references.get(entry.service) ?? '';
      const name = entry.resource.split('/').pop() ?? entry.service;
      seedDeployment(server, name, `${repositories.get(entry.service) ?? entry.image}:0.1.0`);
      return deploymentRollout({ name, from: `${repositories.get(entry.service) ?? ''}:0.1.0`, to, stepMs: 400 });
    });
    // The controller rolls the Deployments out while the action watches.
    const rollouts = Promise.all(scenarios.map((steps) => playScenario(server, steps)));
    const run = await action('rollout-wait', {
      workspace: work,
      inputs: {
        kubeconfig: server.kubeconfig,
        resources: matrix.map((entry) => entry.resource).join('\n'),
        images: images.join('\n'),
        timeout: '60s',
      },
    });
    await rollouts;
    const resources = JSON.parse(run.outputs['resources'] ?? '[]') as Array<{ resource: string; message: string }>;
    return {
      decision: `result=${run.outputs['result'] ?? '?'}: ${resources.map((r) => `${r.resource}: ${r.message}`).join(' | ')}`,
    };
  });

  await stage('smoke-test', async () => {
    const service = await startSampleService({ version: '1.4.0' });
    cleanups.push(() => service.stop());
    const run = await action('smoke-test', {
      workspace: work,
      inputs: { checks: join(repoRoot, 'test', 'fixtures', 'smoke', 'checks.yml'), 'base-url': service.url },
    });
    const checks = JSON.parse(run.outputs['results'] ?? '[]') as Array<{ ok: boolean }>;
    return {
      decision: `passed=${run.outputs['passed'] ?? '?'}: ${checks.filter((c) => c.ok).length}/${checks.length} checks`,
    };
  });

  await stage('canary-analyze', async () => {
    if (!has('prometheus') || !has('promtool')) {
      return { outcome: 'skipped', decision: "skipped: install Debian's prometheus to judge a canary on real data" };
    }
    const prometheus = await startPrometheus({ openMetrics: canaryOpenMetrics({ minutes: 30 }) });
    cleanups.push(() => prometheus.stop());
    const metrics = join(work, 'canary.yml');
    writeFileSync(metrics, CANARY_METRICS_YAML);
    const run = await action('canary-analyze', {
      workspace: work,
      inputs: {
        'prometheus-url': prometheus.url,
        metrics,
        baseline: 'app="healthy",track="stable"',
        canary: 'app="healthy",track="canary"',
        duration: '0',
        interval: '10m',
      },
    });
    return { decision: `decision=${run.outputs['decision'] ?? '?'} score=${run.outputs['score'] ?? '?'}` };
  });
}

const started = Date.now();
try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

const width = Math.max(...results.map((result) => result.stage.length));
console.log(`\n${bold('Pipeline summary')}`);
for (const result of results) {
  const mark = result.outcome === 'ok' ? '✔' : result.outcome === 'skipped' ? '–' : '✘';
  console.log(`${mark} ${result.stage.padEnd(width)}  ${result.seconds.toFixed(1).padStart(5)}s  ${result.decision}`);
}
console.log(`\n${((Date.now() - started) / 1000).toFixed(1)}s in all.`);
if (results.some((result) => result.outcome === 'failed')) process.exitCode = 1;
