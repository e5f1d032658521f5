// The schema gate on 500 rendered objects (100 services: Deployment, Service, ConfigMap, ServiceAccount,
// HorizontalPodAutoscaler) against rendering alone: `kubectl kustomize` of the same overlay, same run.
// Measured twice: in process (parse + validate, schemas loaded), and as the runner pays it, the bundled
// action in `mode: check` (Node's start, the render, loading the schemas, the gate), by CPU time too.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchemaCatalog } from '../packages/kustomize-bump/src/schema/catalog.ts';
import { validateRendered } from '../packages/kustomize-bump/src/schema/validate.ts';
import { runBundledAction } from '@shiprail/rehearsal/workflow';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { median, timeCommand, timeNode, type Timing } from './lib/timing.ts';

const SERVICES = 100;
const RUNS = 5;

function service(name: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: server
          image: ghcr.io/acme/${name}:1.0.0
          ports: [{name: http, containerPort: 8080}]
          env: [{name: MODE, value: production}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
          envFrom: [{configMapRef: {name: ${name}}}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
          readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
          securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${name}}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}}
data: {LOG_LEVEL: info, FEATURE_FLAGS: "a,b,c"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${name}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
`;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

const root = await mkdtemp(join(tmpdir(), 'bench-schema-gate-'));
try {
  const names = Array.from({ length: SERVICES }, (_, index) => `svc${String(index).padStart(3, '0')}`);
  await mkdir(join(root, 'overlay'));
  await writeFile(join(root, 'overlay', 'all.yaml'), names.map(service).join('---\n'));
  await writeFile(join(root, 'overlay', 'kustomization.yaml'), 'resources:\n  - all.yaml\nnamespace: shop\n');

  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
  const renderAlone = (): Timing =>
    timeCommand('kubectl', ['kustomize', '--', join(root, 'overlay')], { cwd: root, env });
  const summary = join(root, 'summary.md');
  const outputs = join(root, 'outputs');
  const checkEnv = {
    ...env,
    GITHUB_WORKSPACE: root,
    GITHUB_OUTPUT: outputs,
    GITHUB_STEP_SUMMARY: summary,
    INPUT_MODE: 'check',
    INPUT_OVERLAYS: 'overlay',
    INPUT_IMAGES: '',
  };
  await writeFile(summary, '');
  await writeFile(outputs, '');
  const bundled = join(repoRoot, 'dist', 'kustomize-bump', 'index.js');
  const checkBundled = (): Timing => timeNode([bundled], { cwd: root, env: checkEnv });

  // The bundled check passes on these objects (its timings below would not tell a failure).
  const check = await runBundledAction('kustomize-bump', {
    inputs: { mode: 'check', overlays: 'overlay', images: '' },
    env: { GITHUB_WORKSPACE: root },
    cwd: root,
  });
  if (check.exitCode !== 0) throw new Error(`the bundled check failed: ${check.errors.join('; ')}`);
  timeNode([bundled], { cwd: root, env: checkEnv });
  if (!(await readFile(summary, 'utf8')).includes('Every rendered object of 1 overlays is valid')) {
    throw new Error('the bundled check, run as timed, did not validate the overlay');
  }

  const renders: Timing[] = [];
  const checks: Timing[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    renders.push(renderAlone());
    checks.push(checkBundled());
  }
  const manifests = execFileSync('kubectl', ['kustomize', '--', join(root, 'overlay')], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const catalog = await loadSchemaCatalog('1.36');
  const gates: number[] = [];
  let report = validateRendered(catalog, manifests);
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    report = validateRendered(catalog, manifests);
    gates.push(performance.now() - started);
  }
  if (report.validated !== SERVICES * 5 || report.invalid.length > 0) {
    throw new Error(`expected ${SERVICES * 5} valid objects, got ${JSON.stringify(report).slice(0, 400)}`);
  }

  const wall = (timings: Timing[]): number => median(timings.map((timing) => timing.wallMs));
  const cpu = (timings: Timing[]): number => median(timings.map((timing) => timing.cpuMs));
  const gate = median(gates);
  console.log(`objects rendered and validated: ${report.validated} (medians of ${RUNS})`);
  console.log(`floor, kubectl kustomize alone:       wall ${ms(wall(renders))}, CPU ${ms(cpu(renders))}`);
  console.log(`gate in process (parse + validate):   wall ${ms(gate)}`);
  console.log(`bundled action, mode check:           wall ${ms(wall(checks))}, CPU ${ms(cpu(checks))}`);
  console.log(`ratio gate in process / render:       ${(gate / wall(renders)).toFixed(2)} (wall)`);
  console.log(
    `ratio bundled check / render:         ${(wall(checks) / wall(renders)).toFixed(2)} (wall), ` +
      `${(cpu(checks) / cpu(renders)).toFixed(2)} (CPU)`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
