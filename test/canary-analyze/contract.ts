import { parseInputs } from '@shiprail/canary-analyze';
import type { ActionContract } from '@shiprail/testkit';

export const contract: ActionContract = {
  parseInputs,
  sampleInputs: {
    'prometheus-url': 'http://127.0.0.1:9090',
    metrics: '.github/canary.yml',
    baseline: 'app="web",track="stable"',
    canary: 'app="web",track="canary"',
  },
};
