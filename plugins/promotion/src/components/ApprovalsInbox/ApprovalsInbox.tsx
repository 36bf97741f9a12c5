import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { INBOX_CHANNEL } from '@promotion/plugin-promotion-common';
import { promotionApiRef } from '../../api';
import { useCurrentUser, useInbox, useLiveUpdates } from '../../hooks';
import { decisionBlockedReason } from '../../utils/decisions';
import { PromotionRequestCard } from '../PromotionRequestCard';
import { InboxItemFacts } from './InboxItemFacts';

/**
 * Every promotion request waiting for the signed-in approver, across all
 * flows, with links to the flows, what the approver needs to decide (the
 * rest of the gate, the sign-off, dependencies not there yet) and Approve /
 * Reject.
 *
 * @internal
 */
export function ApprovalsInbox() {
  const api = useApi(promotionApiRef);
  const { items, loading, error, retry } = useInbox();
  const { userEntityRef } = useCurrentUser();
  useLiveUpdates(INBOX_CHANNEL, retry);

  return (
    <InfoCard title="Waiting for you">
      {!items && loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {items?.length === 0 && (
        <Typography color="textSecondary">
          Nothing is waiting for your decision.
        </Typography>
      )}
      {items?.map(item => {
        const blocked = (decision: 'approve' | 'reject') =>
          decisionBlockedReason({
            decision,
            request: item.request,
            userEntityRef,
            serverReason: item.cannotDecideReason,
            // The backend already said whether the requester may decide.
            allowSelfApproval: true,
          });
        return (
          <Box key={item.request.id} mb={2}>
            <PromotionRequestCard
              request={item.request}
              environmentTitle={item.environmentTitle}
              approvals={item.approvals}
              requiredApprovals={item.requiredApprovals}
              showFlow
              details={<InboxItemFacts item={item} />}
              approveBlockedReason={blocked('approve')}
              rejectBlockedReason={blocked('reject')}
              onDecide={async (decision, comment) => {
                await api.decide(item.request.id, {
                  decision,
                  comment,
                  dossierHash: item.request.dossierHash,
                });
                retry();
              }}
            />
          </Box>
        );
      })}
    </InfoCard>
  );
}
