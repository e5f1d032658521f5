import { parseInputs } from '@shiprail/test-report';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { reports: 'reports/*.xml' },
};
