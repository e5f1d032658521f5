export * from '../../packages/rehearsal/src/kube-patch.ts';
