import { expect, Page, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { api, BACKEND, flowUrl, REPO, signIn } from './support';

/*
 * Break-glass, played in the running portal (new frontend system): the bank's
 * payments fail and a hotfix cannot wait for the gate into Production.
 *
 * 1. The pipeline takes a new version of ledger-reconciler to Dev and Test:
 *    its Production gate is closed (Test not validated, no approval).
 * 2. Bob (developer, owner team, not on call) declares a break-glass in the
 *    tab with the reason and the incident link.
 * 3. Erin (approver) approves it on her Approvals page, with a comment.
 * 4. The pipeline asks the gate (open by break-glass) and deploys.
 * 5. The tab flags the deployment; the verification report fails the
 *    retrospective review check for it.
 * 6. Dana (approver) closes the retrospective review with a comment; the
 *    report no longer lists it.
 *
 * Only component:default/ledger-reconciler is used; the version is unique
 * per run, so the spec passes on a database earlier runs have used.
 */

const FLOW_REF = 'component:default/ledger-reconciler';
const FLOW = flowUrl(FLOW_REF);
const TAB = '/catalog/default/component/ledger-reconciler/promotion';
const RUN = Date.now();
const VERSION = `5.0.${RUN.toString(36)}`;
const SUBJECT = `${VERSION} into Production`;
const REASON = 'Reconciliation fails for every bank statement since 06:00';
const INCIDENT = `https://incidents.example.com/INC-${RUN}`;
const SHOTS = path.join(REPO, 'test-results/screenshots');
const REPORT = `${BACKEND}/api/promotion/reports/verification`;

/** Saves what the person sees now (the viewport) as a screenshot. */
async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({
    path: path.join(SHOTS, `${name}.png`),
    animations: 'disabled',
  });
}

/** This run's deployment's row in the verification report, as an auditor reads it. */
async function reportRowOf(deploymentId: string) {
  const report = await api('GET', REPORT, { as: 'ann' });
  return report.violations.find((v: any) => v.deploymentId === deploymentId);
}

test('a break-glass is declared, approved, used once, flagged and reviewed', async ({
  browser,
}) => {
  // 1. The pipeline: Dev and Test; the Production gate is closed.
  for (const environment of ['dev', 'test']) {
    await api('POST', `${FLOW}/deployments`, {
      body: { environment, version: VERSION, status: 'succeeded' },
    });
  }
  const closed = await api(
    'GET',
    `${FLOW}/gate?environment=production&version=${VERSION}`,
  );
  expect(closed.open).toBe(false);

  // 2. Bob declares a break-glass from the closed gate.
  const developer = await signIn(browser, 'Bob Osei');
  await developer.goto(TAB);
  await expect(
    developer.getByText(`Next step: ${SUBJECT}`, { exact: true }),
  ).toBeVisible();
  await developer
    .getByRole('button', {
      name: `Break glass: deploy ${VERSION} into Production in an emergency`,
    })
    .click();
  const declaration = developer.getByRole('dialog');
  await expect(declaration).toContainText(
    'One approver of Production must approve it first.',
  );
  await declaration.getByRole('textbox', { name: 'Reason' }).fill(REASON);
  await declaration
    .getByRole('textbox', { name: 'Incident link' })
    .fill(INCIDENT);
  await declaration
    .getByRole('button', { name: 'Declare break-glass' })
    .click();
  await expect(declaration).toBeHidden();
  const declared = developer.getByRole('region', {
    name: `Break-glass for ${SUBJECT}`,
  });
  await expect(declared).toContainText('Waiting for one approver.');
  await expect(declared).toContainText(REASON);

  // 3. Erin approves it on her Approvals page.
  const approver = await signIn(browser, 'Erin Cho');
  await approver.getByRole('link', { name: 'Approvals' }).click();
  await expect(approver).toHaveURL(/\/promotion$/);
  const waiting = approver.getByRole('region', {
    name: `Break-glass for ${SUBJECT}`,
  });
  await expect(waiting).toContainText('Declared by Bob Osei');
  await expect(waiting).toContainText(INCIDENT);
  await waiting
    .getByRole('button', { name: `Approve break-glass for ${SUBJECT}` })
    .click();
  const approval = approver.getByRole('dialog');
  await approval
    .getByRole('textbox', { name: 'Comment' })
    .fill('Approved: the hotfix is one line and the incident is open.');
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(approval).toBeHidden();

  // 4. The pipeline: the gate is open by break-glass, once; it deploys.
  const open = await api(
    'GET',
    `${FLOW}/gate?environment=production&version=${VERSION}`,
  );
  expect(open).toMatchObject({ open: true, approvedBy: 'break-glass' });
  expect(open.overriddenConditions.length).toBeGreaterThan(0);
  const { deployment } = await api('POST', `${FLOW}/deployments`, {
    body: { environment: 'production', version: VERSION, status: 'succeeded' },
  });
  expect(deployment).toMatchObject({
    violation: false,
    breakGlassId: open.breakGlassId,
  });

  // 5. The tab flags the deployment; the report lists the open review.
  await developer.reload();
  await expect(
    developer.getByText(/This deployment went in on break-glass/),
  ).toBeVisible();
  const row = await reportRowOf(deployment.id);
  expect(row.failedChecks.map((c: any) => c.kind)).toEqual([
    'break-glass-review-open',
  ]);

  const reviewer = await signIn(browser, 'Dana Whitfield');
  await reviewer.getByRole('link', { name: 'Approvals' }).click();
  const review = reviewer.getByRole('region', {
    name: `Break-glass for ${SUBJECT}`,
  });
  await expect(review).toContainText('Retrospective review open');
  await expect(review).toContainText(
    'Approved by Erin Cho: Approved: the hotfix is one line and the incident is open.',
  );
  await expect(
    reviewer.getByText(row.failedChecks[0].title).first(),
  ).toBeVisible();
  await review.scrollIntoViewIfNeeded();
  await screenshot(reviewer, 'break-glass');

  // 6. Dana closes the review; the report no longer lists it.
  await review
    .getByRole('button', {
      name: `Close retrospective review of break-glass for ${SUBJECT}`,
    })
    .click();
  const closing = reviewer.getByRole('dialog');
  await closing
    .getByRole('textbox', { name: 'Comment' })
    .fill('Reviewed: root cause fixed, regression test added on Test.');
  await closing.getByRole('button', { name: 'Close review' }).click();
  await expect(closing).toBeHidden();
  await expect(review).toBeHidden();
  expect(await reportRowOf(deployment.id)).toBeUndefined();
});
