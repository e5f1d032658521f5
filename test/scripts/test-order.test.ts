// The order the suite's files start in (packages/testkit/src/longest-first-sequencer.js): the two files that
// rehearse the sample's pipelines first, with or without jest's record of the last run, the rehearsal of a
// user's repository after the first fifth of the others; every other file where jest puts it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

interface OrderedTest {
  path: string;
  context: {
    config: { cache: boolean; cacheDirectory: string; id: string; haste: object };
    hasteFS: { getSize(path: string): number };
  };
}
interface SequencerModule {
  LONGEST_FILES: string[];
  MIDWAY_FILES: string[];
  default: new () => {
    sort(tests: OrderedTest[]): Promise<OrderedTest[]>;
    cacheResults(tests: OrderedTest[], results: { testResults: FileResult[] }): void;
  };
}

const sequencerFile = join(repoRoot, 'packages', 'testkit', 'src', 'longest-first-sequencer.js');
const load = async (): Promise<SequencerModule> => (await import(sequencerFile)) as SequencerModule;

let cacheDirectory: string;
beforeAll(() => {
  cacheDirectory = mkdtempSync(join(tmpdir(), 'test-order-'));
});
afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));

test('every file it places is in the suite', async () => {
  const { LONGEST_FILES, MIDWAY_FILES } = await load();
  expect(LONGEST_FILES.length).toBeGreaterThan(0);
  for (const file of [...LONGEST_FILES, ...MIDWAY_FILES])
    expect({ file, exists: existsSync(join(repoRoot, file)) }).toEqual({ file, exists: true });
});

/** A file's result as jest hands it to the sequencer after a run (what its record of the last run keeps). */
interface FileResult {
  testFilePath: string;
  skipped: boolean;
  numFailingTests: number;
  perfStats: { runtime: number };
}

const at = (file: string): string => join(repoRoot, file);

test.each([
  { lastRun: undefined, rest: ['test/big.test.ts', 'test/middle.test.ts', 'test/small.test.ts'] },
  // The rehearsals recorded as quick still start first; the rest go by their time.
  {
    lastRun: {
      'test/small.test.ts': 50_000,
      'test/middle.test.ts': 20_000,
      'test/big.test.ts': 1_000,
      'test/rehearsal/scenarios-release.test.ts': 10,
    },
    rest: ['test/small.test.ts', 'test/middle.test.ts', 'test/big.test.ts'],
  },
])(
  'with last run $lastRun: the pipeline rehearsals start first, in the listed order, then $rest with the midway files after its first fifth',
  async ({ lastRun, rest }) => {
    const { LONGEST_FILES, MIDWAY_FILES, default: Sequencer } = await load();
    const sizes: Record<string, number> = {
      [at('test/big.test.ts')]: 30_000,
      [at('test/small.test.ts')]: 1_000,
      [at('test/middle.test.ts')]: 9_000,
      ...Object.fromEntries([...LONGEST_FILES, ...MIDWAY_FILES].map((file, index) => [at(file), 5_000 + index])),
    };
    // One project: every file shares its context, as jest's do.
    const context = {
      config: { cache: true, cacheDirectory, id: lastRun ? 'recorded' : 'clean', haste: {} },
      hasteFS: { getSize: (file: string) => sizes[file] ?? 0 },
    };
    const tests = Object.keys(sizes).map((path) => ({ path, context }));
    // The last run, recorded as jest records it at the end of a run.
    if (lastRun)
      new Sequencer().cacheResults(tests, {
        testResults: Object.entries(lastRun).map(([file, runtime]) => ({
          testFilePath: at(file),
          skipped: false,
          numFailingTests: 0,
          perfStats: { runtime },
        })),
      });
    const ordered = await new Sequencer().sort(tests);
    expect(ordered.map((test) => test.path.slice(repoRoot.length + 1))).toEqual([
      ...LONGEST_FILES,
      ...rest.slice(0, 1),
      ...MIDWAY_FILES,
      ...rest.slice(1),
    ]);
  },
);
