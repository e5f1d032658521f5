export * from '../../packages/rehearsal/src/sample-monorepo.ts';
