import { parseInputs } from '@shiprail/rollout';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { resources: 'deployment/api' },
  sourceDirs: ['packages/rollout/src'],
};
