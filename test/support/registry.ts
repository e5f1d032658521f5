export * from '../../packages/rehearsal/src/registry.ts';
