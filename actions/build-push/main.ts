import { run } from '@shiprail/build-push/action';

await run();
