/**
 * The fault suite (`npm run test:faults`): each spec starts its own PostgreSQL cluster, redis-server, SMTP
 * server and compiled api and worker processes, so it can stop, kill and restart them.
 */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } }];

module.exports = {
  rootDir: __dirname,
  displayName: 'faults',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@evently/(.*)$': '<rootDir>/libs/$1/src' },
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  globalSetup: '<rootDir>/test/faults/support/global-setup.js',
  testTimeout: 120_000,
};
