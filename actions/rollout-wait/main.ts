import { runAction } from '@shiprail/core/action';
import { runRolloutWait } from '@shiprail/rollout';

await runAction(runRolloutWait);
