import { screen } from '@testing-library/react';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { PromotionApprovalsPage } from './PromotionApprovalsPage';

// A file of its own: usePermission caches decisions per module, and this
// test needs a fresh DENY.
describe('PromotionApprovalsPage without the audit permission', () => {
  it('hides the report and the audit trail, and says why', async () => {
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(),
      verifyAuditChain: jest.fn(),
    });
    await renderWithApis(<PromotionApprovalsPage />, {
      api,
      auditAllowed: false,
    });

    expect(
      await screen.findByText(
        /you do not have the promotion.audit.read permission/,
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText('Waiting for you')).toBeInTheDocument();
    expect(screen.queryByText('Verification report')).not.toBeInTheDocument();
    expect(screen.queryByText('Audit trail')).not.toBeInTheDocument();
    expect(api.getVerificationReport).not.toHaveBeenCalled();
    expect(api.verifyAuditChain).not.toHaveBeenCalled();
  });
});
