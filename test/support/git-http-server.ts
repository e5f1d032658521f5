export * from '../../packages/rehearsal/src/git-http-server.ts';
