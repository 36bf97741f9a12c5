import { configApiRef } from '@backstage/core-plugin-api';
import { mockApis } from '@backstage/test-utils';
import type { VerificationReport } from '@promotion/plugin-promotion-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { renderWithApis } from '../../__testUtils__/render';
import { VerificationReportCard } from './VerificationReportCard';

describe('VerificationReportCard', () => {
  it('says when every check passed, and offers both downloads', async () => {
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(async () => ({
        from: '2024-04-01T00:00:00.000Z',
        to: '2024-05-01T00:00:00.000Z',
        generatedAt: '2024-05-01T00:00:00.000Z',
        deploymentsChecked: 1,
        violations: [],
        pending: [],
        checks: [
          {
            kind: 'release-notes-missing' as const,
            title: 'Release notes delivered at deployment time',
            explanation: 'The approved dossier has release notes.',
            passed: true,
            failedDeployments: 0,
          },
        ],
      })),
    });
    await renderWithApis(
      <VerificationReportCard range={{}} rangeLabel="all" />,
      { api },
    );

    expect(
      await screen.findByText(
        /1 deployment checked between .*; 0 violations\./,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Passed')).toBeInTheDocument();
    expectTextToWrap(
      screen.getByText('Release notes delivered at deployment time'),
    );
    expect(
      screen.queryByRole('table', { name: 'Violations' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('button', {
        name: 'Download the verification report as JSON',
      }),
    ).toBeEnabled();
  });

  it('lists one row per deployment with every check it failed, a link to its trail, and the items not due yet', async () => {
    const evidence =
      'https://portal.example.com/catalog/default/component/payments-sftp/promotion?deployment=dep-3';
    const report: VerificationReport = {
      from: '2024-04-01T00:00:00.000Z',
      to: '2024-05-01T00:00:00.000Z',
      generatedAt: '2024-05-01T00:00:00.000Z',
      deploymentsChecked: 4,
      violations: [
        {
          entityRef: 'component:default/payments-sftp',
          environmentId: 'production',
          environmentTitle: 'Production',
          version: '1.2.0',
          deploymentId: 'dep-3',
          occurredAt: '2024-04-10T10:00:00.000Z',
          evidence,
          failedChecks: [
            {
              kind: 'production-without-approval',
              title: 'No Production deployment without approval',
              sentences: ['The standing approval for Production was revoked.'],
            },
            {
              kind: 'not-validated-before-deployment',
              title: 'Test validated before Production',
              sentences: [
                'The Test checklist is incomplete for 1.2.0: Smoke tests.',
                'Test has not been signed off for 1.2.0.',
              ],
            },
            {
              kind: 'post-deployment-incomplete',
              title: 'Post-deployment checklist completed',
              sentences: [
                '“Tickets closed” was not completed for 1.2.0; it was due by 2024-04-11T10:00:00.000Z.',
              ],
            },
          ],
        },
      ],
      pending: [
        {
          entityRef: 'component:default/file-router',
          environmentId: 'production',
          environmentTitle: 'Production',
          version: '3.0.0',
          deploymentId: 'dep-9',
          occurredAt: '2024-04-30T23:58:00.000Z',
          evidence:
            '/catalog/default/component/file-router/promotion?deployment=dep-9',
          items: [
            {
              itemId: 'monitor-logs',
              title: 'Monitor logs',
              dueAt: '2024-05-01T23:58:00.000Z',
              checks: ['post-deployment-incomplete'],
            },
          ],
        },
      ],
      checks: [
        {
          kind: 'production-without-approval',
          title: 'No Production deployment without approval',
          explanation: 'The gate had its approval.',
          passed: false,
          failedDeployments: 1,
        },
        {
          kind: 'release-notes-missing',
          title: 'Release notes delivered at deployment time',
          explanation:
            'Production (policy standard) names no post-deployment item for the release notes: only the dossier is checked.',
          passed: true,
          failedDeployments: 0,
        },
      ],
    };
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(async () => report),
    });
    await renderWithApis(
      <VerificationReportCard range={{}} rangeLabel="all" />,
      {
        api,
        apis: [
          [
            configApiRef,
            mockApis.config({
              data: { app: { baseUrl: 'https://portal.example.com' } },
            }),
          ],
        ],
      },
    );

    expect(
      await screen.findByText(
        /4 deployments checked between .*; 1 violation; 1 with post-deployment items not due yet\./,
      ),
    ).toBeInTheDocument();
    const checks = screen.getByRole('list', { name: 'Checks' });
    expect(
      within(checks).getByText('Failed by 1 deployment'),
    ).toBeInTheDocument();
    expect(
      within(checks).getByText(
        'Production (policy standard) names no post-deployment item for the release notes: only the dossier is checked.',
      ),
    ).toBeInTheDocument();

    const table = screen.getByRole('table', { name: 'Violations' });
    // One row per deployment (and the header).
    expect(within(table).getAllByRole('row')).toHaveLength(2);
    const row = within(table).getAllByRole('row')[1];
    expect(within(row).getByText('Production')).toBeInTheDocument();
    const failed = within(row).getByRole('list', { name: 'Failed checks' });
    expect(
      within(failed)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual([
      'No Production deployment without approvalThe standing approval for Production was revoked.',
      'Test validated before ProductionThe Test checklist is incomplete for 1.2.0: Smoke tests. Test has not been signed off for 1.2.0.',
      'Post-deployment checklist completed“Tickets closed” was not completed for 1.2.0; it was due by 2024-04-11T10:00:00.000Z.',
    ]);
    expectTextToWrap(
      within(failed).getByText(
        'The Test checklist is incomplete for 1.2.0: Smoke tests. Test has not been signed off for 1.2.0.',
      ),
    );
    // A page of this portal opens in place, on the trail of the deployment.
    const link = within(row).getByRole('link', {
      name: 'Why is 1.2.0 in Production?',
    });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-sftp/promotion?deployment=dep-3',
    );
    expect(link).not.toHaveAttribute('target');

    const pending = screen.getByRole('table', {
      name: 'Pending post-deployment items',
    });
    const pendingRow = within(pending).getAllByRole('row')[1];
    expect(within(pendingRow).getByText('Monitor logs')).toBeInTheDocument();
    expect(within(pendingRow).getByText(/^Due by /)).toBeInTheDocument();
    expect(
      within(pendingRow).getByRole('link', {
        name: 'Why is 3.0.0 in Production?',
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/file-router/promotion?deployment=dep-9',
    );
    expect(within(table).queryByText('Monitor logs')).not.toBeInTheDocument();
  });

  it('reports a failed CSV download instead of failing silently', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(async () => {
        throw new Error('Range too large');
      }),
      downloadVerificationReport: jest.fn(async () => {
        throw new Error('Range too large');
      }),
    });
    await renderWithApis(
      <VerificationReportCard range={{}} rangeLabel="all" />,
      { api },
    );

    expect(
      (await screen.findAllByText(/Range too large/)).length,
    ).toBeGreaterThan(0);
    await user.click(
      screen.getByRole('button', {
        name: 'Download the verification report as CSV',
      }),
    );
    expect(api.downloadVerificationReport).toHaveBeenCalled();
  });
});
