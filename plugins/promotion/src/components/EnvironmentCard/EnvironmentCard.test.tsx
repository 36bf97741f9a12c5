import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  ChecklistCompletion,
  EnvironmentState,
  Rollback,
} from '@promotion/plugin-promotion-common';
import {
  allowAll,
  createFakePromotionApi,
  ENTITY_REF,
  flowState,
} from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { renderWithApis } from '../../__testUtils__/render';
import { EnvironmentCard } from './EnvironmentCard';

function environment(id: string, secondsAgo?: number): EnvironmentState {
  const state = flowState({ secondsAgo }).environments.find(
    s => s.environment.id === id,
  );
  if (!state) {
    throw new Error(id);
  }
  return state;
}

describe('EnvironmentCard', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shows who completed a checklist item, when, and its evidence link', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('test')}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    const checklist = screen.getByRole('region', {
      name: 'Validation checklist',
    });
    expect(within(checklist).getByText('Smoke tests')).toBeInTheDocument();
    expect(within(checklist).getByText(/All green/)).toBeInTheDocument();
    expect(
      within(checklist).getByRole('link', { name: /^evidence/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/run/7');
    expect(
      within(checklist).getByText(
        'Once for the flow · confirmed again after a rollback',
      ),
    ).toBeInTheDocument();
  });

  it('shows a pipeline’s attestation with its result and evidence, and offers no Complete on a pipeline-only item', async () => {
    const state = environment('test');
    state.environment = {
      ...state.environment,
      checklist: state.environment.checklist.map(item => {
        if (item.id === 'smoke-tests') {
          return { ...item, attestedBy: 'both' as const };
        }
        return item.id === 'e2e-tests'
          ? { ...item, attestedBy: 'pipeline' as const }
          : item;
      }),
    };
    state.checklist = [
      {
        ...state.checklist[0],
        completedBy: 'service:pipeline',
        evidenceLink: 'https://ci.example.com/run/7/report',
        note: undefined,
        result: 'All tests passing — 1,284 passed',
      },
    ];
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    const checklist = screen.getByRole('region', {
      name: 'Validation checklist',
    });
    const attested = within(checklist).getByText(/^Attested by/);
    expect(attested).toHaveTextContent(
      /^Attested by service:pipeline on .+: All tests passing — 1,284 passed \(evidence, Opens in a new window\)$/,
    );
    expect(
      within(attested).getByRole('link', { name: /^evidence/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/run/7/report');
    expect(
      within(checklist).getByText(
        'For each version · evidence link required · by a person or attested by the pipeline',
      ),
    ).toBeInTheDocument();

    // The pipeline-only item: no one may tick it here.
    expect(
      within(checklist).getByText(
        'For each version · attested by the pipeline',
      ),
    ).toBeInTheDocument();
    expect(
      within(checklist).getByText('Not completed: the pipeline attests it.'),
    ).toBeInTheDocument();
    const complete = within(checklist).getByRole('button', {
      name: 'Complete End-to-end tests',
    });
    expect(complete).toBeDisabled();
    expect(complete).toHaveAccessibleDescription(
      'Completed by the pipeline: it attests this item with its evidence.',
    );
    // People may still complete the items that are theirs.
    expect(
      within(checklist).getByRole('button', {
        name: 'Complete Logging configured',
      }),
    ).toBeEnabled();
  });

  it('says which flow-scoped items a rollback keeps', async () => {
    const state = environment('test');
    state.environment = {
      ...state.environment,
      checklist: state.environment.checklist.map(item =>
        item.id === 'logging' ? { ...item, resetOnRollback: false } : item,
      ),
    };
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(
      screen.getByText('Once for the flow · kept after a rollback'),
    ).toBeInTheDocument();
  });

  it('shows a read-only user what was done, without controls they may not use', async () => {
    const no = {
      allowed: false,
      reason:
        'The permission policy does not allow you to complete checklist items of this flow (promotion.checklist.complete)',
    };
    const production = environment('production');
    production.standingApproval = {
      ...production.standingApproval!,
      revokedAt: undefined,
      revokedBy: undefined,
      revokeReason: undefined,
    };
    for (const state of [environment('test'), production]) {
      const { unmount } = await renderWithApis(
        <EnvironmentCard
          entityRef={ENTITY_REF}
          state={state}
          permissions={{
            ...allowAll(),
            completeChecklist: no,
            signOff: no,
            revoke: no,
          }}
          onChange={jest.fn()}
        />,
        { api: createFakePromotionApi() },
      );

      expect(screen.getByText(state.environment.title)).toBeInTheDocument();
      // Why is V here? is for everyone who reads the flow.
      expect(
        screen.queryAllByRole('button', {
          name: /^(Complete|Undo|Sign off|Revoke)/,
        }),
      ).toEqual([]);
      expect(screen.queryByText(/permission policy/)).not.toBeInTheDocument();
      // What was done stays in view.
      expect(
        screen.getAllByText(/^(Completed by|Granted on)/).length,
      ).toBeGreaterThan(0);
      unmount();
    }
  });

  it('completes a version-scoped item with evidence and a note for the version standing there', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    const onChange = jest.fn();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('test')}
        permissions={allowAll()}
        onChange={onChange}
      />,
      { api },
    );

    await user.click(
      screen.getByRole('button', { name: 'Complete End-to-end tests' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Complete “End-to-end tests”',
    });
    expect(
      within(dialog).getByText(/This applies to version 1.4.0 on Test/),
    ).toBeInTheDocument();
    await user.type(
      within(dialog).getByRole('textbox', { name: /Evidence link/ }),
      'https://ci.example.com/run/8',
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Note/ }),
      '42 scenarios',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Complete' }));

    await waitFor(() =>
      expect(api.completeChecklistItem).toHaveBeenCalledWith(
        {
          entityRef: ENTITY_REF,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'e2e-tests',
        },
        {
          version: '1.4.0',
          evidenceLink: 'https://ci.example.com/run/8',
          note: '42 scenarios',
        },
      ),
    );
    expect(onChange).toHaveBeenCalled();
  });

  it('completes a flow-scoped item without a version', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('test')}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    await user.click(
      screen.getByRole('button', { name: 'Complete Logging configured' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/This applies to the flow as a whole/),
    ).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Complete' }));

    await waitFor(() =>
      expect(api.completeChecklistItem).toHaveBeenCalledWith(
        expect.objectContaining({ itemId: 'logging' }),
        { version: undefined, evidenceLink: undefined, note: undefined },
      ),
    );
  });

  describe('after a rollback', () => {
    const rollback: Rollback = {
      id: 'rb1',
      entityRef: ENTITY_REF,
      environmentId: 'production',
      fromVersion: '1.3.0',
      toVersion: '1.2.0',
      reason: 'Transfers failing',
      recordedBy: 'user:default/alice',
      recordedAt: '2024-05-02T08:00:00.000Z',
    };
    /** Test, with "Logging configured" (flow-scoped) completed at `completedAt`. */
    function testWithLogging(
      completedAt: string,
      resetOnRollback = true,
    ): EnvironmentState {
      const state = environment('test');
      const logging: ChecklistCompletion = {
        id: 'c3',
        entityRef: ENTITY_REF,
        environmentId: 'test',
        kind: 'validation',
        itemId: 'logging',
        completedBy: 'user:default/alice',
        completedAt,
      };
      state.checklist = [...state.checklist, logging];
      state.environment = {
        ...state.environment,
        checklist: state.environment.checklist.map(item =>
          item.id === 'logging' ? { ...item, resetOnRollback } : item,
        ),
      };
      return state;
    }
    const loggingRow = () =>
      within(screen.getByRole('region', { name: 'Validation checklist' }))
        .getByText('Logging configured')
        .closest('li')!;

    it('shows a flow-scoped item completed before the rollback as to be completed again, and completes it for the flow', async () => {
      const user = userEvent.setup({ delay: null });
      const api = createFakePromotionApi();
      await renderWithApis(
        <EnvironmentCard
          entityRef={ENTITY_REF}
          state={testWithLogging('2024-05-01T08:00:00.000Z')}
          rollbacks={[rollback]}
          permissions={allowAll()}
          onChange={jest.fn()}
        />,
        { api },
      );

      const row = loggingRow();
      expect(row).toHaveTextContent(
        `Completed before the rollback on ${new Date(
          rollback.recordedAt,
        ).toLocaleString()}; complete again for the next version.`,
      );
      expect(row).not.toHaveTextContent('Completed by');
      expect(
        within(row).queryByRole('button', { name: 'Undo Logging configured' }),
      ).not.toBeInTheDocument();

      await user.click(
        within(row).getByRole('button', {
          name: 'Complete Logging configured',
        }),
      );
      const dialog = await screen.findByRole('dialog');
      await user.click(
        within(dialog).getByRole('button', { name: 'Complete' }),
      );
      await waitFor(() =>
        expect(api.completeChecklistItem).toHaveBeenCalledWith(
          expect.objectContaining({ itemId: 'logging' }),
          { version: undefined, evidenceLink: undefined, note: undefined },
        ),
      );
    });

    it('keeps showing an item that is kept after a rollback, and one completed after it, as done', async () => {
      for (const state of [
        testWithLogging('2024-05-01T08:00:00.000Z', false),
        testWithLogging('2024-05-02T09:00:00.000Z'),
      ]) {
        const { unmount } = await renderWithApis(
          <EnvironmentCard
            entityRef={ENTITY_REF}
            state={state}
            rollbacks={[rollback]}
            permissions={allowAll()}
            onChange={jest.fn()}
          />,
          { api: createFakePromotionApi() },
        );

        const row = loggingRow();
        expect(row).toHaveTextContent('Completed by');
        expect(row).not.toHaveTextContent('before the rollback');
        expect(
          within(row).getByRole('button', { name: 'Undo Logging configured' }),
        ).toBeInTheDocument();
        unmount();
      }
    });

    it('never resets a version-scoped item', async () => {
      await renderWithApis(
        <EnvironmentCard
          entityRef={ENTITY_REF}
          state={environment('test')}
          rollbacks={[rollback]}
          permissions={allowAll()}
          onChange={jest.fn()}
        />,
        { api: createFakePromotionApi() },
      );

      expect(
        screen.getByRole('button', { name: 'Undo Smoke tests' }),
      ).toBeInTheDocument();
      expect(screen.queryByText(/before the rollback/)).not.toBeInTheDocument();
    });
  });

  it('undoes a completion for its version', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    const onChange = jest.fn();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('test')}
        permissions={allowAll()}
        onChange={onChange}
      />,
      { api },
    );

    await user.click(screen.getByRole('button', { name: 'Undo Smoke tests' }));

    await waitFor(() =>
      expect(api.undoChecklistItem).toHaveBeenCalledWith(
        {
          entityRef: ENTITY_REF,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'smoke-tests',
        },
        { version: '1.4.0' },
      ),
    );
    expect(onChange).toHaveBeenCalled();
  });

  it('signs off the version standing there with a comment', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('test')}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    expect(
      screen.getByText('1.4.0 is not signed off on Test yet.'),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Sign off Test' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Sign off 1.4.0 on Test',
    });
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Customer confirmed the test results',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Sign off' }));

    await waitFor(() =>
      expect(api.signOff).toHaveBeenCalledWith(ENTITY_REF, 'test', {
        version: '1.4.0',
        comment: 'Customer confirmed the test results',
      }),
    );
  });

  it('shows a given sign-off with its comment instead of the button', async () => {
    const api = createFakePromotionApi();
    const state = environment('test');
    state.signOffs = [
      {
        id: 's1',
        entityRef: ENTITY_REF,
        environmentId: 'test',
        version: '1.4.0',
        signedOffBy: 'user:default/carol',
        signedOffAt: '2024-05-01T09:00:00.000Z',
        comment: 'Results match the acceptance criteria',
      },
    ];
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    expect(
      screen.getByText('“Results match the acceptance criteria”'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Sign off Test' }),
    ).not.toBeInTheDocument();
  });

  it('counts down the minimum wait and enables the item when it elapses', async () => {
    // The countdown's clock (Date and its one-second interval) stands still
    // until the test moves it, however long the render takes; the other
    // timers stay real for React and the testing library.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
      ],
    });
    const api = createFakePromotionApi();
    // Deployed 898 seconds ago; the wait is 900 seconds.
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('production', 898)}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    const monitor = screen.getByRole('button', {
      name: 'Complete Monitor logs',
    });
    expect(monitor).toBeDisabled();
    expect(monitor).toHaveAccessibleDescription(
      /^Wait 0:0[12] more: the minimum wait of 15 minutes after the deployment has not elapsed\.$/,
    );
    expect(
      screen.getByRole('timer', { name: 'Time left for Monitor logs' }),
    ).toHaveTextContent(/^0:0[12]$/);
    expect(
      screen.getByRole('button', { name: 'Complete Uptime green' }),
    ).toBeEnabled();

    // The item, the countdown and the reason are read whole, not cut off.
    expectTextToWrap(screen.getByText('Monitor logs'));
    expectTextToWrap(
      screen.getByRole('timer', { name: 'Time left for Monitor logs' }),
    );
    expectTextToWrap(screen.getByText(/^Wait 0:0[12] more: /));

    act(() => jest.advanceTimersByTime(2000));
    await waitFor(() => expect(monitor).toBeEnabled());
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
  });

  it('shows the standing approval state and revokes it with a reason', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    const state = environment('production');
    state.standingApproval = {
      id: 'sa2',
      entityRef: ENTITY_REF,
      environmentId: 'production',
      grantedAt: '2024-05-02T10:00:00.000Z',
      grantedBy: ['user:default/bob', 'user:default/erin'],
    };
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    expect(
      screen.getByRole('region', { name: 'Standing approval' }),
    ).toHaveTextContent(/Granted on .* by bob, erin/);
    await user.click(
      screen.getByRole('button', {
        name: 'Revoke the standing approval of Production',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByRole('textbox'), 'Incident INC-9');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke' }));

    await waitFor(() =>
      expect(api.revokeStandingApproval).toHaveBeenCalledWith(
        ENTITY_REF,
        'production',
        { reason: 'Incident INC-9' },
      ),
    );
  });

  it('says why nothing can be checked where nothing is deployed', async () => {
    const api = createFakePromotionApi();
    const state = { ...environment('test'), currentVersion: undefined };
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    expect(
      screen.getByRole('button', { name: 'Complete End-to-end tests' }),
    ).toHaveAccessibleDescription(
      'Nothing is deployed to Test yet, so there is no version to check.',
    );
    expect(
      screen.getByRole('button', { name: 'Complete Logging configured' }),
    ).toBeEnabled();
  });

  it('opens the trail of the deployment standing there: why that version is here', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={environment('production')}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    const button = screen.getByRole('button', {
      name: 'Why is 1.3.0 here? Show the trail of 1.3.0 in Production',
    });
    expect(button).toHaveTextContent('Why is 1.3.0 here?');
    expect(api.getDeploymentTrail).not.toHaveBeenCalled();
    await user.click(button);

    const dialog = await screen.findByRole('dialog', {
      name: 'Why is 1.3.0 in Production?',
    });
    expect(
      await within(dialog).findByRole('region', { name: 'Who approved it?' }),
    ).toHaveTextContent(/bob approved on .*Dossier read, tests in order/);
    expect(api.getDeploymentTrail).toHaveBeenCalledWith(ENTITY_REF, 'dep-9');

    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
  });

  it('offers no trail where nothing is deployed', async () => {
    const api = createFakePromotionApi();
    const state = {
      ...environment('test'),
      currentVersion: undefined,
      currentDeployment: undefined,
    };
    await renderWithApis(
      <EnvironmentCard
        entityRef={ENTITY_REF}
        state={state}
        permissions={allowAll()}
        onChange={jest.fn()}
      />,
      { api },
    );

    expect(
      screen.queryByRole('button', { name: /Show the trail/ }),
    ).not.toBeInTheDocument();
  });
});
