import { expect, test } from '@playwright/test';

/*
 * The legacy example app (packages/app-legacy), which installs Promotion the
 * legacy way: the tab with `if={isPromotionAvailable}` on the entity page,
 * the overview card in an EntitySwitch, the Approvals page on a route and in
 * the sidebar. scripts/e2e.sh builds it and the backend's app plugin serves
 * it (the `app-legacy` project of playwright.config.ts).
 */
test('the legacy app shows the Promotion tab and card where the annotation is, and the Approvals page', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in as Alice Ng' }).click();
  const approvals = page.getByRole('link', { name: 'Approvals' });
  await expect(approvals).toBeVisible();

  // A flow (promotion.io/policy annotation): the overview card and the tab.
  await page.goto('/catalog/default/component/partner-sftp-ingest');
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  // The Promotion card: its compact ladder is the overview's only ladder.
  await expect(
    page
      .getByRole('region', { name: 'Ladder' })
      .getByText('Production', { exact: true }),
  ).toBeVisible();
  const tab = page.getByRole('tab', { name: 'Promotion' });
  await expect(tab).toBeVisible();
  await tab.click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/partner-sftp-ingest\/promotion$/,
  );
  const ladder = page.getByRole('region', { name: 'Ladder' });
  for (const environment of ['Dev', 'Test', 'Production']) {
    await expect(ladder.getByText(environment, { exact: true })).toBeVisible();
  }

  // A component without the annotation: neither tab nor card.
  await page.goto('/catalog/default/component/legacy-batch');
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Overview' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Dependencies' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Promotion' })).toHaveCount(0);
  await expect(page.getByText('Promotion', { exact: true })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Ladder' })).toHaveCount(0);

  // The Approvals page from the sidebar.
  await approvals.click();
  await expect(page).toHaveURL(/\/promotion$/);
  await expect(
    page.getByRole('heading', { name: 'Approvals', level: 1 }),
  ).toBeVisible();
  // The inbox card, and (Alice is no auditor) why the report is not shown.
  await expect(
    page.getByText('Waiting for you', { exact: true }),
  ).toBeVisible();
  await expect(
    page.getByText(
      'The verification report and the audit trail are for auditors: you do not have the promotion.audit.read permission.',
    ),
  ).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/legacy-approvals-page.png',
    fullPage: true,
  });
});
