import { expect, test } from '@playwright/test';

/*
 * The example portal on the new frontend system (packages/app), where
 * Promotion is installed by discovery only: its /alpha export's overview
 * card and entity content appear on entities with the promotion.io/policy
 * annotation and nowhere else.
 */
test('a developer signs in and finds the Promotion tab of a flow', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in as Alice Ng' }).click();

  await expect(page.getByText('Partner SFTP ingest').first()).toBeVisible();
  await page.goto('/catalog/default/component/partner-sftp-ingest');
  // The overview renders its cards (the About card needs the SCM integrations API).
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  // The Promotion card: the compact ladder.
  await expect(
    page
      .getByRole('region', { name: 'Ladder' })
      .getByText('Production', { exact: true }),
  ).toBeVisible();
  // The entity page's tabs: the new frontend system's content navigation.
  const tab = page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Promotion', exact: true });
  await expect(tab).toBeVisible();
  await tab.click();
  await expect(page).toHaveURL(/\/promotion$/);
  await expect(page.getByText('Dev').first()).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/smoke-promotion-tab.png',
    fullPage: true,
  });

  // A component without the annotation: neither the tab nor the card (their
  // code is loaded by now, so they would show with the About card).
  await page.goto('/catalog/default/component/legacy-batch');
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Promotion', exact: true }),
  ).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Ladder' })).toHaveCount(0);
});
