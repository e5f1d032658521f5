import { run } from '@shiprail/detect-changed-services/action';

await run();
