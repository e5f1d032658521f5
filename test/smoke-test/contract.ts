import { parseInputs } from '@shiprail/smoke-test';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { checks: 'test/fixtures/smoke/checks.yml' },
};
