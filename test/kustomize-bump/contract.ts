import { parseInputs } from '@shiprail/kustomize-bump';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.0.0' },
};
