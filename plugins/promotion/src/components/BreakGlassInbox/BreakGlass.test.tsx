import { BreakGlass } from '@promotion/plugin-promotion-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  allowAll,
  createFakePromotionApi,
  ENTITY_REF,
  flowState,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { NextGate } from '../NextGate';
import { BreakGlassInbox } from './BreakGlassInbox';

function breakGlass(parts: Partial<BreakGlass> = {}): BreakGlass {
  return {
    id: 'bg-1',
    entityRef: ENTITY_REF,
    environmentId: 'production',
    version: '1.4.0',
    status: 'pending',
    reason: 'Payments fail for every customer',
    incidentLink: 'https://incidents.example.com/INC-42',
    declaredBy: 'user:default/alice',
    declaredAt: '2026-11-28T10:00:00.000Z',
    approvalsNeeded: 1,
    expiresAt: '2099-01-01T00:00:00.000Z',
    overriddenConditions: [],
    ...parts,
  };
}

/** The test flow, its Production allowing break-glass with one approval. */
function flowWithBreakGlass() {
  const flow = flowState();
  const production = flow.environments.find(
    s => s.environment.id === flow.nextGate!.environmentId,
  )!;
  production.environment = {
    ...production.environment,
    breakGlass: { approvals: 1, onCallGroups: [], validForSeconds: 86400 },
  };
  return flow;
}

describe('Break-glass in the tab', () => {
  it('declares a break-glass from the closed gate with a reason and an incident link', async () => {
    const declareBreakGlass = jest.fn(async () => breakGlass());
    const onChange = jest.fn();
    const flow = flowWithBreakGlass();
    const api = createFakePromotionApi({ declareBreakGlass });
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flow}
        permissions={allowAll()}
        onChange={onChange}
      />,
      { api },
    );

    await userEvent.click(screen.getByRole('button', { name: /Break glass/ }));
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/One approver of Production must approve it/),
    ).toBeInTheDocument();
    const submit = within(dialog).getByRole('button', {
      name: 'Declare break-glass',
    });
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Payments fail for every customer',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Incident link/ }),
      'INC-42',
    );
    expect(within(dialog).getByText('Must be an http(s) URL.')).toBeVisible();
    expect(submit).toBeDisabled();
    await userEvent.clear(
      within(dialog).getByRole('textbox', { name: /Incident link/ }),
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Incident link/ }),
      'https://incidents.example.com/INC-42',
    );
    await userEvent.click(submit);

    await waitFor(() => expect(onChange).toHaveBeenCalled());
    expect(declareBreakGlass).toHaveBeenCalledWith(ENTITY_REF, {
      environment: flow.nextGate!.environmentId,
      version: flow.nextGate!.version,
      reason: 'Payments fail for every customer',
      incidentLink: 'https://incidents.example.com/INC-42',
    });
  });

  it('offers no break-glass where the environment allows none, and shows a pending one instead of the button', async () => {
    const { unmount } = await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );
    expect(
      screen.queryByRole('button', { name: /Break glass/ }),
    ).not.toBeInTheDocument();
    unmount();

    const flow = flowWithBreakGlass();
    flow.breakGlasses = [breakGlass({ version: flow.nextGate!.version })];
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flow}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );
    expect(
      screen.queryByRole('button', { name: /Break glass/ }),
    ).not.toBeInTheDocument();
    expect(screen.getByText('Waiting for one approver.')).toBeInTheDocument();
  });

  it('says the gate is open by break-glass, with what it overrides', async () => {
    const flow = flowWithBreakGlass();
    flow.nextGate = {
      ...flow.nextGate!,
      open: true,
      approvedBy: 'break-glass',
      overriddenConditions: flow.nextGate!.unmetConditions,
      unmetConditions: [],
    };
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flow}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );
    expect(
      screen.getByText(/The gate is open by break-glass/),
    ).toHaveTextContent(
      'The standing approval for Production was revoked: 1.4.0 needs a new approval.',
    );
  });
});

describe('BreakGlassInbox', () => {
  it('lets an approver approve a declaration and close a retrospective review, each with a comment', async () => {
    const decideBreakGlass = jest.fn(async () =>
      breakGlass({ status: 'approved' }),
    );
    const closeBreakGlassReview = jest.fn(async () => breakGlass());
    const used = breakGlass({
      id: 'bg-2',
      version: '1.3.0',
      status: 'used',
      deploymentId: 'dep-1',
      usedAt: '2026-11-28T11:00:00.000Z',
      review: { status: 'open' },
    });
    const api = createFakePromotionApi({
      getBreakGlassInbox: async () => ({
        items: [
          {
            breakGlass: breakGlass(),
            environmentTitle: 'Production',
            action: 'decide',
          },
          {
            breakGlass: used,
            environmentTitle: 'Production',
            action: 'review',
          },
        ],
      }),
      decideBreakGlass,
      closeBreakGlassReview,
    });
    await renderWithApis(<BreakGlassInbox />, { api });

    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Approve break-glass for 1.4.0 into Production',
      }),
    );
    let dialog = await screen.findByRole('dialog');
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Go',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    await waitFor(() =>
      expect(decideBreakGlass).toHaveBeenCalledWith(ENTITY_REF, 'bg-1', {
        decision: 'approve',
        comment: 'Go',
      }),
    );

    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Close retrospective review of break-glass for 1.3.0 into Production',
      }),
    );
    dialog = await screen.findByRole('dialog');
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Root cause fixed',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close review' }),
    );
    await waitFor(() =>
      expect(closeBreakGlassReview).toHaveBeenCalledWith(ENTITY_REF, 'bg-2', {
        comment: 'Root cause fixed',
      }),
    );
  });

  it('tells a declarer why they cannot approve their own break-glass', async () => {
    const api = createFakePromotionApi({
      getBreakGlassInbox: async () => ({
        items: [
          {
            breakGlass: breakGlass(),
            environmentTitle: 'Production',
            action: 'decide',
            cannotActReason:
              'you declared this break-glass, so you cannot approve it',
          },
        ],
      }),
    });
    await renderWithApis(<BreakGlassInbox />, { api });
    expect(
      await screen.findByRole('button', {
        name: 'Approve break-glass for 1.4.0 into Production',
      }),
    ).toBeDisabled();
    expect(
      screen.getByText(
        'you declared this break-glass, so you cannot approve it',
      ),
    ).toBeInTheDocument();
  });
});
