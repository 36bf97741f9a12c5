import { expect, test } from '@playwright/test';

test('a developer signs in and finds the Promotion tab of a flow', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in as Alice Ng' }).click();

  await expect(page.getByText('Partner SFTP ingest').first()).toBeVisible();
  await page.goto('/catalog/default/component/partner-sftp-ingest');
  // The overview renders its cards (the About card needs the SCM integrations API).
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  const tab = page.getByRole('tab', { name: 'Promotion' });
  await expect(tab).toBeVisible();
  await tab.click();
  await expect(page).toHaveURL(/\/promotion$/);
  await expect(page.getByText('Dev').first()).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/smoke-promotion-tab.png',
    fullPage: true,
  });
});
