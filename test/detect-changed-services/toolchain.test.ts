// The toolchain a service declares in its own files, read from fixture services of each kind, and the
// manifest's `toolchain` key winning over them.
import { detectToolchain, NO_TOOLCHAIN, type Toolchain } from '@shiprail/detect-changed-services';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'toolchains');
const reader = (service: string) => (name: string) => {
  const file = join(FIXTURES, service, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

test.each<[string, Partial<Toolchain>]>([
  ['go-toolchain', { go: '1.26.1' }],
  ['go-plain', { go: '1.26' }],
  ['node-nvmrc', { node: '22.12.0' }],
  ['node-engines', { node: '>=20 <23' }],
  ['dotnet', { dotnet: '10.0.100' }],
  ['python-version', { python: '3.13' }],
  ['python-pyproject', { python: '>=3.12' }],
  ['java-maven', { java: '21' }],
  ['java-gradle', { java: '17' }],
  ['java-version', { java: '25' }],
  ['rust', { rust: '1.83.0' }],
  ['none', {}],
])('%s declares %j', (service, expected) =>
  expect(detectToolchain({}, reader(service))).toEqual({ ...NO_TOOLCHAIN, ...expected }),
);

test("the manifest's toolchain wins; a declared file that is not a version is left out", () =>
  expect(detectToolchain({ go: '1.26' }, reader('declared'))).toEqual({ ...NO_TOOLCHAIN, go: '1.26' }));
