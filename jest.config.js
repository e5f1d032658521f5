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
