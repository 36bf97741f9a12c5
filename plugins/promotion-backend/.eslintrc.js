module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // Shared checks of the test utilities (`expectIndexMigration`) assert.
    'jest/expect-expect': ['warn', { assertFunctionNames: ['expect*'] }],
  },
});
