import { run } from '@shiprail/detect/action';

await run();
