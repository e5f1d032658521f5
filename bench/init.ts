// `shiprail init` on a generated monorepo of 500 services (Go services with Dockerfiles, a shared library
// through go.mod replace directives, a kustomize base with a Deployment and readiness probe per service),
// the whole process as a user runs it (the bundle, under Node 24, `--dry-run` so that every round does
// the same work: everything but writing the files), against the floor: a Node process that lists the same
// tree and reads every file once. Both are measured in the same run, interleaved.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { median, timeNode, type Timing } from './lib/timing.ts';

const SERVICES = 500;
const ROUNDS = 5;

function generate(root: string): number {
  const files = new Map<string, string>();
  files.set('libs/common/go.mod', 'module example.com/shop/common\n\ngo 1.23\n');
  files.set('libs/common/common.go', 'package common\n');
  const resources: string[] = [];
  for (let index = 0; index < SERVICES; index += 1) {
    const name = `svc-${String(index).padStart(3, '0')}`;
    files.set(
      `services/${name}/Dockerfile`,
      `FROM golang:1.23 AS build\nCOPY . .\nRUN go build -o /${name} .\nFROM gcr.io/distroless/static\nCOPY --from=build /${name} /${name}\nENTRYPOINT ["/${name}"]\n`,
    );
    files.set(
      `services/${name}/go.mod`,
      `module example.com/shop/${name}\n\ngo 1.23\n\nrequire example.com/shop/common v0.0.0\n\nreplace example.com/shop/common => ../../libs/common\n`,
    );
    files.set(`services/${name}/main.go`, 'package main\n\nfunc main() {}\n');
    files.set(`services/${name}/handler.go`, 'package main\n\nfunc handle() {}\n');
    files.set(
      `k8s/base/${name}.yaml`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels: { app: ${name} }\n  template:\n    metadata:\n      labels: { app: ${name} }\n    spec:\n      containers:\n        - name: server\n          image: ghcr.io/acme/${name}:1.0.0\n          readinessProbe:\n            httpGet: { path: /healthz, port: 8080 }\n`,
    );
    resources.push(`  - ${name}.yaml`);
  }
  files.set(
    'k8s/base/kustomization.yaml',
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.join('\n')}\n`,
  );
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return files.size;
}

// Lists the tree and reads every file once: what any tool reading this repository must at least do.
const FLOOR = `
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
let bytes = 0;
const walk = (folder) => {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) walk(path);
    else bytes += readFileSync(path).length;
  }
};
walk(process.argv[1]);
`;

const root = mkdtempSync(join(tmpdir(), 'init-bench-'));
try {
  const fileCount = generate(root);
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: root };
  const bundle = join(repoRoot, 'dist', 'cli', 'index.js');
  const targets = [
    { label: 'reading every file once (the floor)', args: ['-e', FLOOR, root] },
    { label: `shiprail init --dry-run (${SERVICES} services)`, args: [bundle, 'init', root, '--dry-run'] },
  ];
  for (const target of targets) timeNode(target.args, { env }); // warm the file cache
  const samples = targets.map(() => [] as Timing[]);
  for (let round = 0; round < ROUNDS; round += 1) {
    targets.forEach((target, index) => samples[index]?.push(timeNode(target.args, { env })));
  }
  const [floor, init] = samples.map((runs) => ({
    wallMs: median(runs.map((run) => run.wallMs)),
    cpuMs: median(runs.map((run) => run.cpuMs)),
  }));
  console.log(`${SERVICES} services, ${fileCount} files; median of ${ROUNDS} rounds\n`);
  for (const [index, target] of targets.entries()) {
    const timing = index === 0 ? floor : init;
    console.log(
      `${target.label.padEnd(48)} wall ${timing?.wallMs.toFixed(0).padStart(6)} ms   cpu ${timing?.cpuMs.toFixed(0).padStart(6)} ms`,
    );
  }
  if (floor !== undefined && init !== undefined) {
    console.log(
      `\ninit / floor: ${(init.wallMs / floor.wallMs).toFixed(1)}x wall, ${(init.cpuMs / floor.cpuMs).toFixed(1)}x cpu (kubectl kustomize included)`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
