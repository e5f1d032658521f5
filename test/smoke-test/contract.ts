import { parseInputs } from '@shiprail/smoke';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { checks: 'test/fixtures/smoke/checks.yml' },
  sourceDirs: ['packages/smoke/src'],
};
