import { runAction } from '@shiprail/core/action';
import { runSmoke } from '@shiprail/smoke';

await runAction(runSmoke);
