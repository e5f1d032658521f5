// The step itself: what dist/test-report runs.
import { runAction } from '@shiprail/core/action';
import { runTestReport } from './run.ts';

export const run = (): Promise<void> => runAction(runTestReport);
