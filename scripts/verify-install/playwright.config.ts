import { defineConfig } from '@playwright/test';

/**
 * The browser checks of scripts/verify-install.sh, against the brand-new app
 * it creates and starts. Debian's chromium, never a downloaded browser. The
 * JSON result goes where count-results.js reads it (VERIFY_INSTALL_RESULTS).
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // The tests wait for conditions, never for time; a first bundle or a
  // catalog refresh on a busy 2-core machine can take a minute.
  timeout: 300_000,
  expect: { timeout: 120_000 },
  workers: 1,
  retries: 0,
  forbidOnly: true,
  outputDir: process.env.VERIFY_INSTALL_OUTPUT ?? '../../test-results/install',
  reporter: [
    ['list'],
    [
      'json',
      {
        outputFile:
          process.env.VERIFY_INSTALL_RESULTS ??
          '../../test-results/install/results.json',
      },
    ],
  ],
  use: {
    baseURL: process.env.VERIFY_INSTALL_APP_URL ?? 'http://localhost:3400',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
