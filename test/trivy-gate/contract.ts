import { parseInputs } from '@shiprail/trivy-gate';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { image: 'ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' },
};
