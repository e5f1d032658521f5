import { runAction } from '@shiprail/core/action';
import { runBuildPush } from '@shiprail/build';

await runAction(runBuildPush);
