import { run } from '@shiprail/rollout-wait/action';

await run();
