// The step itself: what dist/build-push runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runBuildPush } from './run.ts';

export const run = (): Promise<void> => runAction(runBuildPush);
