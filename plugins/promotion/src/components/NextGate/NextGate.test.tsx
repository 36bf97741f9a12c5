import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  allowAll,
  createFakePromotionApi,
  ENTITY_REF,
  flowState,
  pendingRequest,
} from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { fakeClockAt } from '../../__testUtils__/clock';
import { renderWithApis } from '../../__testUtils__/render';
import { NextGate } from './NextGate';

describe('NextGate', () => {
  it('lists the open conditions in the words the backend sent', async () => {
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(
      screen.getByText('Next step: 1.4.0 into Production'),
    ).toBeInTheDocument();
    const conditions = screen.getByRole('list', { name: 'Open conditions' });
    expect(within(conditions).getAllByRole('listitem')).toHaveLength(3);
    expect(
      within(conditions).getByText(
        'The standing approval for Production was revoked: 1.4.0 needs a new approval.',
      ),
    ).toBeInTheDocument();
  });

  it('links a dependency the gate waits for, and names it in the request dialog', async () => {
    const user = userEvent.setup({ delay: null });
    const flow = flowState();
    flow.nextGate = {
      ...flow.nextGate!,
      unmetConditions: [
        {
          code: 'dependency-missing',
          message: 'ledger is not in Production yet.',
          environmentId: 'production',
          dependencyRef: 'component:default/ledger',
        },
        ...flow.nextGate!.unmetConditions,
      ],
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

    const [first] = within(
      screen.getByRole('list', { name: 'Open conditions' }),
    ).getAllByRole('listitem');
    expect(first).toHaveTextContent(
      'ledger is not in Production yet. See ledger.',
    );
    expect(within(first).getByRole('link', { name: 'ledger' })).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger',
    );

    await user.click(
      screen.getByRole('button', {
        name: 'Request promotion of 1.4.0 into Production',
      }),
    );
    const still = within(await screen.findByRole('dialog')).getByLabelText(
      'Still needed once approved',
    );
    expect(still).toHaveTextContent('ledger is not in Production yet.');
  });

  it('offers no new request once the version is approved and the gate waits for a dependency', async () => {
    const flow = flowState();
    flow.nextGate = {
      ...flow.nextGate!,
      unmetConditions: [
        {
          code: 'dependency-missing',
          message: 'ledger is not in Production yet.',
          environmentId: 'production',
          dependencyRef: 'component:default/ledger',
        },
      ],
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
      screen.getByText('ledger is not in Production yet.', { exact: false }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Request promotion/ }),
    ).not.toBeInTheDocument();
  });

  it('shows each condition whole, wrapped, not cut to one line', async () => {
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    const conditions = within(
      screen.getByRole('list', { name: 'Open conditions' }),
    ).getAllByRole('listitem');
    expect(conditions).toHaveLength(3);
    for (const condition of conditions) {
      expectTextToWrap(within(condition).getByText(/\w/));
    }
  });

  it('says the gate is open when it is, and offers no request', async () => {
    const flow = flowState();
    flow.nextGate = {
      ...flow.nextGate!,
      open: true,
      unmetConditions: [],
      approvedBy: 'standing-approval',
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
      screen.getByText(
        /The gate is open: 1.4.0 may go to Production under the standing approval/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Request promotion/ }),
    ).not.toBeInTheDocument();
  });

  it('offers no second request while one is pending', async () => {
    const flow = { ...flowState(), pendingRequests: [pendingRequest()] };
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
      screen.getByText(/is pending; see Pending requests/),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Request promotion/ }),
    ).not.toBeInTheDocument();
  });

  it('leaves Request promotion out when the user may not request', async () => {
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={{
          ...allowAll(),
          request: {
            allowed: false,
            reason: 'Only the owners of payments-sftp request promotions.',
          },
        }}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(screen.getByText('Next step: 1.4.0 into Production')).toBeVisible();
    expect(
      screen.queryByRole('button', { name: /Request promotion/ }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByText(
        'Only the owners of payments-sftp request promotions.',
      ),
    ).not.toBeInTheDocument();
  });

  it('keeps Request promotion disabled while it is not known whether the user may request', async () => {
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={undefined}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(
      screen.getByRole('button', {
        name: 'Request promotion of 1.4.0 into Production',
      }),
    ).toHaveAccessibleDescription('Checking what you may do…');
  });

  it('says the rollback target may go back without approval', async () => {
    const flow = flowState();
    flow.nextGate = {
      ...flow.nextGate!,
      version: '1.0.0',
      open: true,
      unmetConditions: [],
      approvedBy: 'rollback-target',
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

    expect(screen.getByRole('alert')).toHaveTextContent(
      'The gate is open: 1.0.0 is the version Production was rolled back to; it may go back without approval.',
    );
    expect(
      screen.queryByRole('button', { name: /Request promotion/ }),
    ).not.toBeInTheDocument();
  });

  describe('with a request waiting for approval', () => {
    const request = pendingRequest({
      id: '5f0c6a2e-8d7b-4a51-9a3e-2b1c0d9e8f7a',
      expiresAt: '2024-05-08T10:00:00.000Z',
    });
    function waitingFlow() {
      const flow = { ...flowState(), pendingRequests: [request] };
      flow.nextGate!.unmetConditions = [
        {
          code: 'approval-pending',
          message: `Waiting for approval: 1 of 2 approvals on the request by Alice Ng of 2024-05-01 10:00 UTC for version 1.4.0 into Production.`,
          environmentId: 'production',
          requestId: request.id,
        },
      ];
      return flow;
    }

    afterEach(() => {
      jest.useRealTimers();
    });

    it('names the request by its version, environment, requester and date, not its id', async () => {
      fakeClockAt(Date.parse(request.expiresAt) - 60_000);
      await renderWithApis(
        <NextGate
          entityRef={ENTITY_REF}
          flow={waitingFlow()}
          permissions={allowAll()}
          onChange={jest.fn()}
        />,
        { api: createFakePromotionApi() },
      );

      const condition = within(
        screen.getByRole('list', { name: 'Open conditions' }),
      ).getByRole('listitem');
      expect(condition).toHaveTextContent(
        `Waiting for approval: 1 of 2 approvals on the request for 1.4.0 into Production by alice on ${new Date(
          request.createdAt,
        ).toLocaleString()}.`,
      );
      expect(
        within(condition).getByRole('link', { name: 'alice' }),
      ).toHaveAttribute('href', '/catalog/default/user/alice');
      expect(document.body).not.toHaveTextContent(request.id);
      expect(
        screen.getByText(/is pending; see Pending requests/),
      ).toBeInTheDocument();
    });

    it('shows the words the backend sent when the flow state does not list the request', async () => {
      fakeClockAt(Date.parse(request.expiresAt) - 60_000);
      await renderWithApis(
        <NextGate
          entityRef={ENTITY_REF}
          flow={{ ...waitingFlow(), pendingRequests: [] }}
          permissions={allowAll()}
          onChange={jest.fn()}
        />,
        { api: createFakePromotionApi() },
      );

      expect(
        within(screen.getByRole('list', { name: 'Open conditions' })).getByRole(
          'listitem',
        ),
      ).toHaveTextContent(
        'Waiting for approval: 1 of 2 approvals on the request by Alice Ng of 2024-05-01 10:00 UTC for version 1.4.0 into Production.',
      );
      expect(document.body).not.toHaveTextContent(request.id);
    });

    it('tells it as expired from its deadline on, and offers to request again', async () => {
      fakeClockAt(Date.parse(request.expiresAt) - 1_000);
      await renderWithApis(
        <NextGate
          entityRef={ENTITY_REF}
          flow={waitingFlow()}
          permissions={allowAll()}
          onChange={jest.fn()}
        />,
        { api: createFakePromotionApi() },
      );
      expect(
        screen.queryByRole('button', { name: /Request promotion/ }),
      ).not.toBeInTheDocument();

      act(() => {
        jest.advanceTimersByTime(1_000);
      });

      const condition = within(
        screen.getByRole('list', { name: 'Open conditions' }),
      ).getByRole('listitem');
      expect(condition).toHaveTextContent(
        `Not approved in time: the request for 1.4.0 into Production by alice on ${new Date(
          request.createdAt,
        ).toLocaleString()} expired on ${new Date(
          request.expiresAt,
        ).toLocaleString()} without a decision; request promotion again.`,
      );
      expect(
        screen.queryByText(/is pending; see Pending requests/),
      ).not.toBeInTheDocument();
      expect(
        screen.getByRole('button', {
          name: 'Request promotion of 1.4.0 into Production',
        }),
      ).toBeEnabled();
    });
  });

  it('pre-fills the test results from the checklist evidence, previews the markdown safely and submits the dossier', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    const onChange = jest.fn();
    await renderWithApis(
      <NextGate
        entityRef={ENTITY_REF}
        flow={flowState()}
        permissions={allowAll()}
        onChange={onChange}
      />,
      { api },
    );

    await user.click(
      screen.getByRole('button', {
        name: 'Request promotion of 1.4.0 into Production',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request promotion of 1.4.0 into Production',
    });
    const testResults = within(dialog).getByRole('textbox', {
      name: /Test results/,
    }) as HTMLTextAreaElement;
    expect(testResults.value).toContain(
      '- [x] Smoke tests — [evidence](https://ci.example.com/run/7) — All green',
    );
    expect(testResults.value).toContain(
      '- [x] Code reviewed and merged — [evidence](https://git.example.com/pr/42)',
    );

    const preview = within(dialog).getByRole('region', {
      name: 'Dossier preview',
    });
    expect(
      within(preview)
        .getAllByRole('link', { name: /^evidence/ })
        .map(link => link.getAttribute('href')),
    ).toEqual([
      'https://git.example.com/pr/42',
      'https://ci.example.com/run/7',
    ]);

    const submit = within(dialog).getByRole('button', {
      name: 'Request promotion',
    });
    expect(submit).toBeDisabled();

    const whatChanged = within(dialog).getByRole('textbox', {
      name: /What changed/,
    });
    // HTML in the dossier is sanitized: no scripts, no event handlers.
    fireEvent.change(whatChanged, {
      target: {
        value:
          'Retry **uploads** <img src=x onerror="alert(1)"><script>alert(2)</script>',
      },
    });
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Why/ }),
      'Partners asked',
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Release notes/ }),
      'Retries failed uploads',
    );
    expect(within(preview).getByText('uploads').tagName).toBe('STRONG');
    expect(preview.querySelector('[onerror]')).toBeNull();
    expect(preview.querySelector('script')).toBeNull();

    await user.click(submit);
    await waitFor(() =>
      expect(api.createRequest).toHaveBeenCalledWith(ENTITY_REF, {
        environment: 'production',
        version: '1.4.0',
        dossier: {
          whatChanged:
            'Retry **uploads** <img src=x onerror="alert(1)"><script>alert(2)</script>',
          why: 'Partners asked',
          testResults: testResults.value,
          releaseNotes: 'Retries failed uploads',
        },
      }),
    );
    expect(onChange).toHaveBeenCalled();
  });
});
