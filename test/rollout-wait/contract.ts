import { parseInputs } from '@shiprail/rollout-wait';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { resources: 'deployment/api' },
};
