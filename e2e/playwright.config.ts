import { defineConfig } from '@playwright/test';

/**
 * Browser tests against the running portal (scripts/e2e.sh starts it).
 * Debian's chromium, never a downloaded browser.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // Generous limits: the tests wait for conditions, never for time, and on a
  // 2-core machine kept busy by other processes a first page or a catalog
  // refresh can take a minute. A passing run takes as long as it needs.
  timeout: 600_000,
  expect: { timeout: 90_000 },
  workers: 1,
  retries: 0,
  forbidOnly: true,
  outputDir: '../test-results/e2e',
  use: {
    baseURL: process.env.PROMOTION_APP_URL ?? 'http://localhost:3000',
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
