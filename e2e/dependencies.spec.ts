import { expect, Page, test } from '@playwright/test';
import path from 'node:path';
import { api, BACKEND, flowUrl, REPO, signIn } from './support';

/*
 * The dependency gate in the example portal: the regulated ladder's
 * Production requires every dependsOn flow to have a version there
 * (app-config.yaml). Settlement feed depends on Bank connector (a flow) and
 * on payments-db (a Resource, not checked). Settlement feed 1.0.0 climbs to
 * Production's gate, approvals included, and waits for Bank connector; the
 * pipeline takes Bank connector up the ladder the way people do; the gate
 * opens. Only these two flows are used here.
 */

const FEED_REF = 'component:default/settlement-feed';
const CONNECTOR_REF = 'component:default/bank-connector';
const TAB = '/catalog/default/component/settlement-feed/promotion';
const FEED_VERSION = '1.4.0';
const CONNECTOR_VERSION = '2.1.0';
const APPROVERS = ['dana', 'erin'];

test.describe.configure({ mode: 'serial' });

const gateOf = (flowRef: string, environment: string, version: string) =>
  api(
    'GET',
    `${flowUrl(flowRef)}/gate?environment=${environment}&version=${version}`,
  );

/**
 * Meets the gate's conditions for the version into the environment, as
 * people do in the portal: the pipeline deploys, Alice (owner) completes the
 * checklists and requests the promotion, Carol signs off, Dana and Erin
 * approve. Leaves alone what it cannot meet (a dependency) and returns the
 * gate's last answer.
 */
async function meetGate(flowRef: string, environment: string, version: string) {
  const flow = flowUrl(flowRef);
  const { policy } = await api('GET', flow);
  const resolve = async (condition: any) => {
    const where = condition.environmentId;
    switch (condition.code) {
      case 'previous-deployment-missing':
        await api('POST', `${flow}/deployments`, {
          body: { environment: where, version, status: 'succeeded' },
        });
        return;
      case 'checklist-incomplete': {
        const items = policy.environments.find(
          (e: any) => e.id === where,
        ).checklist;
        for (const itemId of condition.itemIds) {
          const item = items.find((i: any) => i.id === itemId);
          await api(
            'POST',
            `${flow}/environments/${where}/checklist/${itemId}`,
            {
              as: 'alice',
              body: {
                ...(item.scope === 'version' && { version }),
                evidenceLink: `https://ci.example.com/evidence/${itemId}`,
              },
            },
          );
        }
        return;
      }
      case 'sign-off-missing':
        await api('POST', `${flow}/environments/${where}/sign-offs`, {
          as: 'carol',
          body: { version, comment: `Results on ${where} are fine` },
        });
        return;
      case 'approval-required': {
        await api('POST', `${flow}/requests`, {
          as: 'alice',
          body: {
            environment: where,
            version,
            dossier: {
              whatChanged: 'Settlement cut-off moved to 18:00',
              why: 'The bank asked for it',
              testResults: 'All green on Test',
              releaseNotes: 'Later cut-off',
            },
          },
        });
        return;
      }
      case 'approval-pending': {
        const url = `${BACKEND}/api/promotion/requests/${condition.requestId}`;
        const request = await api('GET', url, { as: 'dana' });
        const approver = APPROVERS.find(
          name =>
            !request.decisions.some(
              (d: any) => d.decidedBy === `user:default/${name}`,
            ),
        );
        await api('POST', `${url}/decisions`, {
          as: approver,
          status: 200,
          body: {
            decision: 'approve',
            comment: 'Dossier read, go ahead',
            dossierHash: request.dossierHash,
          },
        });
        return;
      }
      default:
        // A dependency, for one: not for this helper to meet.
        return;
    }
  };
  let gate = await gateOf(flowRef, environment, version);
  for (let round = 0; !gate.open && round < 6; round++) {
    for (const condition of gate.unmetConditions) {
      await resolve(condition);
    }
    gate = await gateOf(flowRef, environment, version);
  }
  return gate;
}

let developer: Page;

test('a flow waits at the Production gate until the flow it depends on is there', async ({
  browser,
}) => {
  test.setTimeout(240_000);

  // Settlement feed climbs to Production's gate: all that stands in the way
  // is Bank connector, which has no version in Production.
  await meetGate(FEED_REF, 'test', FEED_VERSION);
  await api('POST', `${flowUrl(FEED_REF)}/deployments`, {
    body: { environment: 'test', version: FEED_VERSION, status: 'succeeded' },
  });
  const closed = await meetGate(FEED_REF, 'production', FEED_VERSION);
  expect(closed.unmetConditions).toEqual([
    {
      code: 'dependency-missing',
      message: 'Bank connector is not in Production yet.',
      environmentId: 'production',
      dependencyRef: CONNECTOR_REF,
    },
  ]);
  expect(closed.dependencies.map((d: any) => [d.entityRef, d.status])).toEqual([
    [CONNECTOR_REF, 'unmet'],
    ['resource:default/payments-db', 'not-a-flow'],
  ]);

  // Alice sees it on the flow's Promotion tab, with a link to the dependency.
  developer = await signIn(browser, 'Alice Ng');
  await developer.goto(TAB);
  const nextStep = developer
    .getByRole('list', { name: 'Open conditions' })
    .getByRole('listitem');
  // The link names the entity as the catalog presents it.
  await expect(nextStep).toHaveText(
    /^Bank connector is not in Production yet\. See (Bank connector|bank-connector)\.$/,
  );
  await expect(nextStep.getByRole('link')).toHaveAttribute(
    'href',
    '/catalog/default/component/bank-connector',
  );
  const dependencies = developer.getByRole('list', { name: 'Dependencies' });
  await expect(
    dependencies.getByText(
      'Blocks Production: Bank connector is not in Production yet.',
    ),
  ).toBeVisible();
  await expect(
    dependencies.getByText(
      'Production gate: payments-db is not a component taking part in Promotion: not checked.',
    ),
  ).toBeVisible();
  // The screenshot: the next step and the Dependencies card in one view.
  await developer.setViewportSize({ width: 1440, height: 2000 });
  await developer.evaluate(() => window.scrollTo(0, 0));
  await developer.screenshot({
    path: path.join(REPO, 'docs/screenshots/dependency-gate.png'),
    animations: 'disabled',
  });
  await developer.setViewportSize({ width: 1440, height: 900 });

  // The pipeline takes Bank connector up the ladder, through its own gates.
  for (const environment of ['dev', 'test', 'production']) {
    const gate = await meetGate(CONNECTOR_REF, environment, CONNECTOR_VERSION);
    expect(gate, `Bank connector's gate into ${environment}`).toMatchObject({
      open: true,
    });
    const { deployment } = await api(
      'POST',
      `${flowUrl(CONNECTOR_REF)}/deployments`,
      {
        body: {
          environment,
          version: CONNECTOR_VERSION,
          status: 'succeeded',
        },
      },
    );
    expect(deployment.violation).toBe(false);
  }

  // The gate opens, and the tab says so once it refreshes.
  const open = await gateOf(FEED_REF, 'production', FEED_VERSION);
  expect(open).toMatchObject({ open: true, approvedBy: 'request' });
  expect(open.dependencies[0]).toMatchObject({
    status: 'met',
    version: CONNECTOR_VERSION,
    message: `Bank connector ${CONNECTOR_VERSION} is in Production.`,
  });
  await developer.reload();
  await expect(
    developer.getByText(
      `The gate is open: ${FEED_VERSION} may go to Production under its approved request.`,
    ),
  ).toBeVisible();
  await expect(
    developer
      .getByRole('list', { name: 'Dependencies' })
      .getByText(
        `Production gate: Bank connector ${CONNECTOR_VERSION} is in Production.`,
      ),
  ).toBeVisible();
});
