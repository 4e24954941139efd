// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

const transform = {
  ...base.transform,
  // The scaffold's transform skips .mjs, and d3-color (through @grafana/data) ships ESM only as .mjs.
  '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
};

module.exports = {
  // One real Theodolite server for the whole run: demo data, API keys, `theodolite serve`.
  globalSetup: '<rootDir>/src/test/globalSetup.ts',
  globalTeardown: '<rootDir>/src/test/globalTeardown.ts',
  // Each test makes real HTTP requests; on a busy shared machine 5 s (jest's default) is too tight.
  testTimeout: 30_000,
  projects: [
    {
      // The DataSource against that server, its requests sent with Node's fetch.
      ...base,
      displayName: 'integration',
      transform,
      testEnvironment: '<rootDir>/jest/jsdomWithNodeFetch.js',
      testMatch: ['<rootDir>/src/integration/**/*.test.ts'],
    },
    {
      // Editors rendered in jsdom, with the scaffold's browser set-up.
      ...base,
      displayName: 'components',
      transform,
      setupFilesAfterEnv: [...base.setupFilesAfterEnv, '<rootDir>/jest/canvasMeasureText.js'],
      testMatch: ['<rootDir>/src/components/**/*.test.{ts,tsx}'],
    },
  ],
};
