import { ResponseError } from '@backstage/errors';
import type { DeploymentTrail } from '@promotion/plugin-promotion-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  createFakePromotionApi,
  deploymentTrail,
  ENTITY_REF,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { DeploymentTrailDialog } from './DeploymentTrailDialog';

async function renderTrail(trail: DeploymentTrail | Error) {
  const api = createFakePromotionApi({
    getDeploymentTrail: jest.fn(async () => {
      if (trail instanceof Error) {
        throw trail;
      }
      return trail;
    }),
  });
  const onClose = jest.fn();
  const deployment = deploymentTrail().deployment;
  await renderWithApis(
    <DeploymentTrailDialog
      open
      entityRef={ENTITY_REF}
      deployment={deployment}
      environmentTitle="Production"
      onClose={onClose}
    />,
    { api },
  );
  const dialog = await screen.findByRole('dialog', {
    name: 'Why is 1.3.0 in Production?',
  });
  return { api, onClose, dialog };
}

const section = (dialog: HTMLElement, name: string) =>
  within(dialog).getByRole('region', { name });

describe('DeploymentTrailDialog', () => {
  it('answers who requested, approved, validated and signed off, with evidence and audit events', async () => {
    const { api, dialog, onClose } = await renderTrail(deploymentTrail());

    await waitFor(() =>
      expect(
        within(dialog).getByRole('region', { name: 'Who requested it?' }),
      ).toBeInTheDocument(),
    );
    expect(api.getDeploymentTrail).toHaveBeenCalledWith(ENTITY_REF, 'dep-9');
    expect(dialog).toHaveTextContent(
      /1\.3\.0 was deployed to Production on .*, reported by service:ci \(deployment run.*\)/,
    );
    expect(
      within(dialog).getByRole('link', { name: /^deployment run/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/deploy/9');
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();

    const requested = section(dialog, 'Who requested it?');
    expect(requested).toHaveTextContent(
      /alice requested the promotion of 1\.3\.0 into Production on .*\. Its approval granted the standing approval of Production on .*\. \(audit events #30, #32, #33\)/,
    );
    expect(
      within(requested).getByRole('link', { name: 'alice' }),
    ).toHaveAttribute('href', '/catalog/default/user/alice');

    const approved = section(dialog, 'Who approved it?');
    const approval = within(approved).getByRole('listitem');
    expect(within(approval).getByRole('link', { name: 'bob' })).toBeVisible();
    expect(approval).toHaveTextContent(
      /bob approved on .*:“Dossier read, tests in order” \(audit event #31\)/,
    );

    const validated = section(dialog, 'Who validated the Test results?');
    const completion = within(validated).getByRole('listitem');
    expect(completion).toHaveTextContent(
      /“Smoke tests” completed by alice on .*evidence.* All green \(audit event #21\)/,
    );
    expect(
      within(completion).getByRole('link', { name: /^evidence/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/run/5');
    expect(validated).not.toHaveTextContent('Not completed');

    const signedOff = section(dialog, 'When was Test signed off?');
    expect(within(signedOff).getByRole('listitem')).toHaveTextContent(
      /carol signed off 1\.3\.0 on .*:“Results confirmed with the partners” \(audit event #25\)/,
    );

    // Why it was promoted: the dossier, and the hash the approval was given on.
    const why = section(dialog, 'Why was it promoted?');
    expect(why).toHaveTextContent(/hash hash-9/);
    expect(within(why).getByText('Why')).toBeInTheDocument();
    expect(within(why).getByText('Partners asked for it')).toBeInTheDocument();
    expect(within(why).getByText('Retries failed uploads')).toBeInTheDocument();

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    expect(onClose).toHaveBeenCalled();
  });

  it('warns about a deployment through a closed gate and names no requester', async () => {
    const base = deploymentTrail();
    const { dialog } = await renderTrail({
      ...base,
      deployment: {
        ...base.deployment,
        violation: true,
        unmetConditions: [
          {
            code: 'approval-revoked',
            message: 'The standing approval for Production was revoked.',
          },
          {
            code: 'sign-off-missing',
            message: 'The owner has not signed off Test for version 1.3.0.',
          },
        ],
      },
      approval: {
        mode: 'once',
        basis: 'missing',
        approvals: [],
        auditEvents: [],
      },
      signOff: { ...base.signOff!, signOffs: [] },
    });

    const warning = await within(dialog).findByRole('alert');
    expect(warning).toHaveTextContent(
      'This deployment went through a closed gate.',
    );
    expect(
      within(warning)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual([
      'The standing approval for Production was revoked.',
      'The owner has not signed off Test for version 1.3.0.',
    ]);
    expect(section(dialog, 'Who requested it?')).toHaveTextContent(
      'Nobody: no approval to enter Production was in force when 1.3.0 was deployed.',
    );
    expect(section(dialog, 'Who approved it?')).toHaveTextContent(
      'Nobody: it was deployed without an approval.',
    );
    expect(section(dialog, 'When was Test signed off?')).toHaveTextContent(
      'Test was not signed off for 1.3.0 before the deployment.',
    );
    expect(section(dialog, 'Why was it promoted?')).toHaveTextContent(
      'No promotion request, so no dossier, is behind this deployment.',
    );
    expect(within(dialog).queryByText('What changed')).not.toBeInTheDocument();
  });

  it('flags a deployment on break-glass and says nobody requested it', async () => {
    const base = deploymentTrail();
    const { dialog } = await renderTrail({
      ...base,
      deployment: { ...base.deployment, breakGlassId: 'bg-1' },
      approval: {
        mode: 'once',
        basis: 'break-glass',
        approvals: [],
        auditEvents: [],
      },
    });

    const warning = await within(dialog).findByRole('alert');
    expect(warning).toHaveTextContent(
      'This deployment went in on break-glass bg-1',
    );
    expect(section(dialog, 'Who requested it?')).toHaveTextContent(
      'Nobody requested a promotion: it went in on break-glass, an emergency declaration approved for this version.',
    );
    expect(section(dialog, 'Who approved it?')).toHaveTextContent(
      'No promotion request: it went in on an approved break-glass declaration',
    );
  });

  it('says the rollback target went back with no approval, naming the rollback', async () => {
    const base = deploymentTrail();
    const recordedAt = '2024-03-02T09:00:00.000Z';
    const { dialog } = await renderTrail({
      ...base,
      approval: {
        mode: 'once',
        basis: 'rollback-target',
        rollback: {
          id: 'rb1',
          entityRef: ENTITY_REF,
          environmentId: 'production',
          fromVersion: '1.4.0',
          toVersion: '1.3.0',
          reason: 'Transfers failing',
          recordedBy: 'user:default/alice',
          recordedAt,
        },
        approvals: [],
        auditEvents: [
          {
            seq: 52,
            id: 'event-52',
            type: 'rollback.recorded',
            occurredAt: recordedAt,
          },
        ],
      },
    });

    const requested = await waitFor(() => section(dialog, 'Who requested it?'));
    expect(requested).toHaveTextContent(
      `It went back as the rollback target of the rollback on ${new Date(
        recordedAt,
      ).toLocaleString()} by alice (“Transfers failing”); no approval needed. (audit event #52)`,
    );
    expect(
      within(requested).getByRole('link', { name: 'alice' }),
    ).toHaveAttribute('href', '/catalog/default/user/alice');
    expect(section(dialog, 'Who approved it?')).toHaveTextContent(
      'Nobody had to: it went back into Production after a rollback, which needs no approval.',
    );
    expect(section(dialog, 'Why was it promoted?')).toHaveTextContent(
      'No promotion request, so no dossier, is behind this deployment.',
    );
    expect(
      within(dialog).queryByText(/Nobody: no approval/),
    ).not.toBeInTheDocument();
  });

  it('shows a pipeline’s attestation with its result and evidence', async () => {
    const base = deploymentTrail();
    const entry = base.validation!.completions[0];
    const { dialog } = await renderTrail({
      ...base,
      validation: {
        ...base.validation!,
        completions: [
          {
            ...entry,
            completion: {
              ...entry.completion,
              completedBy: 'service:pipeline',
              note: undefined,
              result: 'All tests passing — 1,284 passed',
            },
          },
        ],
      },
    });

    const validated = await waitFor(() =>
      section(dialog, 'Who validated the Test results?'),
    );
    const completion = within(validated).getByRole('listitem');
    expect(completion).toHaveTextContent(
      /“Smoke tests” attested by service:pipeline on .*evidence.* All tests passing — 1,284 passed \(audit event #21\)/,
    );
    expect(
      within(completion).getByRole('link', { name: /^evidence/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/run/5');
  });

  it('lists what was recorded after the deployment apart from what preceded it', async () => {
    const base = deploymentTrail();
    const late = base.validation!.completions[0];
    const { dialog } = await renderTrail({
      ...base,
      validation: {
        ...base.validation!,
        completions: [],
        missing: [{ id: 'smoke-tests', title: 'Smoke tests' }],
        later: [
          {
            ...late,
            completion: {
              ...late.completion,
              completedAt: '2024-03-02T10:00:00.000Z',
            },
          },
        ],
      },
      signOff: {
        ...base.signOff!,
        signOffs: [],
        later: base.signOff!.signOffs,
      },
    });

    const validated = await waitFor(() =>
      section(dialog, 'Who validated the Test results?'),
    );
    expect(within(validated).getByRole('alert')).toHaveTextContent(
      'Not completed when 1.3.0 was deployed: Smoke tests.',
    );
    expect(
      within(validated).queryByRole('list', {
        name: 'Test checklist when 1.3.0 was deployed',
      }),
    ).not.toBeInTheDocument();
    expect(validated).toHaveTextContent(
      'Completed after the deployment, so they did not validate it:',
    );
    expect(
      within(
        within(validated).getByRole('list', {
          name: 'Test checklist completed after the deployment',
        }),
      ).getByRole('listitem'),
    ).toHaveTextContent(/“Smoke tests” completed by alice/);

    const signedOff = section(dialog, 'When was Test signed off?');
    expect(signedOff).toHaveTextContent(
      'Test was not signed off for 1.3.0 before the deployment.',
    );
    expect(
      within(signedOff).getByRole('list', {
        name: 'Test sign-offs after the deployment',
      }),
    ).toHaveTextContent(/carol signed off 1\.3\.0/);
  });

  it('points a version deployed on the standing approval to the request that granted it', async () => {
    const base = deploymentTrail();
    const { dialog } = await renderTrail({
      ...base,
      approval: {
        ...base.approval,
        request: { ...base.approval.request!, version: '1.2.0' },
      },
    });

    expect(
      await within(dialog).findByRole('region', { name: 'Who requested it?' }),
    ).toHaveTextContent(
      /alice requested the promotion of 1\.2\.0 into Production on .*\. Its approval granted the standing approval of Production on .*, on which 1\.3\.0 went in without a request of its own\./,
    );
  });

  it('shows the post-deployment checklist: done, and still open', async () => {
    const base = deploymentTrail();
    const { dialog } = await renderTrail({
      ...base,
      postDeployment: {
        completions: [
          {
            completion: {
              id: 'p1',
              entityRef: ENTITY_REF,
              environmentId: 'production',
              kind: 'post-deployment',
              itemId: 'uptime-green',
              version: '1.3.0',
              completedBy: 'user:default/dave',
              completedAt: '2024-03-01T12:05:00.000Z',
              evidenceLink: 'https://status.example.com',
            },
            itemTitle: 'Uptime green',
          },
        ],
        open: [
          {
            id: 'monitor-logs',
            title: 'Monitor logs',
            availableAt: new Date(
              Date.parse(base.deployment.reportedAt) + 900_000,
            ).toISOString(),
          },
        ],
      },
    });

    const after = await within(dialog).findByRole('region', {
      name: 'After the deployment',
    });
    expect(within(after).getByRole('listitem')).toHaveTextContent(
      /“Uptime green” completed by dave/,
    );
    expect(after).toHaveTextContent(/Still open: Monitor logs \(from .*\)\./);
  });

  it('shows the backend message when the trail cannot be read', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'NotFoundError',
          message: 'No deployment dep-9 of component:default/payments-sftp',
        },
        response: { statusCode: 404 },
      }),
      { status: 404, headers: { 'Content-Type': 'application/json' } },
    );
    const { dialog } = await renderTrail(
      await ResponseError.fromResponse(response),
    );

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Could not read the trail of this deployment: No deployment dep-9 of component:default/payments-sftp',
    );
  });

  it('opened from a link, reads the deployment by its id and names it once the trail is read', async () => {
    let answer: (trail: DeploymentTrail) => void = () => {};
    const api = createFakePromotionApi({
      getDeploymentTrail: jest.fn(
        () => new Promise<DeploymentTrail>(resolve => (answer = resolve)),
      ),
    });
    await renderWithApis(
      <DeploymentTrailDialog
        open
        entityRef={ENTITY_REF}
        deploymentId="dep-9"
        onClose={jest.fn()}
      />,
      { api },
    );

    // Until the trail is read, the dialog cannot say which version it is.
    expect(
      await screen.findByRole('dialog', { name: 'Why is this version here?' }),
    ).toBeInTheDocument();
    expect(api.getDeploymentTrail).toHaveBeenCalledWith(ENTITY_REF, 'dep-9');

    answer(deploymentTrail());
    const dialog = await screen.findByRole('dialog', {
      name: 'Why is 1.3.0 in Production?',
    });
    expect(
      await within(dialog).findByRole('region', { name: 'Who requested it?' }),
    ).toBeInTheDocument();
  });
});
