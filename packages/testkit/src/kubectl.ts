// Runs the real kubectl against a test API server: asynchronously (the server answers from the same
// process), with its own discovery cache, and the time it exited.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Date.now() when the process exited. */
  exitedAt: number;
}

/** kubectl's discovery cache, one per process: made on first use, removed when the process exits. */
let cacheDir: string | undefined;
function discoveryCache(): string {
  if (cacheDir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    cacheDir = made;
  }
  return cacheDir;
}

export function kubectl(kubeconfigPath: string, args: readonly string[], timeoutMs = 60_000): Promise<KubectlRun> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath, '--cache-dir', discoveryCache(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 137, stdout, stderr, exitedAt: Date.now() });
    }),
  );
}

/** How a `kubectl rollout status` run ended. */
export type RolloutVerdict = 'success' | 'failed' | 'timeout';

export function rolloutStatusVerdict(run: KubectlRun): RolloutVerdict {
  if (run.exitCode === 0) return 'success';
  return run.stderr.includes('timed out waiting for the condition') ? 'timeout' : 'failed';
}

/** What kubectl said went wrong: its `error: ` line, without the prefix. */
export function kubectlErrorLine(run: KubectlRun): string | undefined {
  return run.stderr
    .split('\n')
    .find((line) => line.startsWith('error: '))
    ?.slice('error: '.length);
}
