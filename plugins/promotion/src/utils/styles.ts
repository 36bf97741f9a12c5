import type { CSSProperties } from 'react';

/**
 * Backstage's theme cuts the text of dense list items to one line
 * (`white-space: nowrap; overflow: hidden`). The plugin's dense lists carry
 * sentences that must be read whole: the gate's open conditions, checklist
 * items with who completed them and why a button is disabled, decision
 * comments, rollback reasons. Give their ListItemText this style. Inline, so
 * that it wins whatever order the style sheets are injected in.
 */
export const wrappingListItemText: CSSProperties = {
  whiteSpace: 'normal',
  overflowWrap: 'anywhere',
};
