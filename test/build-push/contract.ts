import { parseInputs } from '@shiprail/build-push';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { image: 'ghcr.io/acme/api' },
};
