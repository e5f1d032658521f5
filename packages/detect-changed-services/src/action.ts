// The step itself: what dist/detect-changed-services runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runDetectChangedServices } from './run.ts';

export const run = (): Promise<void> => runAction(runDetectChangedServices);
