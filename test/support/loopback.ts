export * from '../../packages/rehearsal/src/loopback.ts';
