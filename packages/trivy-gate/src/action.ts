// The step itself: what dist/trivy-gate runs, and the entry @github/local-action calls.
import { runAction } from '@shiprail/core/action';
import { runTrivyGate } from './run.ts';

export const run = (): Promise<void> => runAction(runTrivyGate);
