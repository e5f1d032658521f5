import { runAction } from '@shiprail/core/action';
import { runCanaryAnalyze } from '@shiprail/canary';

await runAction(runCanaryAnalyze);
