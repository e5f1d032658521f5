import { parseInputs } from '@shiprail/test-report';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { reports: 'reports/*.xml' },
};
