export * from '../../packages/rehearsal/src/prometheus.ts';
