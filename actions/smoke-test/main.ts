import { run } from '@shiprail/smoke-test/action';

await run();
