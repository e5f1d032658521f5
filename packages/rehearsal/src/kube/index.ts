// A Kubernetes API server that speaks the real wire protocol, its store and patch semantics, the
// workloads its controllers write, and the cluster that reconciles a rendered overlay into it (every object
// applied as rendered, workload controllers, and the readiness seam a kubelet answers).
export * from './api-server.ts';
export * from './cluster.ts';
export * from './patch.ts';
export * from './store.ts';
export * from './workloads.ts';
export * from './kubeconfig.ts';
export * from './argo-cd.ts';
export * from './gitops-objects.ts';
export * from './apply.ts';
export * from './controllers.ts';
export * from './readiness.ts';
