// The workflow runner: a GitHub Actions workflow file run as the hosted runner runs it.
export * from './bundled-action.ts';
export * from './calls.ts';
export * from './concurrency.ts';
export * from './environments.ts';
export * from './events.ts';
export * from './expressions.ts';
export * from './matrix.ts';
export * from './permissions.ts';
export * from './steps.ts';
export * from './third-party.ts';
export * from './workflow-run.ts';
export * from './workflow.ts';
