// The `images:` entries are those `kustomize edit set image` writes for the same arguments (the case
// table is in set-image-cases.ts), checked in-process here and through the bundled action in
// set-image-action.test.ts.
import {
  parseImageArgument,
  parseImageArguments,
  setKustomizationImages,
  splitImageReference,
} from '@shiprail/kustomize-bump';
import { parse } from 'yaml';
import { DIGEST, HEAD, SET_IMAGE_CASES } from './set-image-cases.ts';

const entriesOf = (text: string): unknown => (parse(text) as { images?: unknown }).images;

describe('kustomize edit set image', () => {
  test.each(SET_IMAGE_CASES)('$name: $args', async ({ args, infile, expected }) => {
    const before = HEAD + (infile === undefined ? '' : `${infile.join('\n')}\n`);
    const { text } = await setKustomizationImages(before, 'kustomization.yaml', parseImageArguments(args));
    // The same entries with the same fields and values (as strings) as kustomize's file.
    expect(entriesOf(text)).toEqual(entriesOf(`${expected.join('\n')}\n`));
    expect(text.startsWith(HEAD)).toBe(true);
    // Written from scratch, the text is kustomize's text, quoting included.
    if (infile === undefined) expect(text).toBe(`${HEAD}${expected.join('\n')}\n`);
  });

  test.each([
    ['bad', 'sets neither a new name, a tag nor a digest'],
    ['ghcr.io/acme/api', 'sets neither a new name, a tag nor a digest'],
    ['localhost:5000/acme/api', 'sets neither a new name, a tag nor a digest'],
    ['=api:1', 'has no image name before ='],
    [':1.0', 'has no image name'],
    ['api :1.0', 'contains whitespace'],
  ])('rejects %s', (argument, reason) => {
    expect(() => parseImageArgument(argument)).toThrow(reason);
    expect(() => parseImageArgument(argument)).toThrow(
      'use one of: <image>=<newimage>:<newtag>@<digest>, <image>=<newimage>:<newtag>',
    );
  });

  test('an empty new name (`name=`) sets nothing but is accepted, as in kustomize', () => {
    expect(parseImageArgument('api=')).toEqual({ name: 'api' });
  });

  test.each([
    ['nginx', { name: 'nginx', tag: '', digest: '' }],
    ['nginx:1.25', { name: 'nginx', tag: '1.25', digest: '' }],
    [`nginx@${DIGEST}`, { name: 'nginx', tag: '', digest: DIGEST }],
    [`nginx:1.25@${DIGEST}`, { name: 'nginx', tag: '1.25', digest: DIGEST }],
    ['localhost:5000/nginx', { name: 'localhost:5000/nginx', tag: '', digest: '' }],
    ['localhost:5000/a/nginx:v1', { name: 'localhost:5000/a/nginx', tag: 'v1', digest: '' }],
    [`localhost:5000/nginx@${DIGEST}`, { name: 'localhost:5000/nginx', tag: '', digest: DIGEST }],
  ])('splits %s as kustomize does', (reference, parts) => {
    expect(splitImageReference(reference)).toEqual(parts);
  });
});
