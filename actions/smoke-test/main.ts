import { run } from '@shiprail/smoke/action';

await run();
