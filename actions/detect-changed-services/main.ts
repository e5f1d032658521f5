import { runAction } from '@shiprail/core/action';
import { runDetect } from '@shiprail/detect';

await runAction(runDetect);
