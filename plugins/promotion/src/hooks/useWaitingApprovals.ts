import { INBOX_CHANNEL } from '@promotion/plugin-promotion-common';
import { isExpired } from '../utils/decisions';
import { useDeadlineClock } from './useDeadlineClock';
import { useInbox } from './useInbox';
import { useLiveUpdates } from './useLiveUpdates';

/**
 * How many promotion requests wait for the signed-in user's decision: the
 * inbox's requests they may decide and whose deadline has not passed. Kept
 * current on the inbox's signals (or by polling without them), and at each
 * request's deadline. Undefined until known, or when the inbox cannot be read.
 */
export function useWaitingApprovals(): { count?: number } {
  const { items, error, retry } = useInbox();
  useLiveUpdates(INBOX_CHANNEL, retry);
  const now = useDeadlineClock(
    items?.map(item => item.request.expiresAt) ?? [],
  );
  if (error || !items) {
    return {};
  }
  return {
    count: items.filter(
      item => !item.cannotDecideReason && !isExpired(item.request, now),
    ).length,
  };
}
