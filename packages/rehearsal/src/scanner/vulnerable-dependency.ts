// The vulnerable-image scenarios' change: an image gains Alpine 3.9's musl at 1.1.20-r4, which has
// a critical vulnerability (CVE-2019-14697, fixed in 1.1.20-r5), as its package database and release file
// say. Trivy, or the recorded reports, find it in the built image.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

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
 * The files of a commit giving the image its Dockerfile builds that runtime: the runtime's files in a
 * `runtime/` folder beside the Dockerfile (read from `repository`), which gains a COPY of them from its
 * build `context` (both repository paths, `.` for its root).
 */
export function vulnerableRuntimeCommit(
  repository: string,
  image: { dockerfile: string; context: string },
): Record<string, string> {
  const runtime = posix.join(posix.dirname(image.dockerfile), 'runtime');
  const text = readFileSync(join(repository, image.dockerfile), 'utf8');
  return {
    [`${runtime}/etc/alpine-release`]: '3.9.4\n',
    [`${runtime}/lib/apk/db/installed`]: APK_INSTALLED,
    [image.dockerfile]: `${text.endsWith('\n') ? text : `${text}\n`}COPY ${posix.relative(image.context, runtime)}/ /\n`,
  };
}
