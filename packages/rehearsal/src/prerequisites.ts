// The programs the demo and the tests run for real, the Debian package of each and what it is for; the
// decision to install the missing ones (as root or with password-less sudo on Debian or Ubuntu) or to
// print the one command that does; and the install itself. `npm test`, `npm run demo`, CI and the
// rehearsal's world share it.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Purpose = 'demo' | 'tests';

export interface Prerequisite {
  /** A program found on PATH, or an absolute file that must exist. */
  provides: string;
  debianPackage: string;
  why: string;
  /** The demo needs a subset; the tests need every entry. */
  neededBy: readonly Purpose[];
}

const BOTH: readonly Purpose[] = ['demo', 'tests'];
const TESTS: readonly Purpose[] = ['tests'];

export const PREREQUISITES: readonly Prerequisite[] = [
  { provides: 'git', debianPackage: 'git', why: 'repositories, bare remotes and the GitOps history', neededBy: BOTH },
  { provides: 'jq', debianPackage: 'jq', why: "the reusable workflow's shell steps", neededBy: BOTH },
  {
    provides: 'curl',
    debianPackage: 'curl',
    why: "the workflow's team notification and pull request comment",
    neededBy: BOTH,
  },
  {
    provides: 'kubectl',
    debianPackage: 'kubernetes-client',
    why: 'rendering overlays with `kubectl kustomize` and rollout status',
    neededBy: BOTH,
  },
  { provides: 'buildah', debianPackage: 'buildah', why: 'building, pushing and running images', neededBy: BOTH },
  {
    provides: 'docker-registry',
    debianPackage: 'docker-registry',
    why: 'the registry images are pushed to',
    neededBy: BOTH,
  },
  {
    provides: '/bin/busybox',
    debianPackage: 'busybox-static',
    why: "the base image of the sample's services (the world's busybox), and the kubelet's test images",
    neededBy: BOTH,
  },
  { provides: 'ip', debianPackage: 'iproute2', why: "each pod's network namespace and veth pair", neededBy: BOTH },
  {
    provides: 'nsenter',
    debianPackage: 'util-linux',
    why: "running a pod's containers in its network",
    neededBy: BOTH,
  },
  { provides: 'prometheus', debianPackage: 'prometheus', why: "the canary's metrics", neededBy: BOTH },
  { provides: 'promtool', debianPackage: 'prometheus', why: 'loading the canary metrics', neededBy: BOTH },
  { provides: 'htpasswd', debianPackage: 'apache2-utils', why: "the registry's credentials", neededBy: BOTH },
  { provides: 'openssl', debianPackage: 'openssl', why: 'certificates for the loopback TLS servers', neededBy: BOTH },
  {
    provides: '/etc/ssl/certs/ca-certificates.crt',
    debianPackage: 'ca-certificates',
    why: 'the trust store HTTPS clients read',
    neededBy: BOTH,
  },
  {
    provides: 'go',
    debianPackage: 'golang-go',
    why: "the Go service of the rehearsal's toolchain scenarios, and its image's build",
    neededBy: TESTS,
  },
  {
    provides: 'pytest-3',
    debianPackage: 'python3-pytest',
    why: "test-report's JUnit samples, written by pytest",
    neededBy: TESTS,
  },
  {
    provides: 'python3-coverage',
    debianPackage: 'python3-coverage',
    why: "test-report's Cobertura and lcov samples",
    neededBy: TESTS,
  },
];

/** What the machine is: the inputs of the decision. */
export interface Machine {
  missing: readonly Prerequisite[];
  root: boolean;
  /** Debian, Ubuntu or a derivative, with apt-get on PATH. */
  debian: boolean;
  /** `sudo -n true` succeeds. */
  passwordlessSudo: boolean;
}

export type Plan =
  | { kind: 'ready' }
  | { kind: 'install'; packages: string[]; commands: string[][] }
  | { kind: 'instruct'; packages: string[]; message: string };

/** The Debian packages that provide these prerequisites, each once. */
export const packagesOf = (missing: readonly Prerequisite[]): string[] => [
  ...new Set(missing.map((entry) => entry.debianPackage)),
];

/** The one command a person runs for these packages. */
export const installCommand = (packages: readonly string[]): string =>
  `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;

/** Decides what to do about the missing prerequisites; no side effects. */
export function planPrerequisites(machine: Machine): Plan {
  if (machine.missing.length === 0) return { kind: 'ready' };
  const packages = packagesOf(machine.missing);
  const list = machine.missing.map((entry) => `  ${entry.provides} (${entry.why}): ${entry.debianPackage}`).join('\n');
  if (!machine.debian) {
    return {
      kind: 'instruct',
      packages,
      message: `Missing programs, with their Debian packages:\n${list}\nInstall them with your system's package manager; on Debian or Ubuntu:\n  ${installCommand(packages)}`,
    };
  }
  if (!machine.root && !machine.passwordlessSudo) {
    return {
      kind: 'instruct',
      packages,
      message: `Missing programs, with their Debian packages:\n${list}\nInstall them with:\n  ${installCommand(packages)}`,
    };
  }
  // sudo resets the environment, so the non-interactive front end is passed through env(1).
  const prefix = machine.root ? ['apt-get'] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
  return {
    kind: 'install',
    packages,
    commands: [
      [...prefix, 'update'],
      [...prefix, 'install', '-y', '--no-install-recommends', ...packages],
    ],
  };
}

/** Finds an executable on a PATH string, as a shell would. */
export function findProgram(program: string, path: string): string | undefined {
  for (const directory of path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** What `purpose` needs and the machine lacks, with `programs` (entries' `provides`) needed besides. */
export function missingPrerequisites(purpose: Purpose, path: string, programs: readonly string[] = []): Prerequisite[] {
  return PREREQUISITES.filter(
    (entry) =>
      (entry.neededBy.includes(purpose) || programs.includes(entry.provides)) &&
      (entry.provides.startsWith('/') ? !existsSync(entry.provides) : findProgram(entry.provides, path) === undefined),
  );
}

/** Debian, Ubuntu and their derivatives say so in os-release's ID or ID_LIKE. */
export function isDebianLike(osRelease: string): boolean {
  return /^(?:ID|ID_LIKE)="?[^"\n]*\b(?:debian|ubuntu)\b/m.test(osRelease);
}

function readOsRelease(): string {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return '';
}

/** Looks at this machine: what is missing, who runs, which system, whether sudo asks for a password. */
export function inspectMachine(
  purpose: Purpose,
  env: NodeJS.ProcessEnv = process.env,
  programs: readonly string[] = [],
): Machine {
  const path = env['PATH'] ?? '';
  const missing = missingPrerequisites(purpose, path, programs);
  const root = process.getuid?.() === 0;
  const debian = isDebianLike(readOsRelease()) && findProgram('apt-get', path) !== undefined;
  const passwordlessSudo =
    missing.length > 0 &&
    !root &&
    findProgram('sudo', path) !== undefined &&
    spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', env, timeout: 10_000 }).status === 0;
  return { missing, root, debian, passwordlessSudo };
}

export interface PrerequisiteIo {
  log: (line: string) => void;
  /** Runs a command with the terminal attached (apt-get shows its progress); resolves with its exit status. */
  run: (argv: readonly string[]) => number | null;
}

export const terminalIo = (env: NodeJS.ProcessEnv = process.env): PrerequisiteIo => ({
  log: (line) => process.stdout.write(`${line}\n`),
  run: ([program, ...args]) => {
    const options: SpawnSyncOptions = { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
    return spawnSync(program ?? '', args, options).status;
  },
});

/**
 * Makes sure the programs for `purpose` (and `programs` besides) are installed: installs the missing
 * Debian packages when it may, otherwise prints the command to run. Returns true when everything is
 * there at the end.
 */
export function ensurePrerequisites(
  purpose: Purpose,
  io: PrerequisiteIo = terminalIo(),
  env: NodeJS.ProcessEnv = process.env,
  programs: readonly string[] = [],
): boolean {
  const plan = planPrerequisites(inspectMachine(purpose, env, programs));
  if (plan.kind === 'ready') return true;
  const subject = purpose === 'demo' ? 'The demo runs' : 'The tests run';
  if (plan.kind === 'instruct') {
    io.log(`${subject} real programs and cannot start without them.\n${plan.message}`);
    return false;
  }
  io.log(`${subject} real programs; installing the missing Debian packages: ${plan.packages.join(' ')}`);
  for (const command of plan.commands) {
    io.log(`$ ${command.join(' ')}`);
    const status = io.run(command);
    if (status !== 0) {
      io.log(
        `'${command.join(' ')}' failed (exit status ${String(status)}). Run it yourself:\n  ${installCommand(plan.packages)}`,
      );
      return false;
    }
  }
  const still = missingPrerequisites(purpose, env['PATH'] ?? '', programs);
  if (still.length > 0) {
    io.log(`Still missing after the install: ${still.map((entry) => entry.provides).join(', ')}`);
    return false;
  }
  return true;
}
