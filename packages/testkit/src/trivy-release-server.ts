// Serves Trivy-style release archives on 127.0.0.1 (`/v<version>/<archive>`), for the trivy-gate tests and
// the demo. Also builds a stand-in Trivy archive whose `trivy` executable copies a given report to the
// path after `--output` and records its argument vector.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenOnLoopback } from '@shiprail/rehearsal/servers';

export interface ReleaseServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/** Serves `files` (URL path -> content); anything else is 404. */
export async function startReleaseServer(files: ReadonlyMap<string, Buffer>): Promise<ReleaseServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
  });
  return { ...(await listenOnLoopback(server)), requests };
}

/**
 * A POSIX shell stand-in for Trivy: writes its arguments (one per line) to $FAKE_TRIVY_ARGS, then copies
 * $FAKE_TRIVY_REPORT to the file named after `--output`.
 */
const FAKE_TRIVY = `#!/bin/sh
if [ -n "$FAKE_TRIVY_ARGS" ]; then printf '%s\\n' "$@" > "$FAKE_TRIVY_ARGS"; fi
output=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then output="$2"; fi
  shift
done
if [ -z "$FAKE_TRIVY_REPORT" ] || [ -z "$output" ]; then echo "fake trivy: nothing to write" >&2; exit 2; fi
cp "$FAKE_TRIVY_REPORT" "$output"
`;

export interface FakeArchive {
  /** File name as Trivy names its release archives. */
  name: string;
  content: Buffer;
  sha256: string;
}

/** Builds `trivy_<version>_<platform>.tar.gz` holding the stand-in `trivy` (and a LICENSE, as releases do). */
export async function makeFakeTrivyArchive(
  workDir: string,
  version: string,
  platform = 'Linux-64bit',
): Promise<FakeArchive> {
  const staging = join(workDir, `staging-${version}-${platform}`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'trivy'), FAKE_TRIVY);
  chmodSync(join(staging, 'trivy'), 0o755);
  writeFileSync(join(staging, 'LICENSE'), 'stand-in archive for tests\n');
  const name = `trivy_${version}_${platform}.tar.gz`;
  const archivePath = join(workDir, name);
  await promisify(execFile)('tar', ['-czf', archivePath, '-C', staging, 'trivy', 'LICENSE']);
  const content = readFileSync(archivePath);
  return { name, content, sha256: createHash('sha256').update(content).digest('hex') };
}
