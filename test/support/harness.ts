export * from '../../packages/rehearsal/src/harness.ts';
