import { runAction } from '@shiprail/core/action';
import { runKustomizeBump } from '@shiprail/kustomize';

await runAction(runKustomizeBump);
