// The behaviour of `kustomize edit set image`, restated from kustomize's documentation and its own tests
// (kustomize/commands/edit/set/setimage_test.go, api/internal/image Split): each case gives the
// arguments, the entries already in the file, and the entries kustomize leaves (sorted by name, fields
// in the order kustomize's writer emits them). Used in-process and through the bundled action.
export const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';
export const HEAD = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';

export interface SetImageCase {
  name: string;
  args: string[];
  /** `images:` block already in the file (none: a kustomization without images). */
  infile?: string[];
  /** The `images:` block kustomize writes. */
  expected: string[];
}

export const SET_IMAGE_CASES: SetImageCase[] = [
  {
    name: 'new name and tag',
    args: ['image1=my-image1:my-tag'],
    expected: ['images:', '- name: image1', '  newName: my-image1', '  newTag: my-tag'],
  },
  {
    name: 'a numeric tag stays a string',
    args: ['image1=my-image1:1234'],
    expected: ['images:', '- name: image1', '  newName: my-image1', '  newTag: "1234"'],
  },
  {
    name: 'a tag that reads as a float stays a string',
    args: ['image1=my-image1:3.2e2'],
    expected: ['images:', '- name: image1', '  newName: my-image1', '  newTag: "3.2e2"'],
  },
  {
    name: 'new name and digest',
    args: [`image1=my-image1@${DIGEST}`],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: image1', '  newName: my-image1'],
  },
  { name: 'tag only', args: ['image1:my-tag'], expected: ['images:', '- name: image1', '  newTag: my-tag'] },
  { name: 'digest only', args: [`image1@${DIGEST}`], expected: ['images:', `- digest: ${DIGEST}`, '  name: image1'] },
  {
    name: 'tag and digest',
    args: [`my-image1:my-tag@${DIGEST}`],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: my-image1', '  newTag: my-tag'],
  },
  {
    name: 'new name, tag and digest',
    args: [`image1=my-image1:my-tag@${DIGEST}`],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: image1', '  newName: my-image1', '  newTag: my-tag'],
  },
  {
    name: 'new name on a registry with a port',
    args: ['ngnix=localhost:5000/my-project/ngnix'],
    expected: ['images:', '- name: ngnix', '  newName: localhost:5000/my-project/ngnix'],
  },
  {
    name: 'new name on a registry with a port, and a tag',
    args: ['ngnix=localhost:5000/my-project/ngnix:dev-01'],
    expected: ['images:', '- name: ngnix', '  newName: localhost:5000/my-project/ngnix', '  newTag: dev-01'],
  },
  {
    name: 'a name on a registry with a port, and a tag (the port is not the tag)',
    args: ['localhost:5000/my-project/ngnix:dev-01'],
    expected: ['images:', '- name: localhost:5000/my-project/ngnix', '  newTag: dev-01'],
  },
  {
    name: 'arguments are written sorted by name',
    args: ['node:8.15.0', 'mysql=mariadb', `alpine@${DIGEST}`],
    expected: [
      'images:',
      `- digest: ${DIGEST}`,
      '  name: alpine',
      '- name: mysql',
      '  newName: mariadb',
      '- name: node',
      '  newTag: 8.15.0',
    ],
  },
  {
    name: 'the last argument for a name wins',
    args: ['api:1', 'api:2'],
    expected: ['images:', '- name: api', '  newTag: "2"'],
  },
  {
    name: '* as new name with no entry in the file is left out',
    args: ['image1=*:v1'],
    expected: ['images:', '- name: image1', '  newTag: v1'],
  },
  {
    name: '* as tag with no entry in the file is left out',
    args: ['image1=my-image1:*'],
    expected: ['images:', '- name: image1', '  newName: my-image1'],
  },
  {
    name: 'an entry for the same name is replaced, the others stay',
    args: ['image1=foo.bar.foo:8800/foo/image1:foo-bar'],
    infile: [
      'images:',
      '- name: image1',
      '  newName: my-image1',
      '  newTag: my-tag',
      '- name: image2',
      '  newName: my-image2',
      '  newTag: my-tag2',
    ],
    expected: [
      'images:',
      '- name: image1',
      '  newName: foo.bar.foo:8800/foo/image1',
      '  newTag: foo-bar',
      '- name: image2',
      '  newName: my-image2',
      '  newTag: my-tag2',
    ],
  },
  {
    name: 'a new tag replaces the tag',
    args: ['image1:v1'],
    infile: ['images:', '- name: image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newTag: v1'],
  },
  {
    name: 'the argument replaces the whole entry: a tag alone drops the new name',
    args: ['image1:v1'],
    infile: ['images:', '- name: image1', '  newName: my-image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newTag: v1'],
  },
  {
    name: 'several arguments override several entries',
    args: ['image1=foo.bar.foo:8800/foo/image1:foo-bar', `image2=my-image2@${DIGEST}`, 'image3:my-tag'],
    infile: [
      'images:',
      '- name: image1',
      '  newName: my-image1',
      '  newTag: my-tag1',
      '- name: image2',
      '  newName: my-image2',
      '  newTag: my-tag2',
      '- name: image3',
      '  newTag: my-tag',
    ],
    expected: [
      'images:',
      '- name: image1',
      '  newName: foo.bar.foo:8800/foo/image1',
      '  newTag: foo-bar',
      `- digest: ${DIGEST}`,
      '  name: image2',
      '  newName: my-image2',
      '- name: image3',
      '  newTag: my-tag',
    ],
  },
  {
    name: '* keeps the new name',
    args: ['image1=*:v1'],
    infile: ['images:', '- name: image1', '  newName: foo.bar.foo:8800/foo/image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newName: foo.bar.foo:8800/foo/image1', '  newTag: v1'],
  },
  {
    name: '* keeps the tag',
    args: ['image1=my-image1:*'],
    infile: ['images:', '- name: image1', '  newName: foo.bar.foo:8800/foo/image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newName: my-image1', '  newTag: my-tag'],
  },
  {
    name: '*:* keeps both',
    args: ['image1=*:*'],
    infile: ['images:', '- name: image1', '  newName: my-image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newName: my-image1', '  newTag: my-tag'],
  },
  {
    name: '* keeps no new name when the entry has none',
    args: ['image1=*:v1'],
    infile: ['images:', '- name: image1', '  newTag: my-tag'],
    expected: ['images:', '- name: image1', '  newTag: v1'],
  },
  {
    name: '* keeps the new name, the digest is replaced',
    args: [`image2=*@${DIGEST}`],
    infile: ['images:', '- name: image2', '  newName: my-image2', '  digest: sha256:abcdef12345'],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: image2', '  newName: my-image2'],
  },
  {
    name: '* keeps the new name, a digest drops the tag',
    args: [`image2=*@${DIGEST}`],
    infile: ['images:', '- name: image2', '  newName: my-image2', '  newTag: my-tag'],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: image2', '  newName: my-image2'],
  },
  {
    name: '@* keeps the digest under a new name',
    args: ['image2=my-image2@*'],
    infile: ['images:', `- digest: ${DIGEST}`, '  name: image2', '  newName: foo.bar.foo:8800/foo/image1'],
    expected: ['images:', `- digest: ${DIGEST}`, '  name: image2', '  newName: my-image2'],
  },
  {
    name: 'a new entry goes where the name order puts it',
    args: ['b:2'],
    infile: ['images:', '- name: a', '  newTag: "1"', '- name: c', '  newTag: "3"'],
    expected: ['images:', '- name: a', '  newTag: "1"', '- name: b', '  newTag: "2"', '- name: c', '  newTag: "3"'],
  },
  {
    name: 'entries for one name are folded into one',
    args: ['a:2'],
    infile: ['images:', '- name: a', '  newTag: "1"', '- name: b', '  newTag: x', '- name: a', '  newTag: "0"'],
    expected: ['images:', '- name: a', '  newTag: "2"', '- name: b', '  newTag: x'],
  },
];
