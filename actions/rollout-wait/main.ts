import { run } from '@shiprail/rollout/action';

await run();
