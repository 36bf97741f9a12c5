import { expect, Page, test } from '@playwright/test';

/**
 * A brand-new app from @backstage/create-app with Promotion installed by the
 * README's steps only (scripts/verify-install.sh): the tab and card on the
 * annotated service and nowhere else, and the Approvals page. The same checks
 * run against the new frontend system (entity tabs are links) and the legacy
 * one (`--legacy`: entity tabs are tabs).
 */

async function enterAsGuest(page: Page, path: string) {
  await page.goto(path);
  // The stock app's sign-in page: the guest provider's Enter button (the
  // legacy template's `auto` may sign in without it).
  const enter = page.getByRole('button', { name: 'Enter' });
  const signedIn = page.getByRole('link', { name: 'Settings' });
  await expect(enter.or(signedIn).first()).toBeVisible();
  if (await enter.isVisible()) {
    await enter.click();
  }
}

function entityTab(page: Page, title: string) {
  return page
    .getByRole('tab', { name: title, exact: true })
    .or(page.getByRole('link', { name: title, exact: true }));
}

test('the Promotion tab and card appear on the annotated service', async ({
  page,
}) => {
  await enterAsGuest(page, '/catalog/default/component/promoted-service');

  // The overview card: the ladder of the `standard` policy (on the Overview
  // tab, only the card draws a ladder) under the card's title.
  const cardLadder = page.getByRole('region', { name: 'Ladder' });
  await expect(cardLadder.getByText('Dev', { exact: true })).toBeVisible();
  await expect(
    cardLadder.getByText('Production', { exact: true }),
  ).toBeVisible();
  const card = cardLadder.locator(
    'xpath=ancestor::*[.//text()[normalize-space(.)="Promotion"]][1]',
  );
  await expect(card).toBeVisible();
  await expect(card).not.toContainText('About');

  await entityTab(page, 'Promotion').click();
  await expect(page).toHaveURL(/\/promoted-service\/promotion$/);
  // The tab's content: the ladder and the gate into Production, which needs
  // the one-time approval.
  const ladder = page.getByRole('region', { name: 'Ladder' });
  for (const environment of ['Dev', 'Test', 'Production']) {
    await expect(ladder.getByText(environment, { exact: true })).toBeVisible();
  }
  await expect(
    page.getByText('Needs a one-time approval').first(),
  ).toBeVisible();
});

test('no Promotion tab or card on a service without the annotation', async ({
  page,
}) => {
  await enterAsGuest(page, '/catalog/default/component/plain-service');

  // The entity page is there, with its tabs and its About card...
  await expect(entityTab(page, 'Overview')).toBeVisible();
  await expect(page.getByText('About', { exact: true })).toBeVisible();
  await expect(page.getByText('plain-service').first()).toBeVisible();
  // ...and nothing of Promotion.
  await expect(entityTab(page, 'Promotion')).toHaveCount(0);
  await expect(page.getByText('Promotion', { exact: true })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Ladder' })).toHaveCount(0);
});

test('the Approvals page opens from the navigation', async ({ page }) => {
  await enterAsGuest(page, '/');

  await page.getByRole('link', { name: 'Approvals' }).first().click();
  await expect(page).toHaveURL(/\/promotion$/);
  await expect(page.getByRole('heading', { name: 'Approvals' })).toBeVisible();
  await expect(
    page.getByText('Nothing is waiting for your decision.'),
  ).toBeVisible();
  // The stock app's allow-all permission policy lets even the guest read
  // the verification report and the audit trail (the README warns of it).
  await expect(
    page.getByRole('heading', { name: 'Verification and audit' }),
  ).toBeVisible();
  await expect(page.getByText('The audit chain is intact')).toBeVisible();
});
