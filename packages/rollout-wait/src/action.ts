// The step itself: what dist/rollout-wait runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runRolloutWait } from './run.ts';

export const run = (): Promise<void> => runAction(runRolloutWait);
