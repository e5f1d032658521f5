import { run } from '@shiprail/trivy-gate/action';

await run();
