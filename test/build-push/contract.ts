import { parseInputs } from '@shiprail/build-push';
import type { ActionContract } from '../support/contract.ts';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { image: 'ghcr.io/acme/api' },
};
