/** The signals channel the backend publishes a flow's changes on. */
export function flowChannel(entityRef: string): string {
  return `promotion:${entityRef}`;
}

/** The signals channel the backend publishes inbox changes on. */
export const INBOX_CHANNEL = 'promotion:inbox';
