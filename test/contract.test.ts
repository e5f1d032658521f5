// Every action: the inputs its code reads are exactly those action.yml declares, with the same defaults;
// the outputs its code sets are exactly those action.yml declares. Each action supplies
// test/<action>/contract.ts.
import { InputParser } from '@shiprail/core';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, readActionMetadata, repoRoot } from '@shiprail/rehearsal/action-metadata';
import type { ActionContract } from '@shiprail/testkit';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const normalizeDefault = (value: string | undefined): string => value ?? '';

describe.each(listActions())('%s', (id) => {
  const metadata = readActionMetadata(id);
  const contractPath = join(repoRoot, 'test', id, 'contract.ts');

  test('has a contract file and a package named after it', () => {
    expect(existsSync(contractPath)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', id, 'package.json'), 'utf8')) as {
      name: string;
    };
    expect(manifest.name).toBe(`@shiprail/${id}`);
    expect(readFileSync(join(repoRoot, 'actions', id, 'main.ts'), 'utf8')).toContain(`@shiprail/${id}/action`);
  });

  test('action.yml follows the conventions', () => {
    expect(metadata.runs).toEqual({ using: 'node24', main: `../../dist/${id}/index.js` });
    for (const entry of [...metadata.inputs, ...metadata.outputs]) {
      expect(entry.name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(entry.description.length).toBeGreaterThan(10);
    }
  });

  test('reads every declared input, only those, with the declared defaults', async () => {
    const { contract } = (await import(contractPath)) as { contract: ActionContract };
    const read = new Map<string, string | undefined>();
    const source = (name: string): string => contract.sampleInputs[name] ?? '';
    const parser = new InputParser(
      source,
      () => undefined,
      (name, codeDefault) => read.set(name, codeDefault),
    );
    contract.parseInputs(parser);
    expect([...read.keys()].sort()).toEqual(metadata.inputs.map((input) => input.name).sort());
    for (const input of metadata.inputs) {
      if (input.default?.includes('${{')) continue;
      expect({ input: input.name, default: normalizeDefault(read.get(input.name)) }).toEqual({
        input: input.name,
        default: normalizeDefault(input.default),
      });
    }
  });

  test('sets every declared output, only those', () => {
    const set = new Set<string>();
    for (const file of sourceFiles(join(repoRoot, 'packages', id, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/setOutput\(\s*['"]([a-z0-9-]+)['"]/g)) {
        set.add(match[1] ?? '');
      }
    }
    expect([...set].sort()).toEqual(metadata.outputs.map((output) => output.name).sort());
  });
});
