import type {
  Dossier,
  EnvironmentState,
  FlowState,
} from '@promotion/plugin-promotion-common';
import { validationCompletion } from './checklist';
import { formatDateTime } from './format';

/** Escapes text for use inside a markdown link label. */
function label(text: string): string {
  return text.replace(/([\\[\]])/g, '\\$1');
}

/** One markdown line per completed validation checklist item, with its evidence. */
function checklistLines(state: EnvironmentState): string[] {
  return state.environment.checklist.flatMap(item => {
    const completion = validationCompletion(state, item);
    if (!completion) {
      return [];
    }
    const evidence = completion.evidenceLink
      ? ` — [evidence](${completion.evidenceLink})`
      : '';
    const note = completion.note ? ` — ${completion.note}` : '';
    const by = completion.completedBy.replace(/^user:default\//i, '');
    return [
      `- [x] ${label(item.title)}${evidence}${note} (${by}, ${formatDateTime(
        completion.completedAt,
      )})`,
    ];
  });
}

/**
 * A dossier to start from when requesting a promotion into an environment:
 * the test results list every completed validation checklist item on the
 * environments below it, with their evidence links.
 */
export function prefillDossier(
  flow: FlowState,
  environmentId: string,
  version: string,
): Dossier {
  const targetIndex = flow.environments.findIndex(
    s => s.environment.id === environmentId,
  );
  const below = targetIndex < 0 ? [] : flow.environments.slice(0, targetIndex);
  const sections = below.flatMap(state => {
    const lines = checklistLines(state);
    if (lines.length === 0) {
      return [];
    }
    const at = state.currentVersion ? ` (${state.currentVersion})` : '';
    return [`**${state.environment.title}${at}**\n\n${lines.join('\n')}`];
  });
  const target =
    flow.environments[targetIndex]?.environment.title ?? environmentId;
  const releaseNoteLinks = below.flatMap(state =>
    state.environment.checklist
      .filter(item => /release.?notes?/i.test(`${item.id} ${item.title}`))
      .map(item => validationCompletion(state, item)?.evidenceLink)
      .filter((link): link is string => !!link),
  );
  return {
    whatChanged: '',
    why: '',
    testResults:
      sections.length > 0
        ? sections.join('\n\n')
        : `No validation checklist item is completed yet below ${target}.`,
    releaseNotes:
      releaseNoteLinks.length > 0
        ? `Release notes for ${version}: ${releaseNoteLinks
            .map(link => `[release notes](${link})`)
            .join(', ')}`
        : '',
  };
}
