// Which file an overlay edit reads and writes: links inside the repository are followed, links out of it
// are refused before anything is read or written.
import { ConfigurationError } from '@shiprail/core';
import { editOverlays, parseImageArguments } from '@shiprail/kustomize-bump';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KUSTOMIZATION = 'images:\n  - name: ghcr.io/acme/api\n    newTag: "0.1.0"\n';
const images = parseImageArguments(['ghcr.io/acme/api:2.0.0'], 'images');

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'overlays-repo-'));
  outside = mkdtempSync(join(tmpdir(), 'overlays-outside-'));
  mkdirSync(join(root, 'base'));
  writeFileSync(join(root, 'base', 'kustomization.yaml'), KUSTOMIZATION);
  writeFileSync(join(outside, 'kustomization.yaml'), KUSTOMIZATION);
  mkdirSync(join(root, 'overlays'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test('a kustomization that links inside the repository: the file it points to is edited', async () => {
  mkdirSync(join(root, 'overlays', 'dev'));
  symlinkSync('../../base/kustomization.yaml', join(root, 'overlays', 'dev', 'kustomization.yaml'));
  const edits = await editOverlays(root, ['overlays/dev'], images);
  expect(edits.map((edit) => edit.file)).toEqual(['base/kustomization.yaml']);
  expect(readFileSync(join(root, 'base', 'kustomization.yaml'), 'utf8')).toContain('newTag: "2.0.0"');
});

test.each([
  [
    'a kustomization linking out',
    () => {
      mkdirSync(join(root, 'overlays', 'dev'));
      symlinkSync(join(outside, 'kustomization.yaml'), join(root, 'overlays', 'dev', 'kustomization.yaml'));
    },
    "'overlays/dev/kustomization.yaml' is a symbolic link (or lies under one) that leads out of the repository",
  ],
  [
    'an overlay directory linking out',
    () => symlinkSync(outside, join(root, 'overlays', 'dev')),
    "'overlays/dev' is a symbolic link (or lies under one) that leads out of the repository",
  ],
  [
    'a kustomization linking to nothing',
    () => {
      mkdirSync(join(root, 'overlays', 'dev'));
      symlinkSync('missing.yaml', join(root, 'overlays', 'dev', 'kustomization.yaml'));
    },
    "'overlays/dev/kustomization.yaml' is a symbolic link to nothing",
  ],
])('%s is refused and nothing is written', async (_name, arrange, message) => {
  arrange();
  const error: unknown = await editOverlays(root, ['overlays/dev'], images).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).describe()).toBe(
    `input 'overlays': ${message}${message.endsWith('nothing') ? '' : ': only files inside the repository are read or written'}`,
  );
  expect(readFileSync(join(outside, 'kustomization.yaml'), 'utf8')).toBe(KUSTOMIZATION);
});
