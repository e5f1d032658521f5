export * from '../../packages/rehearsal/src/sample-service.ts';
