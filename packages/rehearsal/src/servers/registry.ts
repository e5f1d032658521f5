// A real Distribution registry (Debian's `docker-registry`) on 127.0.0.1 for tests and the demo:
// storage and config in a temporary directory, optional htpasswd basic auth, a random free port.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from './loopback.ts';

export interface RegistryOptions {
  /** Require HTTP basic auth with this user (bcrypt htpasswd file, as `htpasswd -Bbn` writes it). */
  htpasswd?: { user: string; password: string };
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The root directory of its storage (a registry-snapshot.ts snapshot is copied into it). */
  dataDirectory: string;
  stop(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const directory = mkdtempSync(join(tmpdir(), 'registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const dataDirectory = join(directory, 'data');
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDirectory}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (options.htpasswd) {
    const entry = execFileSync('htpasswd', ['-Bbn', options.htpasswd.user, options.htpasswd.password], {
      encoding: 'utf8',
    });
    writeFileSync(join(directory, 'htpasswd'), entry, { mode: 0o600 });
    lines.push('auth:', '  htpasswd:', '    realm: test-registry', `    path: ${join(directory, 'htpasswd')}`);
  }
  const config = join(directory, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${host}`;
  const started = await waitForHttp(`${url}/v2/`, {
    timeoutMs: 15_000,
    isReady: (status) => status === 200 || status === 401,
  });
  if (started !== 'ready') {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`registry at ${url} did not start: ${stderr}`);
  }
  return {
    host,
    url,
    dataDirectory,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
