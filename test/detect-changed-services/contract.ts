import { parseInputs } from '@shiprail/detect';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: {},
  sourceDirs: ['packages/detect/src'],
};
