import { run } from '@shiprail/build/action';

await run();
