import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  allowAll,
  createFakePromotionApi,
  ENTITY_REF,
  flowState,
  pendingRequest,
} from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
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

  it('disables the request with the reason when the user may not request', async () => {
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

    expect(
      screen.getByRole('button', {
        name: 'Request promotion of 1.4.0 into Production',
      }),
    ).toHaveAccessibleDescription(
      'Only the owners of payments-sftp request promotions.',
    );
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
