// The loopback servers a rehearsal starts: an OCI registry, Prometheus, a git smart-HTTP server with its
// GitHub API, the sample service, and the mesh traffic Prometheus scrapes.
export * from './git-http-server.ts';
export * from './github-api.ts';
export * from './loopback.ts';
export * from './mesh-metrics.ts';
export * from './prometheus.ts';
export * from './registry.ts';
export * from './sample-service.ts';
export * from './traffic.ts';
