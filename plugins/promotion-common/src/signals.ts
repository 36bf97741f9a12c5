/*
 * The signal channels the backend publishes on and the frontend subscribes
 * to, with the message each carries: declared here once so both ends agree.
 */

/** The signal channel of one flow; open Promotion tabs of it refresh. */
export function flowChannel(entityRef: string): string {
  return `promotion:${entityRef}`;
}

/** The signal channel of the approvals inbox. */
export const INBOX_CHANNEL = 'promotion:inbox';

/**
 * The message of a signal on a flow's channel or on the inbox channel: the
 * flow that changed. The signal only says "refresh"; screens read the new
 * state through the API.
 */
export type PromotionSignal = {
  /** The flow's entity ref. */
  entityRef: string;
};
