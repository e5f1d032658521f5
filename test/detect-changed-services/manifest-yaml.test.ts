// The fast manifest reader gives exactly the value the full YAML parser gives, or leaves the text to it.
import { readBlockYaml } from '@shiprail/detect-changed-services';
import { parse } from 'yaml';
import { MANIFEST } from './repo.ts';

const read = (text: string): unknown => {
  const result = readBlockYaml(text);
  return result.ok ? result.value : 'left to the full parser';
};

describe('readBlockYaml', () => {
  test.each([
    ['the tests’ manifest', MANIFEST],
    ['an empty text', ''],
    ['comments only', '# nothing\n  # here\n'],
    ['a sequence at its key’s indentation', 'global:\n- a/**\n- "b/**"\nservices:\n  api:\n    path: a\n'],
    ['a nested sequence at its key’s indentation', 'services:\n  api:\n    paths:\n    - a/**\n    dependsOn: [x]\n'],
    ['a key without a value', 'services:\n  api:\n  web:\n    path: w\n'],
    ['a key whose value is a comment', 'services: # none yet\nglobal: []\n'],
    ['typed plain scalars', 'a: 80\nb: 72.5\nc: -3\nd: 1e3\ne: .5\nf: true\ng: False\nh: ~\ni: null\nj: 012\n'],
    ['strings that look almost typed', 'a: 80%\nb: v1.2.3\nc: yes\nd: 1_000\ne: 0.1.2\nf: "80"\ng: \'true\'\n'],
    ['quoted scalars', `a: 'it''s'\nb: "x # y"\nc: 'a: b'   # comment\nd: ''\ne: ""\n`],
    ['flow sequences', `a: [x, 'y, z', "w", 3, true]\nb: [ ]\nc: ['!a/**/*.md']   # excluded\n`],
    ['plain scalars with colons and hashes', 'a: http://x:8080/y\nb: a#b\nc: x # comment\n'],
    ['trailing spaces', 'a: b   \nc:   \nd: [x]  \n'],
    ['a root sequence', '- a\n- b\n'],
    ['unicode', 'a: café/☕\n'],
  ])('%s: the same value as the full parser', (_, text) => {
    expect(readBlockYaml(text)).toEqual({ ok: true, value: parse(text) as unknown });
  });

  test.each([
    ['an anchor and an alias', 'a: &x [1]\nb: *x\n'],
    ['a tag', 'a: !!str 3\n'],
    ['a block scalar', 'a: |\n  npm test\n'],
    ['a folded plain scalar', 'a: one\n  two\n'],
    ['a flow mapping', 'a: {b: c}\n'],
    ['a mapping in a sequence', 'a:\n  - b: c\n'],
    ['an empty sequence item', 'a:\n  -\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a quoted key', '"a b": 1\n'],
    ['a key YAML types', 'true: 1\n'],
    ['a key that would set a prototype', '__proto__: {}\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF line ends', 'a: b\r\n'],
    ['a document marker', '---\na: b\n'],
    ['a hexadecimal number', 'a: 0x1F\n'],
    ['an infinity', 'a: .inf\n'],
    ['an escape in double quotes', 'a: "\\n"\n'],
    ['an unclosed quote', "a: 'b\n"],
    ['an unclosed flow sequence', 'a: [b\n'],
    ['a trailing comma', 'a: [b,]\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['an indented root', '  a: b\n'],
    ['a value with ": "', 'a: b: c\n'],
    ['a plain scalar starting with an indicator', 'a: *.md\n'],
    ['a scalar root', 'hello\n'],
  ])('leaves %s to the full parser', (_, text) => {
    expect(read(text)).toBe('left to the full parser');
  });
});
