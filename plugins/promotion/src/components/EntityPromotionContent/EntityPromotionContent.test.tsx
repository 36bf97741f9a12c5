import { signalApiRef } from '@backstage/plugin-signals-react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  createFakePromotionApi,
  entityWithoutAnnotation,
  ENTITY_REF,
  flowState,
  pendingRequest,
} from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { renderWithApis } from '../../__testUtils__/render';
import { EntityPromotionContent } from './EntityPromotionContent';

function withPendingRequest() {
  return { ...flowState(), pendingRequests: [pendingRequest()] };
}

describe('EntityPromotionContent', () => {
  it('shows how to opt in when the entity lacks the annotation', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(<EntityPromotionContent />, {
      api,
      entity: entityWithoutAnnotation,
    });

    expect(screen.getByText('Missing Annotation')).toBeInTheDocument();
    expect(screen.getAllByText(/promotion\.io\/policy/).length).toBeGreaterThan(
      0,
    );
    expect(api.getFlow).not.toHaveBeenCalled();
  });

  it("shows the backend's error instead of a blank panel", async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => {
        throw new Error('No policy named "standard" is configured');
      }),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    expect(
      (await screen.findAllByText(/No policy named "standard" is configured/))
        .length,
    ).toBeGreaterThan(0);
  });

  it('shows the ladder, the version in each environment and the open conditions', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(<EntityPromotionContent />, { api });

    const ladder = await screen.findByRole('region', { name: 'Ladder' });
    expect(within(ladder).getByText('Dev')).toBeInTheDocument();
    expect(within(ladder).getAllByText('1.4.0')).toHaveLength(2);
    expect(within(ladder).getByText('1.3.0')).toBeInTheDocument();
    expect(
      within(ladder).getByText('Standing approval revoked'),
    ).toBeInTheDocument();
    expect(
      within(ladder).getByText('Next: 1.4.0 (gate closed)'),
    ).toBeInTheDocument();

    const conditions = screen.getByRole('list', { name: 'Open conditions' });
    expect(
      within(conditions).getByText(
        'The Test checklist is incomplete for 1.4.0: End-to-end tests, Logging configured.',
      ),
    ).toBeInTheDocument();
    expect(
      within(conditions).getByText('Test has not been signed off for 1.4.0.'),
    ).toBeInTheDocument();
    expect(api.getFlow).toHaveBeenCalledWith(ENTITY_REF);
  });

  it('shows approval progress on the current dossier, not counting voided approvals', async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    expect(await screen.findByText('1 of 2 approvals')).toBeInTheDocument();
    expect(
      screen.getByText(/no longer counts: the dossier was edited since/),
    ).toBeInTheDocument();
  });

  it('disables Approve and Reject for the requester with one reason', async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      userEntityRef: 'user:default/alice',
    });

    const approve = await screen.findByRole('button', {
      name: 'Approve 1.4.0 into Production',
    });
    await waitFor(() => expect(approve).toBeDisabled());
    const reject = screen.getByRole('button', {
      name: 'Reject 1.4.0 into Production',
    });
    expect(reject).toBeDisabled();
    for (const button of [approve, reject]) {
      expect(button).toHaveAccessibleDescription(
        'You requested this promotion; another approver decides it.',
      );
    }
    expect(
      screen.getAllByText(
        'You requested this promotion; another approver decides it.',
      ),
    ).toHaveLength(1);
    expect(
      screen.getByRole('button', { name: 'Withdraw 1.4.0 into Production' }),
    ).toBeEnabled();
  });

  it('disables Approve for an approver who already approved this dossier', async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      userEntityRef: 'user:default/bob',
    });

    const approve = await screen.findByRole('button', {
      name: 'Approve 1.4.0 into Production',
    });
    await waitFor(() =>
      expect(approve).toHaveAccessibleDescription(
        'You already approved this request as it stands.',
      ),
    );
    expect(
      screen.queryByRole('button', { name: /Withdraw/ }),
    ).not.toBeInTheDocument();
  });

  it('shows a read-only user the flow with one notice of what they may do, and no controls they may not use', async () => {
    const no = (name: string) => ({
      allowed: false,
      reason: `The permission policy does not allow you to do that (${name})`,
    });
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
      getFlowPermissions: jest.fn(async () => ({
        recordDeployment: no('promotion.deployment.record'),
        completeChecklist: no('promotion.checklist.complete'),
        signOff: no('promotion.sign-off.create'),
        request: no('promotion.request.create'),
        approve: no('promotion.request.decide'),
        revoke: no('promotion.standing-approval.revoke'),
        rollback: no('promotion.rollback.create'),
        readAudit: no('promotion.audit.read'),
      })),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      userEntityRef: 'user:default/victor',
    });

    const notice = await screen.findByRole('note', {
      name: 'What you may do',
    });
    expect(notice).toHaveTextContent(
      "You can read this flow. Deploying, completing checklists, signing off, requesting promotion and recording rollbacks are for the flow's owners (payments). Approving or rejecting promotion requests and revoking standing approvals are for its approvers (directors).",
    );
    expect(
      within(notice).getByRole('link', { name: 'payments' }),
    ).toHaveAttribute('href', '/catalog/default/group/payments');

    // Everything is there to read: the ladder, the conditions, the request, the checklists.
    expect(screen.getByText('1 of 2 approvals')).toBeInTheDocument();
    expect(
      screen.getByRole('list', { name: 'Open conditions' }),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/^Completed by/).length).toBeGreaterThan(0);
    // No wall of disabled buttons, no sentence repeated beside each.
    expect(
      screen.queryAllByRole('button', {
        name: /^(Approve|Reject|Complete|Undo|Sign off|Revoke|Record rollback|Request promotion|Edit dossier|Withdraw)/,
      }),
    ).toEqual([]);
    expect(
      screen
        .getAllByRole('button')
        .filter(button => (button as HTMLButtonElement).disabled),
    ).toEqual([]);
    expect(screen.queryByText(/permission policy/)).not.toBeInTheDocument();
  });

  it("tells an approver what they may do and who does the flow's own work", async () => {
    const no = { allowed: false, reason: 'No' };
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
      getFlowPermissions: jest.fn(async () => ({
        recordDeployment: no,
        completeChecklist: no,
        signOff: no,
        request: no,
        approve: { allowed: true },
        revoke: { allowed: true },
        rollback: { allowed: true },
        readAudit: { allowed: true },
      })),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      userEntityRef: 'user:default/dave',
    });

    expect(
      await screen.findByRole('note', { name: 'What you may do' }),
    ).toHaveTextContent(
      "You can read this flow, record rollbacks, approve or reject promotion requests and revoke standing approvals. Deploying, completing checklists, signing off and requesting promotion are for the flow's owners (payments).",
    );
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Approve 1.4.0 into Production' }),
      ).toBeEnabled(),
    );
    expect(
      screen.getByRole('button', { name: 'Record rollback' }),
    ).toBeEnabled();
    expect(
      screen.queryByRole('button', { name: /^Complete / }),
    ).not.toBeInTheDocument();
  });

  it('shows no notice to someone who may do everything', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(<EntityPromotionContent />, { api });

    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Record rollback' }),
      ).toBeEnabled(),
    );
    expect(
      screen.queryByRole('note', { name: 'What you may do' }),
    ).not.toBeInTheDocument();
  });

  it('lists recent rollbacks with their reason, read whole', async () => {
    const reason =
      'Partner uploads time out after 1.4.0: the SFTP gateway rejects the new cipher list';
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => ({
        ...flowState(),
        rollbacks: [
          {
            id: 'rb-1',
            entityRef: ENTITY_REF,
            environmentId: 'production',
            fromVersion: '1.4.0',
            toVersion: '1.3.0',
            reason,
            incidentLink: 'https://incidents.example.com/INC-4711',
            recordedBy: 'user:default/dave',
            recordedAt: '2024-05-01T10:00:00.000Z',
          },
        ],
      })),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    const rollbacks = await screen.findByRole('region', {
      name: 'Recent rollbacks',
    });
    expect(
      within(rollbacks).getByText(/^Production: 1.4.0/),
    ).toBeInTheDocument();
    expect(
      within(rollbacks).getByRole('link', { name: /^incident/ }),
    ).toHaveAttribute('href', 'https://incidents.example.com/INC-4711');
    expectTextToWrap(
      within(rollbacks).getByText(text => text.startsWith(reason)),
    );
  });

  it('approves with a required comment on the dossier the approver read, then refreshes', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    const approve = await screen.findByRole('button', {
      name: 'Approve 1.4.0 into Production',
    });
    await waitFor(() => expect(approve).toBeEnabled());
    await user.click(approve);

    const dialog = await screen.findByRole('dialog', {
      name: 'Approve 1.4.0 into Production',
    });
    const submit = within(dialog).getByRole('button', { name: 'Approve' });
    expect(submit).toBeDisabled();
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Dossier reviewed',
    );
    const callsBefore = api.getFlow.mock.calls.length;
    await user.click(submit);

    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith('r1', {
        decision: 'approve',
        comment: 'Dossier reviewed',
        dossierHash: 'hash-2',
      }),
    );
    await waitFor(() =>
      expect(api.getFlow.mock.calls.length).toBeGreaterThan(callsBefore),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('keeps the dialog open and shows the message when the backend refuses a rejection', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => withPendingRequest()),
      decide: jest.fn(async () => {
        throw new Error('The dossier changed while you were reading it.');
      }),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    const reject = await screen.findByRole('button', {
      name: 'Reject 1.4.0 into Production',
    });
    await waitFor(() => expect(reject).toBeEnabled());
    await user.click(reject);
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject 1.4.0 into Production',
    });
    await user.type(within(dialog).getByRole('textbox'), 'Not ready');
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));

    expect(
      await within(dialog).findByText(
        'The dossier changed while you were reading it.',
      ),
    ).toBeInTheDocument();
    expect(api.decide).toHaveBeenCalledWith('r1', {
      decision: 'reject',
      comment: 'Not ready',
      dossierHash: 'hash-2',
    });
  });

  it('records a rollback of the version standing in an environment', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(<EntityPromotionContent />, { api });

    const rollback = await screen.findByRole('button', {
      name: 'Record rollback',
    });
    await waitFor(() => expect(rollback).toBeEnabled());
    await user.click(rollback);
    const dialog = await screen.findByRole('dialog', {
      name: 'Record a rollback',
    });
    await user.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Uploads failing',
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Incident link/ }),
      'https://incidents.example.com/INC-9',
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Rolled back to version/ }),
      '1.2.0',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Record rollback' }),
    );

    await waitFor(() =>
      expect(api.recordRollback).toHaveBeenCalledWith(ENTITY_REF, {
        environment: 'production',
        fromVersion: '1.3.0',
        toVersion: '1.2.0',
        reason: 'Uploads failing',
        incidentLink: 'https://incidents.example.com/INC-9',
      }),
    );
  });

  it('shows where each dependency stands, and which are not governed', async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async (ref: string) =>
        ref === 'component:default/ledger'
          ? {
              ...flowState(),
              entityRef: ref,
              environments: flowState().environments.map(s => ({
                ...s,
                currentVersion:
                  s.environment.id === 'dev' ? '2.0.0' : undefined,
              })),
            }
          : flowState(),
      ),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    const dependencies = await screen.findByRole('list', {
      name: 'Dependencies',
    });
    expect(
      await within(dependencies).findByText(
        'Dev: 2.0.0 · Test: — · Production: —',
      ),
    ).toBeInTheDocument();
    expect(
      within(dependencies).getByText('Not governed by Promotion.'),
    ).toBeInTheDocument();
    expect(api.getFlow).toHaveBeenCalledWith('component:default/ledger');
    expect(api.getFlow).not.toHaveBeenCalledWith(
      'resource:default/payments-db',
    );
  });

  it('pages through the history with Load more', async () => {
    const user = userEvent.setup({ delay: null });
    const event = (seq: number, summary: string) => ({
      seq,
      id: `e${seq}`,
      type: 'checklist.completed' as const,
      entityRef: ENTITY_REF,
      environmentId: 'test',
      version: '1.4.0',
      actor: 'user:default/alice',
      occurredAt: '2024-05-01T10:00:00.000Z',
      summary,
      payload: {},
      previousHash: '',
      hash: '',
    });
    const api = createFakePromotionApi({
      getFlowEvents: jest.fn(async (_ref, options) =>
        options?.cursor === 'page-2'
          ? { items: [event(1, 'Smoke tests completed')] }
          : { items: [event(2, 'Signed off')], nextCursor: 'page-2' },
      ),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    expect(await screen.findByText('Signed off')).toBeInTheDocument();
    expect(screen.queryByText('Smoke tests completed')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Load more history' }));

    expect(
      await screen.findByText('Smoke tests completed'),
    ).toBeInTheDocument();
    expect(api.getFlowEvents).toHaveBeenLastCalledWith(ENTITY_REF, {
      cursor: 'page-2',
      limit: 20,
    });
    expect(
      screen.queryByRole('button', { name: 'Load more history' }),
    ).not.toBeInTheDocument();
  });

  it('shows what another user did when a signal arrives, without a reload', async () => {
    let publish: (message: object) => void = () => {};
    const signalApi = {
      subscribe: jest.fn((channel: string, onMessage: (m: any) => void) => {
        if (channel === `promotion:${ENTITY_REF}`) {
          publish = onMessage;
        }
        return { unsubscribe: jest.fn() };
      }),
    };
    let version = '1.3.0';
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => {
        const flow = flowState();
        flow.environments[2].currentVersion = version;
        return flow;
      }),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      apis: [[signalApiRef, signalApi]],
    });
    const ladder = await screen.findByRole('region', { name: 'Ladder' });
    expect(within(ladder).getByText('1.3.0')).toBeInTheDocument();

    version = '1.4.0';
    act(() => publish({ type: 'deployment.recorded' }));

    await waitFor(() =>
      expect(within(ladder).getAllByText('1.4.0')).toHaveLength(3),
    );
    expect(signalApi.subscribe).toHaveBeenCalledWith(
      `promotion:${ENTITY_REF}`,
      expect.any(Function),
    );
  });

  it('lets a keyboard user reach the controls', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(<EntityPromotionContent />, { api });
    const rollback = await screen.findByRole('button', {
      name: 'Record rollback',
    });
    await waitFor(() => expect(rollback).toBeEnabled());

    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await user.tab();
      reached = document.activeElement === rollback;
    }
    expect(reached).toBe(true);
    await user.keyboard('{Enter}');
    expect(
      await screen.findByRole('dialog', { name: 'Record a rollback' }),
    ).toBeInTheDocument();
  });
});
