import { parseInputs } from '@shiprail/detect-changed-services';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: {},
};
