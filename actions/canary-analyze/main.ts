import { run } from '@shiprail/canary-analyze/action';

await run();
