import { flowState } from '../__testUtils__/flow';
import { prefillDossier } from './dossier';

describe('prefillDossier', () => {
  it('lists the completed checklist items below the target with their evidence', () => {
    const dossier = prefillDossier(flowState(), 'production', '1.4.0');

    expect(dossier.testResults).toContain('**Dev (1.4.0)**');
    expect(dossier.testResults).toContain(
      '- [x] Code reviewed and merged — [evidence](https://git.example.com/pr/42) (alice,',
    );
    expect(dossier.testResults).toContain('**Test (1.4.0)**');
    expect(dossier.testResults).toContain(
      '- [x] Smoke tests — [evidence](https://ci.example.com/run/7) — All green (alice,',
    );
    expect(dossier.whatChanged).toBe('');
    expect(dossier.why).toBe('');
  });

  it('only looks below the target environment', () => {
    const dossier = prefillDossier(flowState(), 'test', '1.4.0');

    expect(dossier.testResults).toContain('Code reviewed and merged');
    expect(dossier.testResults).not.toContain('Smoke tests');
  });

  it('says so when nothing is completed yet', () => {
    const flow = flowState();
    flow.environments.forEach(s => {
      s.checklist = [];
    });

    expect(prefillDossier(flow, 'production', '1.4.0').testResults).toBe(
      'No validation checklist item is completed yet below Production.',
    );
  });

  it('links the release notes when a release-notes checklist item has evidence', () => {
    const flow = flowState();
    const testState = flow.environments[1];
    testState.environment.checklist.push({
      id: 'release-notes',
      title: 'Release notes prepared',
      scope: 'version',
      evidenceRequired: true,
      resetOnRollback: true,
    });
    testState.checklist.push({
      ...testState.checklist[0],
      id: 'c9',
      itemId: 'release-notes',
      evidenceLink: 'https://wiki.example.com/release/1.4.0',
    });

    expect(prefillDossier(flow, 'production', '1.4.0').releaseNotes).toBe(
      'Release notes for 1.4.0: [release notes](https://wiki.example.com/release/1.4.0)',
    );
  });
});
