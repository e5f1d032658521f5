// The test kit: running bundled actions, a recording runtime, action contracts, hostile-input checks,
// fault-injecting servers and the objects Kubernetes controllers write. Only tests import it.
export * from './contract.ts';
export * from './fault-server.ts';
export * from './github-pulls-server.ts';
export * from './harness.ts';
export * from './hostile.ts';
export * from './kube-scenarios.ts';
export * from './kubeconfig.ts';
export * from './kubectl.ts';
export * from './runtime.ts';
export * from './synthetic-trivy-report.ts';
export * from './trivy-release-server.ts';
