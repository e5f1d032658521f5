// Installs the Debian packages the demo or the tests run for real when they are missing and this process
// may (root, or password-less sudo, on Debian or Ubuntu); otherwise prints the command and fails.
//   node scripts/prerequisites.ts [tests|demo]
import { ensurePrerequisites } from '@shiprail/rehearsal/prerequisites';

const purpose = process.argv[2] ?? 'tests';
if (purpose !== 'tests' && purpose !== 'demo') {
  console.error('usage: prerequisites.ts [tests|demo]');
  process.exitCode = 2;
} else if (!ensurePrerequisites(purpose)) {
  process.exitCode = 1;
}
