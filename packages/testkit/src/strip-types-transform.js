// Jest's transform for the suite's TypeScript: Node's own type stripping, the same that runs the scripts
// and the CLI. The code only uses erasable syntax (tsconfig's `erasableSyntaxOnly`), so stripping is the
// whole transform; types become spaces, so lines and columns stay those of the source and no source map
// is needed. `npm run bench -- test-transform` compares it with ts-jest on an empty cache, as CI starts.
import { createHash } from 'node:crypto';
import { stripTypeScriptTypes } from 'node:module';

/** Bump when the output for the same source changes. */
const VERSION = '1';

export default {
  process(sourceText, sourcePath) {
    return { code: stripTypeScriptTypes(sourceText, { mode: 'strip', sourceUrl: sourcePath }) };
  },
  getCacheKey(sourceText, sourcePath) {
    return createHash('sha256').update(`${VERSION}\0${process.version}\0${sourcePath}\0${sourceText}`).digest('hex');
  },
};
