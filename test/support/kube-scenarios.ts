export * from '../../packages/rehearsal/src/kube-scenarios.ts';
