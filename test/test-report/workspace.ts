// Workspaces for runs of the bundled action, and readers of what the run printed.
import type { TestReportInputs } from '@shiprail/test-report';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { samples } from './tools.ts';

export type Inputs = Partial<Record<keyof TestReportInputs, string>>;

/** Fresh workspace directories under one temporary root, removed together. */
export class Workspaces {
  private readonly root = mkdtempSync(join(tmpdir(), 'test-report-'));

  /** A workspace with these files: text, or a committed report copied with `report:<name>`. */
  create(files: Record<string, string> = {}): string {
    const directory = mkdtempSync(join(this.root, 'ws-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(directory, path)), { recursive: true });
      if (content.startsWith('report:')) cpSync(join(samples, 'reports', content.slice(7)), join(directory, path));
      else writeFileSync(join(directory, path), content);
    }
    return directory;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const runTestReportBundle = (workspace: string, inputs: Inputs): Promise<ActionRun> =>
  runBundledAction('test-report', { workspace, inputs, sha: 'abc123', timeoutMs: 60_000 });

export interface Annotation {
  file: string | undefined;
  line: number | undefined;
  title: string | undefined;
}

/** The `::error` annotations with their properties (which @actions/core percent-encodes). */
export function annotations(stdout: string): Annotation[] {
  return [...stdout.matchAll(/^::error(?: ([^:]*))?::/gm)].map((match) => {
    const properties = new Map(
      (match[1] ?? '')
        .split(',')
        .filter((part) => part.includes('='))
        .map((part) => [part.slice(0, part.indexOf('=')), decodeURIComponent(part.slice(part.indexOf('=') + 1))]),
    );
    const line = properties.get('line');
    return {
      file: properties.get('file'),
      line: line === undefined ? undefined : Number(line),
      title: properties.get('title'),
    };
  });
}

/** `file:line` of each annotation, as a list to compare. */
export const annotatedLines = (stdout: string): string[] =>
  annotations(stdout).map(({ file, line }) => `${file}:${line}`);
