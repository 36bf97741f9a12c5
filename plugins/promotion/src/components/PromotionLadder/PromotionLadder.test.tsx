import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { flowState } from '../../__testUtils__/flow';
import { approvalStateText, PromotionLadder } from './PromotionLadder';

describe('PromotionLadder', () => {
  it('shows every environment in order with its version, and marks the next step', async () => {
    const flow = flowState();
    flow.environments[2].currentVersion = undefined;
    flow.environments[2].currentDeployment = undefined;
    await renderInTestApp(<PromotionLadder flow={flow} />);

    const titles = ['Dev', 'Test', 'Production'].map(title =>
      screen.getByText(title),
    );
    expect(
      titles[0].compareDocumentPosition(titles[2]) &
        Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    expect(screen.getByText('Nothing deployed')).toBeInTheDocument();
    expect(screen.getByText('Next: 1.4.0 (gate closed)')).toBeInTheDocument();
  });

  it('flags a deployment made through a closed gate', async () => {
    const flow = flowState();
    flow.environments[2].currentDeployment!.violation = true;
    await renderInTestApp(<PromotionLadder flow={flow} />);

    expect(
      screen.getByText('Deployed through a closed gate'),
    ).toBeInTheDocument();
  });

  it('words the standing-approval state', () => {
    const [dev, , production] = flowState().environments;
    expect(approvalStateText(dev)).toBeUndefined();
    expect(approvalStateText(production)).toBe('Standing approval revoked');
    expect(
      approvalStateText({ ...production, standingApproval: undefined }),
    ).toBe('Needs a one-time approval');
    expect(
      approvalStateText({
        ...production,
        standingApproval: {
          ...production.standingApproval!,
          revokedAt: undefined,
        },
      }),
    ).toBe('Standing approval');
  });
});
