import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { allowAll, entity, flowState } from '../../__testUtils__/flow';
import { FlowPermissionsNotice } from './FlowPermissionsNotice';

const routes = {
  mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
};

describe('FlowPermissionsNotice', () => {
  it('says the actions are hidden when what the user may do cannot be read', async () => {
    await renderInTestApp(
      <FlowPermissionsNotice
        entity={entity}
        policy={flowState().policy}
        error={new Error('The permission backend is down')}
      />,
      routes,
    );

    expect(
      screen.getByRole('note', { name: 'What you may do' }),
    ).toHaveTextContent(
      'Could not find out what you may do on this flow (The permission backend is down), so its actions are hidden. Reload the page to try again.',
    );
  });

  it('names no one where the flow has no owner, and leaves approving out where nothing needs an approval', async () => {
    const policy = flowState().policy;
    const noApprovals = {
      ...policy,
      environments: policy.environments.map(e => ({
        ...e,
        approval: { ...e.approval, mode: 'none' as const },
      })),
    };
    await renderInTestApp(
      <FlowPermissionsNotice
        entity={{ ...entity, spec: { type: 'service' } }}
        policy={noApprovals}
        permissions={{
          ...allowAll(),
          completeChecklist: { allowed: false },
          approve: { allowed: false },
        }}
      />,
      routes,
    );

    expect(
      screen.getByRole('note', { name: 'What you may do' }),
    ).toHaveTextContent(
      "You can read this flow, deploy, sign off, request promotion and record rollbacks. Completing checklists is for the flow's owners.",
    );
  });

  it('shows nothing while the answer is coming', async () => {
    await renderInTestApp(
      <FlowPermissionsNotice entity={entity} policy={flowState().policy} />,
      routes,
    );

    expect(screen.queryByRole('note')).not.toBeInTheDocument();
  });
});
