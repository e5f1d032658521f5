export * from '../../packages/rehearsal/src/kube-api-server.ts';
