// Running a program that talks to a server under a deadline: it and what it started are killed when time is up.
import { MAX_TIMER_MS } from './duration.ts';
import { DeadlineError } from './network.ts';
import type { ExecOptions, ExecResult } from './runtime.ts';

/**
 * Runs a program that talks to a server under a deadline: when it passes, the program and everything it
 * started (its process group: git's remote helpers, ssh) are killed, and the promise rejects with a
 * DeadlineError. @actions/exec cannot stop a program, hence node's spawn here. node:child_process is loaded
 * on first use: a step that stops at its inputs runs no program.
 */
export function execWithDeadline(
  program: string,
  args: readonly string[],
  options: ExecOptions & { deadline: NonNullable<ExecOptions['deadline']> },
): Promise<ExecResult> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const { ms, what } = options.deadline;
  const group = process.platform !== 'win32';
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: group,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    let expired = false;
    const kill = (): void => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already: the program itself may not be
      }
    };
    const timer = setTimeout(
      () => {
        expired = true;
        kill();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    options.signal?.addEventListener('abort', kill, { once: true });
    if (options.signal?.aborted === true) kill();
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      if (options.signal?.aborted === true) return reject(new Error(`${what}: stopped`));
      if (expired) return reject(new DeadlineError(what, ms));
      const result = {
        exitCode: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (result.exitCode !== 0 && options.allowFailure !== true) {
        const detail = result.stderr.trim().split('\n').slice(-5).join('\n');
        return reject(new Error(`${program} exited with code ${result.exitCode}${detail ? `: ${detail}` : ''}`));
      }
      resolve(result);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
