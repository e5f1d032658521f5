import { run } from '@shiprail/canary/action';

await run();
