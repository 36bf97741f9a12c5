import { expect, Locator, Page, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import {
  api,
  BACKEND,
  flowUrl,
  PIPELINE,
  REPO,
  signIn,
  TOKEN,
} from './support';

/*
 * The governance documents' whole story, end to end, through the running
 * portal (scripts/e2e.sh starts it on a fresh database, with the
 * post-deployment minimum waits shortened by e2e/make-e2e-config.js):
 *
 * 1. Alice (developer) sees a flow with nothing deployed; the pipeline
 *    reports 1.0.0 to Dev; she completes Dev's checklist; 1.0.0 goes to
 *    Test; she completes Test's checklist with evidence links; Carol (owner
 *    team) signs off. The gate into Production has one open condition left:
 *    the approval.
 * 2. Alice requests the promotion with a dossier; she cannot approve her own
 *    request (the button says why, the API answers 403).
 * 3. Dana (the Director) approves on the Approvals page; the pipeline
 *    deploys; the post-deployment countdown runs out and the checklist is
 *    completed. The trail of 1.0.0 in Production names who requested,
 *    approved, validated and signed off.
 * 4. 1.1.0 climbs to Production on the standing approval, with no request;
 *    its trail points to 1.0.0's request.
 * 5. Alice records a rollback of 1.1.0 in Production: Dana is notified, the
 *    standing approval is revoked, the gate for 1.2.0 asks for approval.
 * 6. The pipeline deploys 1.2.0 through the closed gate anyway: recorded,
 *    flagged, in the verification report (one row with every check it
 *    failed, its post-deployment items pending) and its CSV; the report's
 *    evidence opens the flow's tab on the trail of that deployment.
 * 7. The audit chain verifies; after one row is edited in the database, it
 *    reports the broken link.
 * 9. The insights show the story's numbers: on the flow's tab, 4 Production
 *    deployments (1.0.0, 1.1.0, the revert to 1.0.0, 1.2.0), 1 rollback, a
 *    change failure rate of 25%, 1 violation, 1 request decided and 3
 *    versions from Dev to Production; on the Approvals page, the portal's,
 *    with their CSV.
 *
 * People act in the browser, each in their own browser context; the pipeline
 * acts through the REST API with its static token. Screenshots of the key
 * screens land in test-results/screenshots on every run.
 */

const FLOW_REF = 'component:default/partner-sftp-ingest';
const FLOW = flowUrl(FLOW_REF);
const TAB = '/catalog/default/component/partner-sftp-ingest/promotion';
const V1 = '1.0.0';
const V2 = '1.1.0';
const V3 = '1.2.0';
const RUN = Date.now();
const SHOTS = path.join(REPO, 'test-results/screenshots');
const DATA_DIR = process.env.PROMOTION_E2E_DATA_DIR;

interface ItemDefinition {
  id: string;
  title: string;
  scope?: 'version' | 'flow';
  evidenceRequired: boolean;
  minimumWaitSeconds?: number;
}
interface EnvironmentDefinition {
  id: string;
  title: string;
  checklist: ItemDefinition[];
  postDeployment: ItemDefinition[];
}

/** The policy as the running portal has it (with the shortened waits). */
let environments: Record<string, EnvironmentDefinition>;
/** The request that let 1.0.0 into Production (and granted the standing approval). */
let firstRequestId: string;
let developer: Page;
let director: Page;

/** A regular expression matching the text literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Carol's sign-off of 1.0.0 on Test and Dana's approval of its request. */
const SIGN_OFF_COMMENT =
  'Partner files land in S3 as agreed; the results on Test are fine.';
const APPROVAL_COMMENT =
  'Dossier read: tests and sign-off are in order. Go ahead.';

const evidence = (version: string, itemId: string) =>
  `https://ci.example.com/partner-sftp-ingest/${version}/${itemId}`;

/** Saves what the person sees now (the viewport) as a screenshot. */
async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: path.join(SHOTS, `${name}.png`),
    animations: 'disabled',
  });
}

/** Scrolls the portal's content so that the element is in the middle (or at the top). */
async function scrollTo(
  locator: Locator,
  block: 'start' | 'center' = 'center',
) {
  await locator.evaluate(
    (element, where) => element.scrollIntoView({ block: where }),
    block,
  );
}

/**
 * Expects a text to be shown whole: neither it nor anything around it up to
 * its list item is cut off (wider inside than the box that clips it).
 */
async function expectReadableWhole(locator: Locator) {
  const cut = await locator.evaluate(element => {
    const clipped: string[] = [];
    for (
      let node: HTMLElement | null = element as HTMLElement;
      node && node.tagName !== 'BODY';
      node = node.parentElement
    ) {
      if (
        node.scrollWidth > node.clientWidth + 1 &&
        getComputedStyle(node).overflowX !== 'visible'
      ) {
        clipped.push(`${node.tagName} ${node.scrollWidth}>${node.clientWidth}`);
      }
      if (node.tagName === 'LI') {
        break;
      }
    }
    return clipped;
  });
  expect(cut, 'the text is cut off by').toEqual([]);
}

/** The pipeline asks the gate, deploys, and reports the deployment. */
async function pipelineDeploys(
  environment: string,
  version: string,
  gate: 'open' | 'closed' = 'open',
  /** Tells a second deployment of the same version apart (its idempotency key). */
  attempt = 1,
) {
  const answer = await api(
    'GET',
    `${FLOW}/gate?${new URLSearchParams({ environment, version })}`,
  );
  expect(
    answer.open,
    `the gate for ${version} into ${environment}: ${JSON.stringify(
      answer.unmetConditions,
    )}`,
  ).toBe(gate === 'open');
  const recorded = await api('POST', `${FLOW}/deployments`, {
    body: {
      environment,
      version,
      status: 'succeeded',
      idempotencyKey: `story-${RUN}-${environment}-${version}${
        attempt > 1 ? `-${attempt}` : ''
      }`,
      link: `https://ci.example.com/partner-sftp-ingest/runs/${RUN}-${environment}-${version}`,
    },
  });
  expect(recorded.deployment).toMatchObject({
    environmentId: environment,
    version,
    violation: gate === 'closed',
    reportedBy: PIPELINE,
  });
  return { gate: answer, deployment: recorded.deployment };
}

/** One step of the ladder on the tab: its title and what stands there. */
function ladderStep(page: Page, index: number): Locator {
  return page
    .getByRole('region', { name: 'Ladder' })
    .locator('[class*="MuiStep-root"]')
    .nth(index);
}

async function expectLadder(page: Page, versions: Array<string | undefined>) {
  const ids = Object.keys(environments);
  for (const [index, version] of versions.entries()) {
    await expect(ladderStep(page, index)).toContainText(
      `${environments[ids[index]].title}${version ?? 'Nothing deployed'}`,
    );
  }
}

/** Completes a checklist item through its dialog, with an evidence link. */
async function completeItem(
  page: Page,
  title: string,
  completion: { evidenceLink?: string; note?: string },
) {
  await page
    .getByRole('button', { name: `Complete ${title}`, exact: true })
    .click();
  const dialog = page.getByRole('dialog', { name: `Complete “${title}”` });
  await expect(dialog).toBeVisible();
  if (completion.evidenceLink) {
    await dialog.getByLabel('Evidence link').fill(completion.evidenceLink);
  }
  if (completion.note) {
    await dialog.getByLabel('Note').fill(completion.note);
  }
  await dialog.getByRole('button', { name: 'Complete', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('button', { name: `Undo ${title}`, exact: true }),
  ).toBeVisible();
}

/**
 * The repetitive part for later versions, through the REST API as the same
 * people (to keep the run short; the UI path is exercised for 1.0.0):
 * Alice completes the validation checklist of an environment for a version.
 */
async function aliceCompletesChecklist(
  environment: string,
  version: string,
  flowScoped = false,
) {
  for (const item of environments[environment].checklist) {
    if (item.scope === 'flow' && !flowScoped) {
      continue; // completed once for the flow, with 1.0.0 (again after a rollback)
    }
    await api(
      'POST',
      `${FLOW}/environments/${environment}/checklist/${item.id}`,
      {
        as: 'alice',
        body: {
          // A flow-scoped item is completed for the flow, not a version.
          ...(item.scope !== 'flow' && { version }),
          evidenceLink: evidence(version, item.id),
        },
      },
    );
  }
}

/** Takes a version from nothing to Test, validated and signed off (REST API). */
async function climbToTest(version: string, afterRollback = false) {
  await pipelineDeploys('dev', version);
  await aliceCompletesChecklist('dev', version, afterRollback);
  await pipelineDeploys('test', version);
  if (afterRollback) {
    // "Re-enter this workflow from the top once fixed": the flow-scoped Test
    // item completed with 1.0.0 counts no more after the rollback.
    const flowItems = environments.test.checklist.filter(
      item => item.scope === 'flow',
    );
    expect(flowItems.length).toBeGreaterThan(0);
    const gate = await api(
      'GET',
      `${FLOW}/gate?environment=production&version=${version}`,
    );
    const testChecklist = gate.unmetConditions.find(
      (c: any) =>
        c.code === 'checklist-incomplete' && c.environmentId === 'test',
    );
    expect(testChecklist?.itemIds).toEqual(
      expect.arrayContaining(flowItems.map(item => item.id)),
    );
  }
  await aliceCompletesChecklist('test', version, afterRollback);
  await api('POST', `${FLOW}/environments/test/sign-offs`, {
    as: 'carol',
    body: {
      version,
      comment: `Ran the partner scenarios on Test for ${version}`,
    },
  });
}

/**
 * Opens the trail of the version standing in an environment ("Why is V
 * here?" on its card) and returns the dialog.
 */
async function openTrail(page: Page, version: string, environment: string) {
  const button = page.getByRole('button', {
    name: `Why is ${version} here? Show the trail of ${version} in ${environment}`,
    exact: true,
  });
  await expect(button).toHaveText(`Why is ${version} here?`);
  await button.click();
  const dialog = page.getByRole('dialog', {
    name: `Why is ${version} in ${environment}?`,
  });
  await expect(
    dialog.getByRole('region', { name: 'Who requested it?' }),
  ).toBeVisible();
  return dialog;
}

async function closeTrail(dialog: Locator) {
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
}

/** The open conditions listed in the Next step card. */
const openConditions = (page: Page) =>
  page.getByRole('list', { name: 'Open conditions' }).getByRole('listitem');

/** Seconds left on a `m:ss` countdown. */
function secondsLeft(text: string | null): number {
  const match = /^(\d+):(\d\d)$/.exec((text ?? '').trim());
  expect(match, `a countdown, not "${text}"`).toBeTruthy();
  return Number(match![1]) * 60 + Number(match![2]);
}

test.describe.configure({ mode: 'serial' });

test.describe('the governance story through the portal', () => {
  test.beforeAll(async ({ browser }) => {
    expect(
      DATA_DIR,
      'PROMOTION_E2E_DATA_DIR names the portal database directory (scripts/e2e.sh sets it)',
    ).toBeTruthy();
    fs.mkdirSync(SHOTS, { recursive: true });
    // The catalog reads the example entities shortly after the start.
    await expect
      .poll(
        async () =>
          (
            await fetch(FLOW, {
              headers: { Authorization: `Bearer ${TOKEN}` },
            })
          ).status,
        { message: `${FLOW_REF} is in the catalog`, timeout: 300_000 },
      )
      .toBe(200);
    const flow = await api('GET', FLOW);
    expect(flow.policy.name).toBe('standard');
    environments = Object.fromEntries(
      flow.policy.environments.map((e: EnvironmentDefinition) => [e.id, e]),
    );
    expect(Object.keys(environments)).toEqual([
      'dev',
      'test',
      'production',
      'dr',
    ]);
    expect(
      flow.environments.filter((e: any) => e.currentVersion),
      'the story starts on a fresh database: nothing deployed',
    ).toEqual([]);

    developer = await signIn(browser, 'Alice Ng');
    director = await signIn(browser, 'Dana Whitfield');
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const [name, page] of Object.entries({ developer, director })) {
        await page
          ?.screenshot({
            path: testInfo.outputPath(`${name}-failed.png`),
            fullPage: true,
          })
          .catch(() => undefined);
      }
    }
  });

  test.afterAll(async () => {
    await developer?.context().close();
    await director?.context().close();
  });

  test('1. 1.0.0 climbs to Test; the gate into Production waits only for the approval', async ({
    browser,
  }) => {
    await developer.goto(TAB);
    await expect(
      developer.getByText(
        'Nothing is deployed yet: the first deployment to Dev starts the ladder.',
      ),
    ).toBeVisible();
    await expectLadder(developer, [undefined, undefined, undefined, undefined]);

    // The pipeline deploys 1.0.0 to Dev; the open tab follows (signals).
    await pipelineDeploys('dev', V1);
    await expectLadder(developer, [V1, undefined, undefined, undefined]);
    await expect(
      developer.getByText(`Next step: ${V1} into Test`),
    ).toBeVisible();
    await expect(openConditions(developer)).toHaveText([
      new RegExp(`^Dev checklist is incomplete for version ${V1}: `),
    ]);

    // Alice completes Dev's checklist, each item with its evidence.
    for (const item of environments.dev.checklist) {
      await completeItem(developer, item.title, {
        evidenceLink: evidence(V1, item.id),
      });
    }
    await expect(
      developer.getByText(`The gate is open: ${V1} may go to Test.`),
    ).toBeVisible();

    await pipelineDeploys('test', V1);
    await expectLadder(developer, [V1, V1, undefined, undefined]);
    await expect(
      developer.getByText(`Next step: ${V1} into Production`),
    ).toBeVisible();

    // Test's checklist, with evidence links (one note says what was run).
    for (const item of environments.test.checklist) {
      await completeItem(developer, item.title, {
        evidenceLink: evidence(V1, item.id),
        note:
          item.id === 'end-to-end-tests'
            ? 'Partner upload, routing and S3 landing checked'
            : undefined,
      });
    }
    await expect(openConditions(developer)).toHaveText([
      `The owner has not signed off Test for version ${V1}.`,
      'Production needs a one-time approval: request promotion and wait for an approver.',
    ]);

    // Carol, in the owner team, signs off the Test results at her own desk.
    const owner = await signIn(browser, 'Carol Reyes');
    await owner.goto(TAB);
    await owner.getByRole('button', { name: 'Sign off Test' }).click();
    const signOff = owner.getByRole('dialog', {
      name: `Sign off ${V1} on Test`,
    });
    await signOff.getByLabel('Comment').fill(SIGN_OFF_COMMENT);
    await signOff.getByRole('button', { name: 'Sign off' }).click();
    await expect(signOff).toBeHidden();
    await expect(
      owner.getByText(`${V1} signed off by Carol Reyes`, { exact: false }),
    ).toBeVisible();
    await owner.context().close();

    // Exactly one open condition is left, in the tab and for the pipeline.
    await expect(openConditions(developer)).toHaveText([
      'Production needs a one-time approval: request promotion and wait for an approver.',
    ]);
    const gate = await api(
      'GET',
      `${FLOW}/gate?environment=production&version=${V1}`,
    );
    expect(gate.unmetConditions.map((c: any) => c.code)).toEqual([
      'approval-required',
    ]);
    await expectReadableWhole(openConditions(developer).first());
    await scrollTo(
      developer.getByRole('navigation', { name: 'Content navigation' }),
      'start',
    );
    await screenshot(developer, 'promotion-tab');
  });

  test('2. Alice requests the promotion and cannot approve it herself', async () => {
    await developer
      .getByRole('button', {
        name: `Request promotion of ${V1} into Production`,
      })
      .click();
    const dialog = developer.getByRole('dialog', {
      name: `Request promotion of ${V1} into Production`,
    });
    await expect(dialog).toBeVisible();
    // The test results are pre-filled from the checklists and their evidence.
    await expect(dialog.getByLabel('Test results')).toHaveValue(
      new RegExp(literally(evidence(V1, 'smoke-tests'))),
    );
    await dialog
      .getByLabel('What changed')
      .fill('Ingest of partner files over SFTP into the transfer bucket.');
    await dialog
      .getByLabel('Why')
      .fill('Onboards the first three partners before the end of the quarter.');
    await dialog
      .getByLabel('Release notes')
      .fill(
        `Partner SFTP ingest ${V1}: partners upload over SFTP; files land in S3 within a minute.`,
      );
    await expect(
      dialog.getByRole('region', { name: 'Dossier preview' }),
    ).toContainText('Onboards the first three partners');
    await scrollTo(
      dialog.getByRole('heading', {
        name: `Request promotion of ${V1} into Production`,
      }),
      'start',
    );
    await screenshot(developer, 'request-dialog');
    await dialog.getByRole('button', { name: 'Request promotion' }).click();
    await expect(dialog).toBeHidden();

    const subject = `${V1} into Production`;
    const approve = developer.getByRole('button', {
      name: `Approve ${subject}`,
    });
    await expect(developer.getByText(`Promote ${subject}`)).toBeVisible();
    await expect(
      developer.getByText(
        `A promotion request for ${V1} into Production is pending; see Pending requests.`,
      ),
    ).toBeVisible();
    await expect(approve).toBeDisabled();

    // The API refuses her approval; the tab said why, once for Approve and Reject.
    const { pendingRequests } = await api('GET', FLOW);
    expect(pendingRequests).toHaveLength(1);
    const request = pendingRequests[0];
    expect(request).toMatchObject({
      version: V1,
      environmentId: 'production',
      requestedBy: 'user:default/alice',
    });
    const refused = await api(
      'POST',
      `${BACKEND}/api/promotion/requests/${request.id}/decisions`,
      {
        as: 'alice',
        status: 403,
        body: {
          decision: 'approve',
          comment: 'Looks good to me',
          dossierHash: request.dossierHash,
        },
      },
    );
    expect(refused.error.name).toBe('NotAllowedError');
    expect(refused.error.message).toMatch(/^You requested this promotion/);
    const reason = 'You requested this promotion; another approver decides it.';
    const reject = developer.getByRole('button', { name: `Reject ${subject}` });
    await expect(reject).toBeDisabled();
    await expect(approve).toHaveAccessibleDescription(reason);
    await expect(reject).toHaveAccessibleDescription(reason);
    await expect(developer.getByText(reason, { exact: true })).toHaveCount(1);
  });

  test('3. Dana approves; 1.0.0 goes to Production; the post-deployment checklist is completed after its wait', async () => {
    // The sidebar tells her a request waits for her: the count on the
    // Approvals item's badge (the new frontend system's nav item is the
    // page's title and icon; the icon carries the count).
    await expect(
      director
        .getByRole('link', { name: 'Approvals' })
        .getByTestId('promotion-waiting-count'),
    ).toHaveText(/^[1-9]\d*$/);
    await director.getByRole('link', { name: 'Approvals' }).click();
    await expect(director).toHaveURL(/\/promotion$/);
    const subject = `${V1} into Production`;
    // Named by its heading: a link to the flow, then the subject.
    const card = director.getByRole('article', {
      name: new RegExp(`^Partner SFTP ingest\\s*: ${literally(subject)}$`),
    });
    await expect(card).toContainText('Requested by Alice Ng');
    await expect(card).toContainText('0 of 1 approval');
    // What she needs to decide, without opening the tab: the rest of the gate
    // and who signed off Test.
    await expect(card).toContainText(
      `Nothing else stands in the way: once approved, ${V1} may go to Production.`,
    );
    const signedOffTest = card.getByRole('region', { name: 'Sign-off' });
    await expect(signedOffTest).toContainText(
      'Test signed off by Carol Reyes on',
    );
    await expect(signedOffTest).toContainText(SIGN_OFF_COMMENT);
    const dossier = card.getByRole('button', { name: 'Dossier' });
    await dossier.click();
    await expect(dossier).toHaveAttribute('aria-expanded', 'true');
    await expect(
      card.getByText('Onboards the first three partners'),
    ).toBeVisible();
    await screenshot(director, 'approvals-pending');

    await card.getByRole('button', { name: `Approve ${subject}` }).click();
    const dialog = director.getByRole('dialog', { name: `Approve ${subject}` });
    await dialog.getByLabel('Comment').fill(APPROVAL_COMMENT);
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await expect(dialog).toBeHidden();
    await expect(
      director.getByText('Nothing is waiting for your decision.'),
    ).toBeVisible();

    // The gate opens on Alice's tab, under the standing approval just granted.
    await expect(
      developer.getByText(
        `The gate is open: ${V1} may go to Production under the standing approval.`,
      ),
    ).toBeVisible();
    await expect(
      developer.getByText(/Granted on .* by Dana Whitfield\./),
    ).toBeVisible();

    const { deployment } = await pipelineDeploys('production', V1);
    await expectLadder(developer, [V1, V1, V1, undefined]);

    // The minimum wait counts down, and holds its item back meanwhile.
    const [monitor, ...others] = environments.production.postDeployment;
    expect(monitor.minimumWaitSeconds).toBeGreaterThan(0);
    expect(others.every(item => !item.minimumWaitSeconds)).toBe(true);
    const timer = developer.getByRole('timer', {
      name: `Time left for ${monitor.title}`,
    });
    await expect(timer).toBeVisible();
    const first = secondsLeft(await timer.textContent());
    expect(first).toBeLessThanOrEqual(monitor.minimumWaitSeconds!);
    await expect
      .poll(async () => secondsLeft(await timer.textContent()), {
        timeout: 60_000,
      })
      .toBeLessThan(first);
    const completeMonitor = developer.getByRole('button', {
      name: `Complete ${monitor.title}`,
      exact: true,
    });
    await expect(completeMonitor).toBeDisabled();
    await expect(completeMonitor).toHaveAccessibleDescription(
      /^Wait \d+:\d\d more: the minimum wait of .+ after the deployment has not elapsed\.$/,
    );
    await expectReadableWhole(timer);
    await expectReadableWhole(
      developer.getByText(/^Wait \d+:\d\d more: the minimum wait/),
    );
    await scrollTo(timer);
    await screenshot(developer, 'post-deployment-countdown');

    // The rest of the post-deployment checklist meanwhile.
    for (const item of others) {
      await completeItem(developer, item.title, {
        evidenceLink:
          item.id === 'release-notes-delivered'
            ? `https://mail.example.com/release-notes/partner-sftp-ingest/${V1}`
            : undefined,
      });
    }

    // Once the wait has passed, the countdown is gone and the item can be done.
    const waitEnds =
      Date.parse(deployment.reportedAt) + monitor.minimumWaitSeconds! * 1000;
    await expect(completeMonitor).toBeEnabled({
      timeout: Math.max(0, waitEnds - Date.now()) + 90_000,
    });
    await expect(timer).toBeHidden();
    await completeItem(developer, monitor.title, {
      note: 'No errors in the logs since the deployment',
    });

    // Production is done: the next rung (DR) needs nothing more.
    await expect(
      developer.getByText(
        `The gate is open: ${V1} may go to Disaster recovery.`,
      ),
    ).toBeVisible();

    // Why is 1.0.0 in Production? The trail answers the auditor's questions.
    const trail = await openTrail(developer, V1, 'Production');
    await expect(trail).toContainText(`${V1} was deployed to Production on `);
    await expect(trail.getByRole('alert')).toHaveCount(0);
    await expect(
      trail.getByRole('region', { name: 'Who requested it?' }),
    ).toContainText(
      `Alice Ng requested the promotion of ${V1} into Production`,
    );
    const approved = trail.getByRole('region', { name: 'Who approved it?' });
    await expect(approved.getByRole('listitem')).toHaveCount(1);
    await expect(approved).toContainText('Dana Whitfield approved on');
    await expect(approved).toContainText(APPROVAL_COMMENT);
    const validated = trail.getByRole('region', {
      name: 'Who validated the Test results?',
    });
    const smoke = environments.test.checklist.find(
      item => item.id === 'smoke-tests',
    )!;
    const smokeDone = validated
      .getByRole('listitem')
      .filter({ hasText: `“${smoke.title}”` });
    await expect(smokeDone).toContainText('completed by Alice Ng');
    await expect(
      smokeDone.getByRole('link', { name: /^evidence/ }),
    ).toHaveAttribute('href', evidence(V1, 'smoke-tests'));
    await expect(validated.getByRole('listitem')).toHaveCount(
      environments.test.checklist.length,
    );
    await expect(validated).not.toContainText('Not completed');
    const signedOff = trail.getByRole('region', {
      name: 'When was Test signed off?',
    });
    await expect(signedOff).toContainText(`Carol Reyes signed off ${V1} on `);
    await expect(signedOff).toContainText(SIGN_OFF_COMMENT);
    await expect(
      trail.getByRole('region', { name: 'Why was it promoted?' }),
    ).toContainText('Onboards the first three partners');
    await screenshot(developer, 'deployment-trail');

    // The pipeline reads the same trail with its token.
    const answer = await api(
      'GET',
      `${FLOW}/deployments/${deployment.id}/trail`,
    );
    expect(answer.approval).toMatchObject({
      basis: 'standing-approval',
      request: { version: V1, requestedBy: 'user:default/alice' },
    });
    firstRequestId = answer.approval.request.id;
    await closeTrail(trail);
  });

  test('4. 1.1.0 climbs to Production on the standing approval', async () => {
    await climbToTest(V2);
    await expectLadder(developer, [V2, V2, V1, undefined]);
    await expect(
      developer.getByText(
        `The gate is open: ${V2} may go to Production under the standing approval.`,
      ),
    ).toBeVisible();
    const { gate, deployment } = await pipelineDeploys('production', V2);
    expect(gate).toMatchObject({
      open: true,
      approvedBy: 'standing-approval',
      unmetConditions: [],
    });
    await expectLadder(developer, [V2, V2, V2, undefined]);
    // Nobody was asked: no request, nothing in the Director's inbox.
    await expect(
      developer.getByText('No promotion request is waiting for a decision.'),
    ).toBeVisible();
    const flow = await api('GET', FLOW);
    expect(flow.pendingRequests).toEqual([]);
    expect(
      (await api('GET', `${BACKEND}/api/promotion/inbox`, { as: 'dana' }))
        .items,
    ).toEqual([]);

    // Its trail points to the request that let 1.0.0 in.
    const trail = await openTrail(developer, V2, 'Production');
    await expect(
      trail.getByRole('region', { name: 'Who requested it?' }),
    ).toContainText(
      `Alice Ng requested the promotion of ${V1} into Production on `,
    );
    await expect(
      trail.getByRole('region', { name: 'Who requested it?' }),
    ).toContainText(`on which ${V2} went in without a request of its own`);
    await expect(
      trail.getByRole('region', { name: 'Who approved it?' }),
    ).toContainText(APPROVAL_COMMENT);
    await expect(
      trail.getByRole('region', { name: 'When was Test signed off?' }),
    ).toContainText(`Carol Reyes signed off ${V2} on `);
    await closeTrail(trail);
    const answer = await api(
      'GET',
      `${FLOW}/deployments/${deployment.id}/trail`,
      { as: 'alice' },
    );
    expect(answer.approval).toMatchObject({
      basis: 'standing-approval',
      request: { id: firstRequestId, version: V1 },
    });
  });

  test('5. A rollback of 1.1.0 notifies the approvers and revokes the standing approval', async () => {
    const reason = `Partner uploads time out after ${V2}`;
    await developer.getByRole('button', { name: 'Record rollback' }).click();
    const dialog = developer.getByRole('dialog', { name: 'Record a rollback' });
    await dialog.getByLabel('Environment').selectOption('production');
    await expect(dialog).toContainText(
      'This revokes the standing approval of Production: the next version needs a new approval.',
    );
    await dialog.getByLabel('Reason').fill(reason);
    await dialog
      .getByLabel('Incident link')
      .fill('https://incidents.example.com/INC-4711');
    await dialog.getByLabel('Rolled back to version').fill(V1);
    await screenshot(developer, 'rollback-dialog');
    await dialog.getByRole('button', { name: 'Record rollback' }).click();
    await expect(dialog).toBeHidden();

    const rollbacks = developer.getByRole('region', {
      name: 'Recent rollbacks',
    });
    await expect(rollbacks).toContainText(
      `Production: ${V2} → ${V1} by Alice Ng`,
    );
    await expect(rollbacks).toContainText(reason);
    await expectLadder(developer, [V2, V2, V1, undefined]);
    await expect(ladderStep(developer, 2)).toContainText(
      'Standing approval revoked',
    );
    await expect(
      developer.getByText(/^Revoked on .* by Alice Ng: /),
    ).toBeVisible();

    // Dana, an approver, finds the rollback among her notifications.
    await director.getByRole('link', { name: 'Notifications' }).click();
    await expect(director).toHaveURL(/\/notifications/);
    // The title links to the flow (the pop-up toast shows the same title,
    // unlinked); people and the flow are named as the catalog names them.
    await expect(
      director.getByRole('link', {
        name: `Rollback: Partner SFTP ingest ${V2} on Production`,
      }),
    ).toBeVisible();
    await expect(
      director.getByText(
        new RegExp(
          literally(`Alice Ng rolled ${V2} back to ${V1}: ${reason}.`),
        ),
      ),
    ).toBeVisible();
    await screenshot(director, 'rollback-notification');

    // Seed 004, rollback step 1: the pipeline reverts Production to 1.0.0,
    // the version it was rolled back to: no approval, no violation.
    const revert = await pipelineDeploys('production', V1, 'open', 2);
    expect(revert.gate).toMatchObject({
      open: true,
      approvedBy: 'rollback-target',
      unmetConditions: [],
    });
    expect(revert.deployment.violation).toBe(false);
    await expectLadder(developer, [V2, V2, V1, undefined]);

    // 1.2.0 is validated and signed off, but Production asks for approval again.
    await climbToTest(V3, true);
    await expectLadder(developer, [V3, V3, V1, undefined]);
    await expect(
      developer.getByText(`Next step: ${V3} into Production`),
    ).toBeVisible();
    await expect(openConditions(developer)).toHaveText([
      new RegExp(
        `^The standing approval for Production was revoked on .* by Alice Ng \\(.*${literally(
          reason,
        )}.*\\): request promotion again and wait for an approver\\.$`,
      ),
    ]);
    const gate = await api(
      'GET',
      `${FLOW}/gate?environment=production&version=${V3}`,
    );
    expect(gate.unmetConditions.map((c: any) => c.code)).toEqual([
      'approval-revoked',
    ]);
    await expectReadableWhole(openConditions(developer).first());
    await scrollTo(
      developer.getByRole('navigation', { name: 'Content navigation' }),
      'start',
    );
    await screenshot(developer, 'gate-closed-after-rollback');
  });

  test('6. A deployment through the closed gate is recorded as a violation and reported', async () => {
    const { deployment } = await pipelineDeploys('production', V3, 'closed');
    expect(deployment.unmetConditions.map((c: any) => c.code)).toEqual([
      'approval-revoked',
    ]);
    await expectLadder(developer, [V3, V3, V3, undefined]);
    await expect(ladderStep(developer, 2)).toContainText(
      'Deployed through a closed gate',
    );
    await expect(
      developer.getByText(
        /^This deployment was recorded while the gate was closed: The standing approval for Production was revoked/,
      ),
    ).toBeVisible();

    // The Director's verification report lists it: one row for the
    // deployment, with every check it failed and a link to its trail.
    await director.getByRole('link', { name: 'Approvals' }).click();
    await expect(director).toHaveURL(/\/promotion$/);
    const violations = director.getByRole('table', { name: 'Violations' });
    // The link to the trail of this deployment (other flows' rows may name 1.2.0 too).
    const trailLink = director.locator(
      `a[href="${TAB}?deployment=${deployment.id}"]`,
    );
    const row = violations.getByRole('row').filter({ has: trailLink });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Production');
    const failedChecks = row
      .getByRole('list', { name: 'Failed checks' })
      .getByRole('listitem');
    await expect(failedChecks).toHaveCount(1);
    await expect(failedChecks).toContainText(
      'No deployment into an approval-gated environment without approval',
    );
    await expect(failedChecks).toContainText(
      'The standing approval for Production was revoked',
    );
    await expect(
      director
        .getByRole('list', { name: 'Checks', exact: true })
        .getByRole('listitem')
        .filter({
          hasText:
            'No deployment into an approval-gated environment without approval',
        }),
    ).toContainText('Failed by ');
    // Its post-deployment checklist is not due yet: pending, not failed.
    await expect(
      director
        .getByRole('table', { name: 'Pending post-deployment items' })
        .getByRole('row')
        .filter({ has: trailLink }),
    ).toHaveCount(1);
    await scrollTo(row);
    await screenshot(director, 'verification-report');

    // The Director is told of the violation, in words, with the unmet condition.
    await director.getByRole('link', { name: 'Notifications' }).click();
    await expect(director).toHaveURL(/\/notifications/);
    await expect(
      director.getByRole('link', {
        name: `Violation: Partner SFTP ingest ${V3} went into Production through a closed gate`,
      }),
    ).toBeVisible();
    // (The page shortens the description; the unit tests read it whole.)
    await expect(
      director.getByText(
        /^example-pipeline \(service\) reported the deployment on .+ while the gate was clos/,
      ),
    ).toBeVisible();
    await screenshot(director, 'violation-notification');
    await director.getByRole('link', { name: 'Approvals' }).click();
    await expect(director).toHaveURL(/\/promotion$/);

    // 1.0.0 and 1.1.0 went by the rules: every violation of this flow is 1.2.0's.
    const report = await api(
      'GET',
      `${BACKEND}/api/promotion/reports/verification`,
      { as: 'dana' },
    );
    const ours = report.violations.filter((v: any) => v.entityRef === FLOW_REF);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      version: V3,
      deploymentId: deployment.id,
      environmentTitle: 'Production',
    });
    expect(ours[0].failedChecks.map((c: any) => c.kind)).toEqual([
      'production-without-approval',
    ]);

    // The CSV export downloads: one line per deployment.
    const download = director.waitForEvent('download');
    await director
      .getByRole('button', { name: 'Download the verification report as CSV' })
      .click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(
      /^promotion-verification-\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.csv$/,
    );
    const csv = fs.readFileSync(await file.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(
      'occurredAt,entityRef,environmentId,version,deploymentId,failedChecks,details,pending,evidence',
    );
    expect(
      lines.filter(line =>
        line.includes(
          `,${FLOW_REF},production,${V3},${deployment.id},production-without-approval,`,
        ),
      ),
    ).toHaveLength(1);

    // The evidence opens the flow's Promotion tab on the trail of 1.2.0.
    const evidence = row.getByRole('link', {
      name: `Why is ${V3} in Production?`,
    });
    await expect(evidence).toHaveAttribute(
      'href',
      `${TAB}?deployment=${deployment.id}`,
    );
    await scrollTo(evidence);
    await evidence.click();
    await expect(director).toHaveURL(
      new RegExp(`${literally(TAB)}\\?deployment=${deployment.id}$`),
    );
    const trail = director.getByRole('dialog', {
      name: `Why is ${V3} in Production?`,
    });
    await expect(trail).toContainText(
      'This deployment went through a closed gate.',
    );
    await closeTrail(trail);
    await expect(director).toHaveURL(new RegExp(`${literally(TAB)}$`));
    await director.getByRole('link', { name: 'Approvals' }).click();
    await expect(director).toHaveURL(/^https?:\/\/[^/]+\/promotion$/);
  });

  test("7. 1.3.0 waits for 1.2.0's post-deployment checklist before it may enter Production", async () => {
    const V4 = '1.3.0';
    await climbToTest(V4);
    const gate = await api(
      'GET',
      `${FLOW}/gate?environment=production&version=${V4}`,
    );
    const predecessor = gate.unmetConditions.find(
      (c: any) => c.code === 'predecessor-post-deployment-incomplete',
    );
    expect(predecessor?.message).toMatch(
      new RegExp(
        `^Production post-deployment checklist of version ${literally(
          V3,
        )}, which stands there now, is incomplete: `,
      ),
    );
    await developer.goto(TAB);
    await expect(
      openConditions(developer).filter({
        hasText: `post-deployment checklist of version ${V3}, which stands there now, is incomplete`,
      }),
    ).toHaveCount(1);
    await screenshot(developer, 'predecessor-post-deployment');

    // Once 1.2.0's post-deployment checklist is complete (its wait has passed), the condition is gone.
    for (const item of environments.production.postDeployment) {
      // The monitor's minimum wait (shortened for the story) may still run.
      await expect(async () => {
        await api(
          'POST',
          `${FLOW}/environments/production/post-deployment/${item.id}`,
          {
            as: 'alice',
            body: { version: V3, evidenceLink: evidence(V3, item.id) },
          },
        );
      }).toPass({ timeout: 180_000 });
    }
    const after = await api(
      'GET',
      `${FLOW}/gate?environment=production&version=${V4}`,
    );
    expect(after.unmetConditions.map((c: any) => c.code)).not.toContain(
      'predecessor-post-deployment-incomplete',
    );
  });

  test('8. The audit chain verifies, and shows where a row was edited in the database', async () => {
    const audit = director.getByRole('button', {
      name: 'Verify the audit chain now',
    });
    await audit.click();
    await expect(
      director.getByText(/^The audit chain is intact: \d+ events checked on /),
    ).toBeVisible();

    // Someone edits Dana's approval in the database, behind the portal's back.
    const events = await api('GET', `${FLOW}/events?limit=500`, { as: 'dana' });
    const approval = events.items.find(
      (e: any) =>
        e.type === 'decision.recorded' && e.actor === 'user:default/dana',
    );
    expect(approval, 'the audit event of the approval').toBeTruthy();
    // better-sqlite3 is the portal's own SQLite driver (no types in this repo).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3');
    const db = new Database(path.join(DATA_DIR!, 'promotion.sqlite'));
    try {
      const changed = db
        .prepare('UPDATE promotion_audit_events SET summary = ? WHERE seq = ?')
        .run('Approved without reading the dossier', approval.seq);
      expect(changed.changes).toBe(1);
      // …and names another approver on the decision row the trail reads.
      const decision = db
        .prepare('UPDATE promotion_decisions SET decided_by = ? WHERE id = ?')
        .run('user:default/erin', approval.payload.decisionId);
      expect(decision.changes).toBe(1);
    } finally {
      db.close();
    }

    await audit.click();
    await expect(director.getByText(/^The audit chain is broken/)).toHaveText(
      new RegExp(
        `^The audit chain is broken at event #${approval.seq}: Event #${approval.seq} of .+ was altered after it was recorded: its content no longer matches its keyed link`,
      ),
    );
    await expect(
      director.getByRole('list', { name: 'Every break found' }),
    ).toContainText(
      /promotion_decisions row .* says decided_by is "user:default\/erin"/,
    );
    await scrollTo(audit);
    await screenshot(director, 'audit-chain-broken');
    const verification = await api(
      'GET',
      `${BACKEND}/api/promotion/audit/verify`,
      { as: 'dana' },
    );
    expect(verification).toMatchObject({
      intact: false,
      firstBrokenSeq: approval.seq,
    });
    // The edited decision row is named: table, field, stored and recorded value.
    expect(verification.breaks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'event-altered', seq: approval.seq }),
        expect.objectContaining({
          kind: 'state-altered',
          table: 'promotion_decisions',
          message: expect.stringMatching(
            /decided_by.*user:default\/erin.*user:default\/dana/,
          ),
        }),
      ]),
    );
  });

  test("9. The insights show the story's numbers", async () => {
    // The flow's insights, as the API computes them: the story's numbers.
    const flowInsights = await api(
      'GET',
      `${BACKEND}/api/promotion/insights?flow=${encodeURIComponent(FLOW_REF)}`,
      { as: 'alice' },
    );
    expect(flowInsights.totals).toEqual({
      productionDeployments: 4,
      rollbacks: 1,
      changeFailureRate: 0.25,
      violations: 1,
      breakGlass: 0,
    });
    expect(flowInsights.approvalLeadTime.count).toBe(1);
    expect(flowInsights.devToProduction.count).toBe(3);
    expect(
      flowInsights.devToProduction.versions.map((v: any) => v.version),
    ).toEqual([V3, V2, V1]);

    // The flow's tab shows them, each chart with its numbers in words.
    await developer.goto(TAB);
    const flowCard = developer
      .getByRole('region', { name: 'Production deployments per week' })
      .first();
    await expect(flowCard).toContainText(
      '4 Production deployments and 1 rollback.',
    );
    await expect(
      developer.getByRole('region', { name: 'Change failure rate' }),
    ).toContainText(
      'Change failure rate: 25% (rollbacks ÷ Production deployments).',
    );
    await expect(
      developer.getByRole('region', {
        name: 'Violations and break-glass uses per week',
      }),
    ).toContainText('1 violation and 0 break-glass uses.');
    await expect(
      developer.getByRole('region', { name: 'Approval lead time' }),
    ).toContainText(/; 90th percentile: .+ \(1 request decided\)\./);
    await expect(
      developer.getByRole('region', { name: 'Dev to Production' }),
    ).toContainText(/; 90th percentile: .+ \(3 versions\)\./);
    // The charts are drawn (recharts, loaded on demand).
    await expect(
      flowCard.locator('svg.recharts-surface').first(),
    ).toBeVisible();

    // The Approvals page shows the portal's insights: this story's and any
    // other flow's, as the API counts them.
    const portal = await api('GET', `${BACKEND}/api/promotion/insights`, {
      as: 'dana',
    });
    expect(portal.totals.productionDeployments).toBeGreaterThanOrEqual(4);
    expect(portal.totals.rollbacks).toBeGreaterThanOrEqual(1);
    expect(portal.totals.violations).toBeGreaterThanOrEqual(1);
    await director.goto('/promotion');
    const deployments = director.getByRole('region', {
      name: 'Production deployments per week',
    });
    const plural = (n: number, word: string) =>
      `${n} ${word}${n === 1 ? '' : 's'}`;
    await expect(deployments).toContainText(
      `${plural(
        portal.totals.productionDeployments,
        'Production deployment',
      )} and ${plural(portal.totals.rollbacks, 'rollback')}.`,
    );
    await expect(
      director.getByRole('region', {
        name: 'Violations and break-glass uses per week',
      }),
    ).toContainText(`${plural(portal.totals.violations, 'violation')} and `);
    await expect(
      deployments.locator('svg.recharts-surface').first(),
    ).toBeVisible();
    await scrollTo(
      director.getByRole('region', { name: 'Approval lead time' }),
      'start',
    );
    await screenshot(director, 'insights');

    // The CSV: a line per week and the totals.
    const download = director.waitForEvent('download');
    await director
      .getByRole('button', { name: 'Download the insights as CSV' })
      .click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(
      /^promotion-insights-\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.csv$/,
    );
    const lines = fs
      .readFileSync(await file.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe(
      'weekStart,productionDeployments,rollbacks,changeFailureRate,violations,breakGlass',
    );
    expect(lines.find(line => line.startsWith('total,'))).toMatch(
      new RegExp(
        `^total,${portal.totals.productionDeployments},${portal.totals.rollbacks},`,
      ),
    );
  });
});
