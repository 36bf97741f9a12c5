import { PromotionApiOperation, promotionApiOperations } from './operations';

const operations = Object.entries(promotionApiOperations) as Array<
  [string, PromotionApiOperation]
>;

describe('promotionApiOperations', () => {
  it('has one operation per method and path', () => {
    const routes = operations.map(([, op]) => `${op.method} ${op.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    // 25, and since the keyed audit chain POST /audit/verify and POST /audit/checkpoints;
    // since break-glass its declaration, decision, review and inbox, and the governance insights GET /insights.
    expect(routes).toHaveLength(32);
  });

  it('validates exactly the path parameters each path names', () => {
    for (const [operationId, op] of operations) {
      const named = [...op.path.matchAll(/:([A-Za-z]+)/g)].map(m => m[1]);
      expect({
        operationId,
        params: Object.keys(op.params?.shape ?? {}).sort(),
      }).toEqual({ operationId, params: named.sort() });
    }
  });

  it('takes a body only on writes, and answers JSON from a schema or declares its content types', () => {
    expect(
      operations
        .filter(([, op]) => op.body && op.method === 'get')
        .map(([operationId]) => operationId),
    ).toEqual([]);
    for (const [operationId, op] of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        const empty = status === '204' || operationId === 'getOpenApiDocument';
        expect({
          operationId,
          status,
          answers: Boolean(response.schema || response.contentTypes),
        }).toEqual({ operationId, status, answers: !empty });
      }
    }
  });

  it('opens to pipelines only the routes the CLI and pipelines use', () => {
    expect(
      operations
        .filter(([, op]) => op.access === 'user-or-service')
        .map(([operationId]) => operationId),
    ).toEqual([
      'getFlowState',
      'getGate',
      'recordDeployment',
      'getDeploymentTrail',
      'recordRollback',
      // Pipelines attest items declared `attestedBy: pipeline` or `both`.
      'completeChecklistItem',
      'completePostDeploymentItem',
      'getPromotionRequest',
    ]);
    expect(
      operations
        .filter(([, op]) => op.access === 'public')
        .map(([, op]) => op.path),
    ).toEqual(['/health', '/openapi.json']);
  });

  it('answers a rollback with the rollback and what it revoked', () => {
    const { schema } = promotionApiOperations.recordRollback.responses[201];
    expect(
      schema.safeParse({
        id: 'r1',
        entityRef: 'component:default/payments-sftp',
        environmentId: 'production',
        fromVersion: '1.4.0',
        reason: 'Error rate doubled',
        recordedBy: 'service:pipeline',
        recordedAt: '2026-03-02T10:00:00.000Z',
      }).success,
    ).toBe(false);
    expect(Object.keys(schema.shape)).toEqual(
      expect.arrayContaining([
        'revokedStandingApprovals',
        'incidentReportRequested',
      ]),
    );
  });
});
