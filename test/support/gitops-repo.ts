export * from '../../packages/rehearsal/src/gitops-repo.ts';
