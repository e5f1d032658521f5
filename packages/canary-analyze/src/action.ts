// The step itself: what dist/canary-analyze runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runCanaryAnalyze } from './run.ts';

export const run = (): Promise<void> => runAction(runCanaryAnalyze);
