// The suite makes hundreds of short-lived repositories: git's upkeep after each commit and fetch
// (`maintenance run --auto`, `gc --auto`) is one more process each time, for nothing. The workers, and every
// git they start without an environment of its own, inherit this. (A push's receiving side is started
// without it: git clears these variables for it.)
if (process.env.GIT_CONFIG_COUNT === undefined) {
  Object.assign(process.env, {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'maintenance.auto',
    GIT_CONFIG_VALUE_0: 'false',
    GIT_CONFIG_KEY_1: 'gc.auto',
    GIT_CONFIG_VALUE_1: '0',
  });
}

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/packages/testkit/src/strip-types-transform.js',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  // Many suites spend most of their time waiting on deadlines, servers and child processes: a third worker
  // keeps two cores busy while one of them waits (measured: 1.7 cores in use with two workers).
  maxWorkers: 3,
  testSequencer: '<rootDir>/packages/testkit/src/longest-first-sequencer.js',
  reporters: ['default', '<rootDir>/packages/testkit/src/summary-reporter.js'],
  coverageProvider: 'v8',
  collectCoverageFrom: ['packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
};
