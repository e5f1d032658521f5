// The fresh-machine path of `npm test` and `npm run demo`: the decision from a table of machines, then
// scripts/prerequisites.ts run for real with a PATH whose apt-get and sudo record what they are asked.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import {
  findProgram,
  installCommand,
  isDebianLike,
  missingPrerequisites,
  PREREQUISITES,
  planPrerequisites,
  type Machine,
  type Prerequisite,
} from '@shiprail/rehearsal/prerequisites';

// Node 24 runs the TypeScript script as npm does.
const node24 = join(repoRoot, 'node_modules', 'node', 'bin', 'node');

const entry = (provides: string): Prerequisite => {
  const found = PREREQUISITES.find((item) => item.provides === provides);
  if (!found) throw new Error(`no prerequisite provides ${provides}`);
  return found;
};
const missing = [entry('buildah'), entry('prometheus'), entry('promtool'), entry('kubectl')];
const packages = ['buildah', 'prometheus', 'kubernetes-client'];
const debianRoot: Machine = { missing, root: true, debian: true, passwordlessSudo: false };

test.each<[string, 'demo' | 'tests', string[], string[]]>([
  ['the demo alone needs no Go', 'demo', [], []],
  ['a scenario that runs Go needs it for the demo', 'demo', ['go'], ['golang-go']],
  ['the tests need Go', 'tests', [], ['golang-go']],
])('%s', (_, purpose, programs, wanted) => {
  // A PATH where only the demo's programs but Go are found, as on a machine without golang-go.
  const found = new Set(PREREQUISITES.filter((item) => item.provides !== 'go').map((item) => item.provides));
  const bin = mkdtempSync(join(tmpdir(), 'prerequisites-'));
  try {
    for (const program of found) if (!program.startsWith('/')) writeFileSync(join(bin, program), '', { mode: 0o755 });
    const lacking = missingPrerequisites(purpose, bin, programs).filter((item) => !item.provides.startsWith('/'));
    expect(lacking.map((item) => item.debianPackage)).toEqual(wanted);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

describe('planPrerequisites', () => {
  test.each<[string, Machine, ReturnType<typeof planPrerequisites>]>([
    ['everything present', { ...debianRoot, missing: [] }, { kind: 'ready' }],
    [
      'root on Debian installs, one update first',
      debianRoot,
      {
        kind: 'install',
        packages,
        commands: [
          ['apt-get', 'update'],
          ['apt-get', 'install', '-y', '--no-install-recommends', ...packages],
        ],
      },
    ],
    [
      'password-less sudo on Debian installs through sudo',
      { ...debianRoot, root: false, passwordlessSudo: true },
      {
        kind: 'install',
        packages,
        commands: [
          ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
          [
            'sudo',
            '-n',
            'env',
            'DEBIAN_FRONTEND=noninteractive',
            'apt-get',
            'install',
            '-y',
            '--no-install-recommends',
            ...packages,
          ],
        ],
      },
    ],
  ])('%s', (_name, machine, expected) => {
    expect(planPrerequisites(machine)).toEqual(expected);
  });

  test.each<[string, Machine, RegExp]>([
    [
      'neither root nor sudo',
      { ...debianRoot, root: false },
      /Install them with:\n {2}sudo apt-get update && sudo apt-get/,
    ],
    [
      'not Debian, even as root',
      { ...debianRoot, debian: false },
      /your system's package manager; on Debian or Ubuntu/,
    ],
    ['not Debian, with sudo', { ...debianRoot, root: false, debian: false, passwordlessSudo: true }, /package manager/],
  ])('%s: the command to run, nothing run', (_name, machine, message) => {
    const plan = planPrerequisites(machine);
    expect(plan.kind).toBe('instruct');
    if (plan.kind !== 'instruct') return;
    expect(plan.message).toMatch(message);
    expect(plan.message).toContain(installCommand(packages));
    expect(plan.message).toContain('promtool (loading the canary metrics): prometheus');
  });
});

test.each([
  ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', true],
  ['NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n', true],
  ['NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n', true],
  ['NAME="Fedora Linux"\nID=fedora\n', false],
  ['NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="not debian"\n', false],
  ['', false],
])('os-release %j is Debian-like: %s', (osRelease, expected) => {
  expect(isDebianLike(osRelease)).toBe(expected);
});

test('findProgram needs an executable file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'find-program-'));
  try {
    writeFileSync(join(directory, 'plain'), '');
    writeFileSync(join(directory, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findProgram('plain', directory)).toBeUndefined();
    expect(findProgram('tool', `/nonexistent:${directory}`)).toBe(join(directory, 'tool'));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

describe('scripts/prerequisites.ts on a machine missing every program', () => {
  const onDebian = existsSync('/etc/os-release') && isDebianLike(readFileSync('/etc/os-release', 'utf8'));
  const root = process.getuid?.() === 0;
  // Every program's package; ca-certificates only when this machine lacks its trust store.
  const allPackages = [
    'git',
    'jq',
    'curl',
    'kubernetes-client',
    'buildah',
    'docker-registry',
    'iproute2',
    'util-linux',
    'prometheus',
    'apache2-utils',
    'openssl',
    ...(existsSync('/etc/ssl/certs/ca-certificates.crt') ? [] : ['ca-certificates']),
    'golang-go',
    'python3-pytest',
    'python3-coverage',
  ];
  let bin = '';
  let record = '';
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'prerequisites-'));
    chmodSync(bin, 0o777);
    record = join(bin, 'record');
    writeFileSync(record, '');
    chmodSync(record, 0o666);
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  /** apt-get that records its arguments and, on install, provides every program. */
  function standInAptGet(installStatus = 0): void {
    const programs = PREREQUISITES.filter((item) => !item.provides.startsWith('/')).map((item) => item.provides);
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh
echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> '${record}'
case "$1" in
  update) echo 'Reading package lists... Done' ;;
  install)
    [ ${installStatus} -eq 0 ] || { echo 'E: Unable to locate package'; exit ${installStatus}; }
    for program in ${programs.join(' ')}; do printf '#!/bin/sh\\n' > '${bin}'/"$program"; /bin/chmod +x '${bin}'/"$program"; done
    echo 'Setting up buildah ...' ;;
esac
`,
      { mode: 0o755 },
    );
  }

  function standInSudo(): void {
    writeFileSync(
      join(bin, 'sudo'),
      `#!/bin/sh\necho "sudo $*" >> '${record}'\n[ "$1" = -n ] && shift\n# sudo's secure_path\nPATH="$PATH:/usr/bin:/bin" exec "$@"\n`,
      {
        mode: 0o755,
      },
    );
  }

  /** Runs the script with only the stand-ins on PATH, as root or as nobody. */
  function runScript(purpose: string, as: 'self' | 'nobody'): { status: number | null; output: string } {
    const result = spawnSync(node24, [join(repoRoot, 'scripts', 'prerequisites.ts'), purpose], {
      env: { PATH: bin, HOME: bin },
      encoding: 'utf8',
      timeout: 30_000,
      ...(as === 'nobody' ? { uid: 65534, gid: 65534 } : {}),
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  const recorded = (): string[] => readFileSync(record, 'utf8').split('\n').filter(Boolean);
  const asRoot = onDebian && root ? test : test.skip;
  const asUser = onDebian ? test : test.skip;
  const user = root ? 'nobody' : 'self';

  asRoot('as root: one apt-get update, then one install of every package, progress shown; then nothing to do', () => {
    standInAptGet();
    const first = runScript('tests', 'self');
    expect(first.output).toContain(`installing the missing Debian packages: ${allPackages.join(' ')}`);
    expect(first.output).toMatch(/\$ apt-get update\nReading package lists\.\.\. Done\n/);
    expect(first.output).toContain('Setting up buildah');
    expect(recorded()).toEqual([
      'apt-get update DEBIAN_FRONTEND=noninteractive',
      `apt-get install -y --no-install-recommends ${allPackages.join(' ')} DEBIAN_FRONTEND=noninteractive`,
    ]);
    expect(first.status).toBe(0);
    const second = runScript('tests', 'self');
    expect(second.output).toBe('');
    expect(second.status).toBe(0);
    expect(recorded()).toHaveLength(2);
  });

  asUser('with password-less sudo: the same through sudo -n', () => {
    standInAptGet();
    standInSudo();
    const run = runScript('demo', user);
    const demoPackages = allPackages.filter(
      (name) => !['golang-go', 'python3-pytest', 'python3-coverage'].includes(name),
    );
    expect(recorded()).toEqual([
      'sudo -n true',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update',
      'apt-get update DEBIAN_FRONTEND=noninteractive',
      `sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${demoPackages.join(' ')}`,
      `apt-get install -y --no-install-recommends ${demoPackages.join(' ')} DEBIAN_FRONTEND=noninteractive`,
    ]);
    expect(run.output).toContain(`The demo runs real programs; installing`);
    expect(run.status).toBe(0);
  });

  asUser('without root or sudo: prints the one command and fails, installing nothing', () => {
    standInAptGet();
    const run = runScript('tests', user);
    expect(run.output).toContain(`Install them with:\n  ${installCommand(allPackages)}\n`);
    expect(run.output).toContain("htpasswd (the registry's credentials): apache2-utils");
    expect(recorded()).toEqual([]);
    expect(run.status).toBe(1);
  });

  asRoot('an install that fails ends the run with the command to retry', () => {
    standInAptGet(100);
    const run = runScript('tests', 'self');
    expect(run.output).toContain('E: Unable to locate package');
    expect(run.output).toMatch(
      /failed \(exit status 100\)\. Run it yourself:\n {2}sudo apt-get update && sudo apt-get install/,
    );
    expect(run.status).toBe(1);
  });
});
