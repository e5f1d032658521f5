import { run } from '@shiprail/trivy/action';

await run();
