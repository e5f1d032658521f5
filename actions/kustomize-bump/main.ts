import { run } from '@shiprail/kustomize/action';

await run();
