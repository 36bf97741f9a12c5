/*
 * A `promotion` app-config value built from the governance documents
 * (shared/seeds): the `standard` policy of the one-time approval document and
 * a `regulated` policy for the "no exceptions" workflow.
 */
export const seedsPromotionConfig = {
  requestExpiry: { days: 14 },
  policies: {
    standard: {
      title: 'Standard release ladder',
      environments: [
        {
          id: 'dev',
          title: 'Dev',
          checklist: [
            {
              id: 'code-reviewed',
              title: 'Code reviewed and merged to main branch',
            },
            { id: 'tests-passing', title: 'All tests passing' },
            {
              id: 'no-open-blockers',
              title: 'No open blockers or critical bugs',
            },
            {
              id: 'release-notes-prepared',
              title: 'Release notes prepared',
              evidenceRequired: true,
            },
            {
              id: 'estimate-approved',
              title: 'Estimate approved if non-routine work',
              description:
                'Only for non-routine work; tick it with a note otherwise.',
            },
          ],
        },
        {
          id: 'test',
          title: 'Test',
          checklist: [
            {
              id: 'config-mirrors-production',
              title: 'Test configuration mirrors production',
              scope: 'flow',
            },
            { id: 'smoke-tests', title: 'Smoke tests passed' },
            {
              id: 'end-to-end-tests',
              title: 'All affected features tested end-to-end',
              evidenceRequired: true,
            },
            {
              id: 'no-regressions',
              title: 'No regressions in existing functionality',
            },
            { id: 'logging', title: 'Logging verified' },
            { id: 'alerts', title: 'Alerts configured' },
            { id: 'permissions', title: 'Permissions verified' },
            {
              id: 'multi-tenant-isolation',
              title: 'Multi-tenant data isolation intact',
            },
            {
              id: 'integration-dependencies',
              title: 'Integration dependencies aligned',
              description:
                'SFTP, S3, Step Functions, Lambda, downstream processors',
            },
          ],
          signOff: { required: true },
        },
        {
          id: 'production',
          title: 'Production',
          approval: {
            mode: 'once',
            approvers: ['group:default/approvers'],
          },
          postDeployment: {
            checklist: [
              {
                id: 'monitor-logs',
                title: 'Application logs monitored for errors',
                minimumWait: { minutes: 15 },
              },
              {
                id: 'critical-paths',
                title:
                  'Critical paths verified: login, project views, data access',
              },
              { id: 'uptime-green', title: 'Uptime monitoring shows green' },
              {
                id: 'release-notes-delivered',
                title: 'Release notes delivered to the approver',
                evidenceRequired: true,
              },
              { id: 'time-logged', title: 'Time logged' },
              { id: 'tickets-closed', title: 'Related tickets closed' },
            ],
          },
        },
        { id: 'dr', title: 'DR' },
      ],
    },
    regulated: {
      title: 'Regulated: every Production change is approved',
      environments: [
        {
          id: 'dev',
          title: 'Dev',
          checklist: [{ id: 'tests-passing', title: 'All tests passing' }],
        },
        {
          id: 'test',
          title: 'Test',
          checklist: [{ id: 'smoke-tests', title: 'Smoke tests passed' }],
          signOff: { required: true },
        },
        {
          id: 'production',
          title: 'Production',
          approval: {
            mode: 'every',
            approvers: ['group:default/approvers', 'user:director'],
            minApprovers: 2,
          },
          postDeployment: {
            checklist: [
              {
                id: 'monitor-logs',
                title: 'Application logs monitored for errors',
                minimumWait: 'PT15M',
              },
            ],
          },
        },
      ],
    },
  },
};
