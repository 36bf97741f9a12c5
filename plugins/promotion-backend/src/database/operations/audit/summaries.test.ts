import { decisionSummary, tidySummary } from './summaries';

describe('audit summaries', () => {
  it.each([
    ['approve', 'Looks good', 'Approved: Looks good'],
    ['approve', 'Approved: looks good', 'Approved: looks good'],
    ['approve', 'approved, tests in order', 'Approved: tests in order'],
    ['approve', 'Approved.', 'Approved'],
    ['approve', '  Approved  ', 'Approved'],
    ['approve', 'Approvedly odd', 'Approved: Approvedly odd'],
    [
      'approve',
      'Rejected twice before, fine now',
      'Approved: Rejected twice before, fine now',
    ],
    ['reject', 'Rejected: no rollback plan', 'Rejected: no rollback plan'],
    ['reject', 'No rollback plan', 'Rejected: No rollback plan'],
  ] as const)('%s with %p says %p', (decision, comment, summary) => {
    expect(decisionSummary(decision, comment)).toBe(summary);
  });

  it('says a doubled full stop once and leaves an ellipsis alone', () => {
    expect(tidySummary('Signed off Test for 1.0.0..')).toBe(
      'Signed off Test for 1.0.0.',
    );
    expect(
      tidySummary('Rolled back 1.1.0 on prod to 1.0.0..: it broke.. twice'),
    ).toBe('Rolled back 1.1.0 on prod to 1.0.0.: it broke. twice');
    expect(tidySummary('Waiting... for 1.0.0.')).toBe('Waiting... for 1.0.0.');
  });
});
