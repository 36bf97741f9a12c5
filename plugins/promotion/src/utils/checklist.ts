import type {
  ChecklistCompletion,
  ChecklistItemDefinition,
  EnvironmentState,
  PostDeploymentItemDefinition,
} from '@promotion/plugin-promotion-common';

/** The completion of a validation checklist item for the version standing in the environment. */
export function validationCompletion(
  state: EnvironmentState,
  item: ChecklistItemDefinition,
): ChecklistCompletion | undefined {
  return state.checklist.find(
    c =>
      c.itemId === item.id &&
      (item.scope === 'flow'
        ? true
        : !state.currentVersion || c.version === state.currentVersion),
  );
}

/** The completion of a post-deployment checklist item for the version standing in the environment. */
export function postDeploymentCompletion(
  state: EnvironmentState,
  item: PostDeploymentItemDefinition,
): ChecklistCompletion | undefined {
  return state.postDeployment.find(
    c =>
      c.itemId === item.id &&
      (!state.currentVersion || c.version === state.currentVersion),
  );
}
