// The case table through the bundled action: each case is an overlay of one GitOps repository, bumped
// by its own run of the action on a branch of its own, four at a time (racing pushes to one branch are
// concurrency.test.ts's).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { git, showFile } from '@shiprail/rehearsal';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { HEAD, SET_IMAGE_CASES } from './set-image-cases.ts';

const overlayOf = (index: number): string => `cases/${String(index).padStart(2, '0')}`;
const branchOf = (index: number): string => `case-${String(index).padStart(2, '0')}`;
const entriesOf = (text: string): unknown => (parse(text) as { images?: unknown }).images;

let root: string;
let bare: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'set-image-cases-'));
  bare = join(root, 'gitops.git');
  const seed = join(root, 'seed');
  for (const [index, { infile }] of SET_IMAGE_CASES.entries()) {
    await mkdir(join(seed, overlayOf(index)), { recursive: true });
    const text = HEAD + (infile === undefined ? '' : `${infile.join('\n')}\n`);
    await writeFile(join(seed, overlayOf(index), 'kustomization.yaml'), text);
  }
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(seed, ['init', '--quiet', '--initial-branch=main']);
  await git(seed, ['add', '.']);
  await git(seed, ['commit', '--quiet', '-m', 'cases']);
  const branches = SET_IMAGE_CASES.map((_, index) => `HEAD:refs/heads/${branchOf(index)}`);
  await git(seed, ['push', '--quiet', bare, 'HEAD:refs/heads/main', ...branches]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('every case of the table gives kustomize’s entries through the action', async () => {
  const runs: ActionRun[] = [];
  const queue = SET_IMAGE_CASES.map((testCase, index) => ({ testCase, index }));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      runs[next.index] = await runBundledAction('kustomize-bump', {
        inputs: {
          repository: pathToFileURL(bare).href,
          token: '',
          branch: branchOf(next.index),
          overlays: overlayOf(next.index),
          images: next.testCase.args.join('\n'),
          verify: 'false',
          'max-attempts': '20',
        },
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);

  for (const [index, { name, infile, expected }] of SET_IMAGE_CASES.entries()) {
    const run = runs[index];
    expect({ name, errors: run?.errors, exitCode: run?.exitCode }).toEqual({ name, errors: [], exitCode: 0 });
    const text = await showFile(bare, branchOf(index), `${overlayOf(index)}/kustomization.yaml`);
    const unchanged = infile !== undefined && run?.outputs['changed'] === 'false';
    expect({ name, entries: entriesOf(text) }).toEqual({ name, entries: entriesOf(`${expected.join('\n')}\n`) });
    if (infile === undefined) expect({ name, text }).toEqual({ name, text: `${HEAD}${expected.join('\n')}\n` });
    if (unchanged) expect(text).toBe(`${HEAD}${infile.join('\n')}\n`);
  }
}, 180_000);
