import { parseInputs } from '@shiprail/rollout-wait';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { resources: 'deployment/api' },
};
