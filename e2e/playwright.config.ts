import { defineConfig } from '@playwright/test';

/** The example portal on the new frontend system (packages/app, dev server). */
const APP_URL = process.env.PROMOTION_APP_URL ?? 'http://localhost:3000';
/**
 * The legacy example app (packages/app-legacy): its production build, served
 * by the backend's app plugin (scripts/e2e.sh).
 */
const LEGACY_APP_URL =
  process.env.PROMOTION_LEGACY_APP_URL ?? 'http://localhost:7007';
const LEGACY_SPEC = /legacy-app\.spec\.ts$/;

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
  projects: [
    // The story, the pipelines and the smoke test on the new frontend system.
    {
      name: 'app',
      testIgnore: LEGACY_SPEC,
      use: { browserName: 'chromium', baseURL: APP_URL },
    },
    // The legacy app's smoke test.
    {
      name: 'app-legacy',
      testMatch: LEGACY_SPEC,
      use: { browserName: 'chromium', baseURL: LEGACY_APP_URL },
    },
  ],
});
