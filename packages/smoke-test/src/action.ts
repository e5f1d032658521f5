// The step itself: what dist/smoke-test runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runSmokeTest } from './run.ts';

export const run = (): Promise<void> => runAction(runSmokeTest);
