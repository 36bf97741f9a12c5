import { expect, test } from '@playwright/test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { api, BACKEND, flowUrl, REPO, signIn, TOKEN } from './support';

/*
 * Freeze windows in the running portal. The ledger-close flow follows the
 * finance-close policy of app-config.yaml (Production frozen at weekends and
 * over the quarter-end close); the browser tests' overlay
 * (e2e/make-e2e-config.js) adds a window in force for the whole run. While
 * it is: the gate API and `promotion-gate check` answer frozen (exit 4) with
 * the window's sentence, a deployment reported anyway is a violation, the
 * rollback target still goes back with no violation, and the tab shows the
 * frozen environment with the same sentence. Only
 * component:default/ledger-close is used.
 */

const FLOW_REF = 'component:default/ledger-close';
const FLOW = flowUrl(FLOW_REF);
const TAB = '/catalog/default/component/ledger-close/promotion';
const SHOTS = path.join(REPO, 'test-results/screenshots');
const REASON = 'change freeze (browser test)';
/** The gate's sentence: the end is more than six days away, so it has its date. */
const FROZEN =
  /^Production is frozen until \w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d UTC: change freeze \(browser test\)$/;

const gate = (version: string) =>
  api('GET', `${FLOW}/gate?environment=production&version=${version}`);
const deploy = async (environment: string, version: string) =>
  (
    await api('POST', `${FLOW}/deployments`, {
      body: { environment, version, status: 'succeeded' },
    })
  ).deployment;

/** Runs this repository's `promotion-gate check` with the pipeline's token. */
function check(version: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(REPO, 'plugins/promotion-gate/bin/promotion-gate'),
        'check',
        '--flow',
        FLOW_REF,
        '--environment',
        'production',
        '--version',
        version,
      ],
      {
        env: {
          ...process.env,
          PROMOTION_URL: BACKEND,
          PROMOTION_TOKEN: TOKEN,
        },
        timeout: 90_000,
      },
    );
    let out = '';
    child.stdout.on('data', chunk => (out += chunk));
    child.stderr.on('data', chunk => (out += chunk));
    child.on('error', reject);
    child.on('close', code => resolve({ code, out }));
  });
}

test.describe.configure({ mode: 'serial' });

test('a freeze window closes Production; the rollback target still goes back', async ({
  browser,
}) => {
  // 1.0.0 and 1.1.0 reach Production during the freeze: recorded, as violations.
  for (const version of ['1.0.0', '1.1.0']) {
    await deploy('dev', version);
    const deployment = await deploy('production', version);
    expect(deployment.violation).toBe(true);
    expect(deployment.unmetConditions.map((c: any) => c.code)).toEqual([
      'approval-required',
      'frozen',
    ]);
  }

  // 1.1.0 is rolled back: 1.0.0, the rollback target, goes back unblocked.
  const rollback = await api('POST', `${FLOW}/rollbacks`, {
    body: { environment: 'production', reason: 'Ledger totals off by one' },
  });
  expect(rollback).toMatchObject({ fromVersion: '1.1.0', toVersion: '1.0.0' });
  expect(await gate('1.0.0')).toEqual({
    entityRef: FLOW_REF,
    environmentId: 'production',
    version: '1.0.0',
    open: true,
    unmetConditions: [],
    approvedBy: 'rollback-target',
  });
  const targetCheck = await check('1.0.0');
  expect(targetCheck.code, targetCheck.out).toBe(0);
  expect((await deploy('production', '1.0.0')).violation).toBe(false);

  // 1.2.0 waits: the gate API answers frozen with the window.
  await deploy('dev', '1.2.0');
  const frozen = await gate('1.2.0');
  expect(frozen).toMatchObject({
    open: false,
    unmetConditions: [
      { code: 'approval-required', environmentId: 'production' },
      { code: 'frozen', environmentId: 'production' },
    ],
    freeze: {
      environmentId: 'production',
      reason: REASON,
      timeZone: 'UTC',
      active: true,
    },
  });
  const sentence: string = frozen.unmetConditions[1].message;
  expect(sentence).toMatch(FROZEN);

  // The CLI says frozen, with its own exit code.
  const cli = await check('1.2.0');
  expect(cli.code, cli.out).toBe(4);
  expect(cli.out).toContain(`Gate CLOSED, frozen until ${frozen.freeze.end}`);
  expect(cli.out).toContain(`  - ${sentence}`);

  // The tab: Production frozen, in the gate's words, and the next step waits.
  const page = await signIn(browser, 'Bob Osei');
  await page.goto(TAB);
  const freeze = page.getByRole('alert', { name: 'Freeze of Production' });
  await expect(freeze).toHaveText(
    sentence.replace(/^Production is frozen/, 'Frozen'),
  );
  await expect(
    page.getByRole('list', { name: 'Open conditions' }).getByRole('listitem'),
  ).toHaveText([frozen.unmetConditions[0].message, sentence]);
  await freeze.evaluate(element => element.scrollIntoView({ block: 'center' }));
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({
    path: path.join(SHOTS, 'freeze-window.png'),
    animations: 'disabled',
  });
  await page.context().close();
});

test('during the freeze a hotfix goes in on break-glass, flagged, and its retrospective review is closed', async ({
  browser,
}) => {
  // A hotfix reaches Dev; Production is frozen (and not approved).
  const version = `2.0.${Date.now().toString(36)}`;
  await deploy('dev', version);
  expect((await gate(version)).unmetConditions.map((c: any) => c.code)).toEqual(
    ['approval-required', 'frozen'],
  );

  // Bob (owner team, not on call) declares a break-glass; Erin approves it.
  const declared = await api('POST', `${FLOW}/break-glass`, {
    as: 'bob',
    body: {
      environment: 'production',
      version,
      reason: 'Quarter-end totals are off by the rounding bug',
      incidentLink: `https://incidents.example.com/INC-${version}`,
    },
  });
  expect(declared).toMatchObject({ status: 'pending', approvalsNeeded: 1 });
  const approved = await api(
    'POST',
    `${FLOW}/break-glass/${declared.id}/decisions`,
    {
      as: 'erin',
      body: { decision: 'approve', comment: 'Approved: the close cannot wait.' },
      status: 200,
    },
  );
  expect(approved).toMatchObject({ status: 'approved', decidedBy: 'user:default/erin' });

  // The gate is open by break-glass, the freeze among what it overrides.
  const open = await gate(version);
  expect(open).toMatchObject({
    open: true,
    approvedBy: 'break-glass',
    breakGlassId: declared.id,
  });
  expect(open.overriddenConditions.map((c: any) => c.code)).toEqual([
    'approval-required',
    'frozen',
  ]);
  const deployment = await deploy('production', version);
  expect(deployment).toMatchObject({
    violation: false,
    breakGlassId: declared.id,
  });
  // Used once: the next deployment of it would be frozen again.
  expect((await gate(version)).open).toBe(false);

  // The tab flags it; the report fails its retrospective review until Dana closes it.
  const page = await signIn(browser, 'Bob Osei');
  await page.goto(TAB);
  await expect(
    page.getByText(/This deployment went in on break-glass/).first(),
  ).toBeVisible();
  const reportRow = async () =>
    (
      await api('GET', `${BACKEND}/api/promotion/reports/verification`, {
        as: 'ann',
      })
    ).violations.find((v: any) => v.deploymentId === deployment.id);
  expect((await reportRow()).failedChecks.map((c: any) => c.kind)).toEqual([
    'break-glass-review-open',
  ]);
  const reviewed = await api(
    'POST',
    `${FLOW}/break-glass/${declared.id}/review`,
    {
      as: 'dana',
      body: { comment: 'Reviewed: rounding fixed, a regression test added.' },
      status: 200,
    },
  );
  expect(reviewed.review).toMatchObject({
    status: 'closed',
    closedBy: 'user:default/dana',
  });
  expect(await reportRow()).toBeUndefined();
  await page.context().close();
});
