import { parseInputs } from '@shiprail/detect-changed-services';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: {},
};
