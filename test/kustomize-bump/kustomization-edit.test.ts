// Everything but the changed entries stays byte for byte: comments, key order, quoting, spacing.
import { ConfigurationError } from '@shiprail/core';
import { parseImageArguments, setKustomizationImages } from '@shiprail/kustomize-bump';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

const edit = async (text: string, ...args: string[]): Promise<string> =>
  (await setKustomizationImages(text, 'overlays/prod/kustomization.yaml', parseImageArguments(args))).text;

/** The lines of `after` that differ from `before` (same line count expected). */
function changedLines(before: string, after: string): Array<[number, string]> {
  const left = before.split('\n');
  const right = after.split('\n');
  expect(right).toHaveLength(left.length);
  return right.flatMap((line, index) => (line === left[index] ? [] : [[index + 1, line] as [number, string]]));
}

const COMMENT_RICH = readFileSync(join(repoRoot, 'test/fixtures/kustomize-bump/comment-rich.yaml'), 'utf8');

describe('editing a comment-rich kustomization', () => {
  test('a digest and tag bump changes exactly those two scalars, in their quoting', async () => {
    const after = await edit(
      COMMENT_RICH,
      'ghcr.io/acme/api:1.5.0@sha256:2222222222222222222222222222222222222222222222222222222222222222',
    );
    expect(changedLines(COMMENT_RICH, after)).toEqual([
      [17, "    newTag: '1.5.0'      # human-readable tag kept next to the digest"],
      [18, '    digest: sha256:2222222222222222222222222222222222222222222222222222222222222222'],
    ]);
  });

  test('a tag bump keeps the double quotes and the new name (via *)', async () => {
    const after = await edit(COMMENT_RICH, 'ghcr.io/acme/web=*:2.1');
    expect(changedLines(COMMENT_RICH, after)).toEqual([[22, '    newTag: "2.1"']]);
  });

  test('a flow-style entry is rewritten in flow style on its own line', async () => {
    const after = await edit(COMMENT_RICH, 'ghcr.io/acme/worker:1.0.0');
    expect(changedLines(COMMENT_RICH, after)).toEqual([
      [23, '  - {name: ghcr.io/acme/worker, newTag: 1.0.0}   # flow style entry'],
    ]);
  });

  test('a field the argument drops is removed with its line, nothing else moves', async () => {
    const after = await edit(COMMENT_RICH, 'ghcr.io/acme/api:1.6.0');
    const expected = COMMENT_RICH.replace("'1.4.0'", "'1.6.0'").replace(
      '    digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n',
      '',
    );
    expect(after).toBe(expected);
  });

  test('a new entry is inserted in name order, in the list indentation of the file', async () => {
    const after = await edit(COMMENT_RICH, 'ghcr.io/acme/cron:0.1.0');
    expect(after).toBe(
      COMMENT_RICH.replace(
        '  - name: ghcr.io/acme/web ',
        '  - name: ghcr.io/acme/cron\n    newTag: 0.1.0\n  - name: ghcr.io/acme/web ',
      ),
    );
  });

  test('nothing to change returns the very same text', async () => {
    const same = await edit(COMMENT_RICH, 'ghcr.io/acme/web=registry.example:5000/acme/web:2.0');
    expect(same).toBe(COMMENT_RICH);
    expect(
      (await setKustomizationImages(COMMENT_RICH, 'k.yaml', parseImageArguments(['ghcr.io/acme/worker:0.9.1'])))
        .changes,
    ).toEqual([]);
  });
});

describe('where images: is absent or empty', () => {
  test.each([
    {
      name: 'no images key: appended, lists indented like the file’s other lists',
      before: 'resources:\n  - ../base\n',
      after: 'resources:\n  - ../base\nimages:\n  - name: api\n    newTag: v2\n',
    },
    {
      name: 'no trailing newline',
      before: 'resources:\n- ../base',
      after: 'resources:\n- ../base\nimages:\n- name: api\n  newTag: v2\n',
    },
    {
      name: 'images: with no value, a comment on the line stays',
      before: 'images: # set by CI\nresources:\n- ../base\n',
      after: 'images: # set by CI\n- name: api\n  newTag: v2\nresources:\n- ../base\n',
    },
    {
      name: 'images: []',
      before: 'images: []\nresources: [../base]\n',
      after: 'images:\n- name: api\n  newTag: v2\nresources: [../base]\n',
    },
    {
      name: 'a flow list of entries stays a flow list',
      before: 'images: [{name: web, newTag: "1"}, {name: zeta, newTag: z}]\n',
      after: 'images: [{name: api, newTag: v2}, {name: web, newTag: "1"}, {name: zeta, newTag: z}]\n',
    },
    {
      name: 'an empty file',
      before: '',
      after: 'images:\n- name: api\n  newTag: v2\n',
    },
  ])('$name', async ({ before, after }) => {
    expect(await edit(before, 'api:v2')).toBe(after);
  });
});

describe('malformed kustomizations are named by file and line', () => {
  test.each([
    {
      name: 'YAML syntax',
      text: 'resources:\n  - ../base\nimages:\n  - name: api\n   newTag: [1\n',
      message: /^overlays\/prod\/kustomization\.yaml:\d: malformed YAML/,
    },
    {
      name: 'images is not a list',
      text: 'resources:\n- ../base\nimages:\n  api: v1\n',
      message: 'overlays/prod/kustomization.yaml:4: images: must be a list of entries',
    },
    {
      name: 'an entry without a name',
      text: 'images:\n- name: web\n  newTag: "1"\n- newTag: "2"\n',
      message: 'overlays/prod/kustomization.yaml:4: images[1]: an images entry needs a name',
    },
    {
      name: 'not a mapping',
      text: '- just\n- a list\n',
      message: 'overlays/prod/kustomization.yaml:1: a kustomization must be a block mapping',
    },
  ])('$name', async ({ text, message }) => {
    let thrown: unknown;
    try {
      await edit(text, 'api:v2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).describe()).toMatch(message);
    expect((thrown as ConfigurationError).location.file).toBe('overlays/prod/kustomization.yaml');
  });
});

test('a new entry goes above the comment lines that describe the entry after it', async () => {
  const before = 'images:\n- name: a\n  newTag: "1"\n# c is pinned\n- name: c\n  newTag: "3"\n';
  expect(await edit(before, 'b:2')).toBe(
    'images:\n- name: a\n  newTag: "1"\n- name: b\n  newTag: "2"\n# c is pinned\n- name: c\n  newTag: "3"\n',
  );
});

test('images: ~ with a comment keeps the comment', async () => {
  expect(await edit('images: ~ # none yet\n', 'api:v2')).toBe('images:  # none yet\n- name: api\n  newTag: v2\n');
});

test('a file with CRLF line endings keeps them on every line it gains', async () => {
  const before = 'resources:\r\n- ../base\r\nimages:\r\n- name: b\r\n  newTag: "1" # pinned\r\n  digest: sha256:0\r\n';
  const after = await edit(before, 'b:2', 'a:1', 'c=reg/c');
  expect(after).toBe(
    'resources:\r\n- ../base\r\nimages:\r\n- name: a\r\n  newTag: "1"\r\n- name: b\r\n  newTag: "2" # pinned\r\n- name: c\r\n  newName: reg/c\r\n',
  );
});

test.each([
  [
    'with',
    'images:\n- name: b\n  newTag: "1"\n  digest: sha256:0\n',
    'images:\n- name: b\n  newTag: "2"\n- name: c\n  newTag: "3"\n',
  ],
  [
    'without',
    'images:\n- name: b\n  newTag: "1"\n  digest: sha256:0',
    'images:\n- name: b\n  newTag: "2"\n- name: c\n  newTag: "3"',
  ],
])('appending after a last entry that loses its last line, %s a final newline', async (_, before, after) => {
  expect(await edit(before, 'b:2', 'c:3')).toBe(after);
});
