// Type-checking is tsc's job in `npm test`; jest only transpiles, to CommonJS.
const transpileOnly = {
  tsconfig: {
    module: 'commonjs',
    target: 'ES2022',
    esModuleInterop: true,
    isolatedModules: true,
    allowJs: true,
  },
  diagnostics: false,
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/setup/environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', transpileOnly],
    // p-retry and its dependency ship as ESM only; jest's CommonJS runtime needs them transformed.
    '^.+/node_modules/(p-retry|is-network-error)/.+\\.js$': ['ts-jest', transpileOnly],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-retry|is-network-error)/)'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/resource-guard.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
