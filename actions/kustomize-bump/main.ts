import { run } from '@shiprail/kustomize-bump/action';

await run();
