// The recorded-reports scanner's command line, in Trivy's syntax: `trivy image --input <OCI layout>`
// with the flags trivy-gate passes (and `trivy --version`). It reads the image's own package databases
// and answers from the recorded advisories, writing the JSON report Trivy would write.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { coveredReleases, loadRecordedAdvisories, osVulnerabilities, type RecordedAdvisory } from './advisories.ts';
import { readImageLayout, type ScannedImage } from './image.ts';
import { detectOs, installedPackages, isPackageFile } from './packages.ts';

/** What `trivy --version` says of this scanner: no Trivy release, the recorded reports. */
export const RECORDED_VERSION = 'recorded reports';

const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

export interface ImageScan {
  command: 'image';
  /** An OCI layout directory (`--input`), or a reference. */
  target: { input: string } | { reference: string };
  format: string;
  output: string | undefined;
  severities: Set<string>;
  scanners: Set<string>;
  ignoreUnfixed: boolean;
  exitCode: number;
}

export type TrivyCommand = ImageScan | { command: 'version'; format: string };

/** Flags that take a value, by their long name; the short names Trivy gives them. */
const VALUE_FLAGS = new Set([
  'format',
  'output',
  'cache-dir',
  'scanners',
  'severity',
  'input',
  'timeout',
  'exit-code',
  'platform',
  'pkg-types',
  'username',
  'password',
  'db-repository',
]);
const BOOLEAN_FLAGS = new Set(['no-progress', 'quiet', 'ignore-unfixed', 'insecure', 'skip-db-update', 'debug']);
const SHORT: Readonly<Record<string, string>> = {
  f: 'format',
  o: 'output',
  s: 'severity',
  q: 'quiet',
  d: 'debug',
  v: 'version',
};

/** A mistake on the command line, said as Trivy's command line says it; exit code 1. */
export class UsageError extends Error {}

/** `--name value`, `--name=value` and `-x value` into flags and positional arguments. */
function splitArguments(argv: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--') {
      positional.push(...argv.slice(index + 1));
      break;
    }
    const match = /^(?:--([\w-]+)|-(\w))(?:=(.*))?$/.exec(argument);
    if (!match) {
      positional.push(argument);
      continue;
    }
    const name = match[1] ?? SHORT[match[2] ?? ''] ?? `-${match[2] ?? ''}`;
    if (name === 'version' || BOOLEAN_FLAGS.has(name)) flags.set(name, match[3] ?? 'true');
    else if (VALUE_FLAGS.has(name)) {
      const value = match[3] ?? argv[(index += 1)];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${argument}`);
      flags.set(name, value);
    } else throw new UsageError(`unknown flag: ${argument}`);
  }
  return { flags, positional };
}

const list = (value: string): Set<string> =>
  new Set(
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/** Trivy's command line, for what this scanner does: `image` and `version`. */
export function parseTrivyArguments(argv: readonly string[]): TrivyCommand {
  const { flags, positional } = splitArguments(argv);
  const [command, ...rest] = positional;
  if (flags.get('version') === 'true' || command === 'version') {
    return { command: 'version', format: flags.get('format') ?? 'table' };
  }
  if (command !== 'image' && command !== 'i') {
    throw new UsageError(`unknown command "${command ?? ''}": this scanner runs \`trivy image\``);
  }
  const input = flags.get('input');
  if (input === undefined && rest.length !== 1) throw new UsageError('"trivy image" requires at most 1 argument');
  if (input !== undefined && rest.length > 0) throw new UsageError('give an image reference or --input, not both');
  const severities = list(flags.get('severity') ?? SEVERITIES.join(','));
  const unknown = [...severities].filter((severity) => !SEVERITIES.includes(severity));
  if (unknown.length > 0) throw new UsageError(`unknown severity option: ${unknown.join(', ')}`);
  const exitCode = Number(flags.get('exit-code') ?? '0');
  if (!Number.isInteger(exitCode))
    throw new UsageError(`invalid argument "${flags.get('exit-code') ?? ''}" for "--exit-code"`);
  return {
    command: 'image',
    target: input !== undefined ? { input } : { reference: rest[0] ?? '' },
    format: flags.get('format') ?? 'table',
    output: flags.get('output'),
    severities,
    scanners: list(flags.get('scanners') ?? 'vuln,secret'),
    ignoreUnfixed: flags.get('ignore-unfixed') === 'true',
    exitCode,
  };
}

/** Trivy's JSON report (schema version 2) of one scanned image. */
export function imageReport(
  artifactName: string,
  image: ScannedImage,
  advisories: readonly RecordedAdvisory[],
  scan: Pick<ImageScan, 'severities' | 'ignoreUnfixed' | 'scanners'>,
): Record<string, unknown> {
  const texts = new Map([...image.files].map(([path, file]) => [path, file.content.toString('utf8')]));
  const os = detectOs(texts);
  const vulnerabilities = scan.scanners.has('vuln')
    ? osVulnerabilities(
        { os, packages: installedPackages(texts), layerOf: (file) => image.files.get(file)?.layer },
        advisories,
        scan,
      )
    : [];
  const results =
    os === undefined
      ? []
      : [
          {
            Target: `${artifactName} (${os.family} ${os.name})`,
            Class: 'os-pkgs',
            Type: os.family,
            ...(vulnerabilities.length > 0 ? { Vulnerabilities: vulnerabilities } : {}),
          },
        ];
  return {
    SchemaVersion: 2,
    Trivy: { Version: RECORDED_VERSION },
    CreatedAt: new Date().toISOString(),
    ArtifactName: artifactName,
    ArtifactType: 'container_image',
    Metadata: {
      ...(os ? { OS: { Family: os.family, Name: os.name } } : {}),
      ImageID: image.imageId,
      DiffIDs: image.layers.map((layer) => layer.diffId),
      ImageConfig: image.config,
      Layers: image.layers.map((layer) => ({ Digest: layer.digest, DiffID: layer.diffId })),
    },
    ...(results.length > 0 ? { Results: results } : {}),
  };
}

export interface CliIo {
  /** Trivy's log lines go to standard error. */
  log(line: string): void;
  stdout(text: string): void;
  cwd: string;
}

const logLine = (level: string, message: string): string => `${new Date().toISOString()}\t${level}\t${message}`;

async function scanImage(scan: ImageScan, io: CliIo, advisories: readonly RecordedAdvisory[]): Promise<number> {
  if ('reference' in scan.target) {
    throw new UsageError(
      `${scan.target.reference}: this scanner reads images given with --input (an OCI layout); a reference needs a real Trivy`,
    );
  }
  if (scan.format !== 'json') throw new UsageError(`this scanner writes --format json only, not ${scan.format}`);
  const layout = resolve(io.cwd, scan.target.input);
  const image = await readImageLayout(layout, isPackageFile);
  const report = imageReport(scan.target.input, image, advisories, scan);
  const metadata = report['Metadata'] as { OS?: { Family: string; Name: string } };
  if (metadata.OS === undefined) io.log(logLine('INFO', 'OS is not detected: no OS package is scanned'));
  else {
    io.log(logLine('INFO', `Detected OS\tfamily="${metadata.OS.Family}" version="${metadata.OS.Name}"`));
    const covered = coveredReleases(advisories);
    const release = `${metadata.OS.Family} ${metadata.OS.Name}`;
    if (!covered.some((entry) => release === entry || release.startsWith(`${entry}.`))) {
      io.log(
        logLine(
          'WARN',
          `No recorded advisories for ${release}: its packages are not judged (recorded: ${covered.join(', ')})`,
        ),
      );
    }
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (scan.output === undefined) io.stdout(json);
  else await writeFile(resolve(io.cwd, scan.output), json);
  const found = ((report['Results'] ?? []) as Array<{ Vulnerabilities?: unknown[] }>).some(
    (result) => (result.Vulnerabilities ?? []).length > 0,
  );
  return found ? scan.exitCode : 0;
}

/** Runs one command line; returns the exit code. */
export async function runTrivyStandIn(
  argv: readonly string[],
  io: CliIo,
  advisories: () => readonly RecordedAdvisory[] = () => loadRecordedAdvisories(),
): Promise<number> {
  try {
    const command = parseTrivyArguments(argv);
    if (command.command === 'version') {
      io.stdout(
        command.format === 'json'
          ? `${JSON.stringify({ Version: RECORDED_VERSION })}\n`
          : `Version: ${RECORDED_VERSION}\n`,
      );
      return 0;
    }
    return await scanImage(command, io, advisories());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.log(error instanceof UsageError ? `Error: ${message}` : logLine('FATAL', `image scan error: ${message}`));
    return 1;
  }
}
