// The order the test files start in. Jest's own order puts the files that took longest last time first, so
// that no worker is left with a long file at the end; on a machine with no record of a last run (a clean
// CI checkout) it falls back to the largest file first, which starts the short files that rehearse whole
// pipelines last, and the run then waits minutes on them alone. The two longest files start first whatever
// jest knows. A third long one started with them would leave the cores idle while three rehearsals wait on
// their servers and deadlines, and one started last would run alone at the end: it starts after the first
// fifth of the others, about when the first of the two longest ends (measured on a clean checkout). The rest
// keep jest's order.
import { createRequire } from 'node:module';

// The sequencer jest ships and uses by default, resolved from jest itself.
const require = createRequire(createRequire(import.meta.url).resolve('jest'));
const { default: JestSequencer } = require('@jest/test-sequencer');

/** The files that take longest, longest first (each rehearses whole pipelines, scenario after scenario). */
export const LONGEST_FILES = ['test/rehearsal/scenarios-release.test.ts', 'test/rehearsal/scenarios-callers.test.ts'];
/** Long files that start after the first fifth of the others (a user's repository, scenario after scenario). */
export const MIDWAY_FILES = ['test/cli/rehearse-storefront.test.ts'];

const named = (files, path) => files.findIndex((file) => path.endsWith(`/${file}`));

export default class LongestFirstSequencer extends JestSequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const rank = (test) => {
      const index = named(LONGEST_FILES, test.path);
      return index === -1 ? LONGEST_FILES.length : index;
    };
    // Array sort is stable: every other file keeps the place jest gave it.
    const sorted = [...ordered].sort((a, b) => rank(a) - rank(b));
    const midway = sorted.filter((test) => named(MIDWAY_FILES, test.path) !== -1);
    const others = sorted.filter((test) => named(MIDWAY_FILES, test.path) === -1);
    const fifth = LONGEST_FILES.length + Math.ceil((others.length - LONGEST_FILES.length) / 5);
    return [...others.slice(0, fifth), ...midway, ...others.slice(fifth)];
  }
}
