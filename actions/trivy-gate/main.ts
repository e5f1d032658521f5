import { runAction } from '@shiprail/core/action';
import { runTrivyGate } from '@shiprail/trivy';

await runAction(runTrivyGate);
