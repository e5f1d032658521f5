import { run } from '@shiprail/test-report/action';

await run();
