// The step itself: what dist/kustomize-bump runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runKustomizeBump } from './run.ts';

export const run = (): Promise<void> => runAction(runKustomizeBump);
