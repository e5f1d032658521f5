import { parseInputs } from '@shiprail/smoke-test';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { checks: 'test/fixtures/smoke/checks.yml' },
};
