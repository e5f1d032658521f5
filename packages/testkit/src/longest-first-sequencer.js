// The order the test files start in. Jest's own order puts the files that took longest last time first, so
// that no worker is left with a long file at the end; on a machine with no record of a last run (a clean
// CI checkout) it falls back to the largest file first, which starts the short files that rehearse whole
// pipelines last, and the run then waits minutes on them alone. These files start first whatever jest knows;
// the rest keep jest's order.
import { createRequire } from 'node:module';

// The sequencer jest ships and uses by default, resolved from jest itself.
const require = createRequire(createRequire(import.meta.url).resolve('jest'));
const { default: JestSequencer } = require('@jest/test-sequencer');

/** The files that take longest, longest first (each rehearses whole pipelines, scenario after scenario). */
export const LONGEST_FILES = [
  'test/rehearsal/scenarios-release.test.ts',
  'test/rehearsal/scenarios-callers.test.ts',
  'test/cli/rehearse-storefront.test.ts',
];

const rank = (path) => {
  const index = LONGEST_FILES.findIndex((file) => path.endsWith(`/${file}`));
  return index === -1 ? LONGEST_FILES.length : index;
};

export default class LongestFirstSequencer extends JestSequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    // Array sort is stable: every other file keeps the place jest gave it.
    return [...ordered].sort((a, b) => rank(a.path) - rank(b.path));
  }
}
