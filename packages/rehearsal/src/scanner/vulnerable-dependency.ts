// The vulnerable-image scenario's change: a service's image gains Alpine 3.9's musl at 1.1.20-r4, which has
// a critical vulnerability (CVE-2019-14697, fixed in 1.1.20-r5), as its package database and release file
// say. Trivy, or the recorded reports, find it in the built image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The apk database entry, as apk writes it (the fields Trivy's analyzer reads and a few more). */
const APK_INSTALLED = `P:musl
V:1.1.20-r4
A:x86_64
T:the musl c library (libc) implementation
U:http://www.musl-libc.org/
L:MIT
o:musl
F:lib
R:libc.musl-x86_64.so.1
R:ld-musl-x86_64.so.1

`;

/**
 * The files of a commit giving `service`'s image that runtime: the runtime's files under
 * `services/<service>/runtime/`, and its Dockerfile (read from `repository`) copying them into the image.
 */
export function vulnerableRuntimeCommit(repository: string, service: string): Record<string, string> {
  const dockerfile = `services/${service}/Dockerfile`;
  const text = readFileSync(join(repository, dockerfile), 'utf8');
  return {
    [`services/${service}/runtime/etc/alpine-release`]: '3.9.4\n',
    [`services/${service}/runtime/lib/apk/db/installed`]: APK_INSTALLED,
    [dockerfile]: `${text.endsWith('\n') ? text : `${text}\n`}COPY runtime/ /\n`,
  };
}
