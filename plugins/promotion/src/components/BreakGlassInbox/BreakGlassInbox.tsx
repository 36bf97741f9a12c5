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
import { useBreakGlassInbox, useLiveUpdates } from '../../hooks';
import { BreakGlassCard } from './BreakGlassCard';

/**
 * The break-glass declarations waiting for the signed-in approver, across
 * all flows: to approve or reject, and retrospective reviews to close.
 * Shows nothing when none waits.
 *
 * @internal
 */
export function BreakGlassInbox() {
  const api = useApi(promotionApiRef);
  const { items, loading, error, retry } = useBreakGlassInbox();
  useLiveUpdates(INBOX_CHANNEL, retry);

  if (items?.length === 0) {
    return null;
  }
  return (
    <InfoCard title="Break-glass">
      {!items && loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {items && (
        <Typography variant="body2" color="textSecondary" paragraph>
          Emergency deployments past a closed gate: approve or reject a
          declaration, and close the retrospective review of one that was used.
        </Typography>
      )}
      {items?.map(item => (
        <Box key={item.breakGlass.id} mb={2}>
          <BreakGlassCard
            breakGlass={item.breakGlass}
            environmentTitle={item.environmentTitle}
            showFlow
            blockedReason={item.cannotActReason}
            onDecide={async (decision, comment) => {
              await api.decideBreakGlass(
                item.breakGlass.entityRef,
                item.breakGlass.id,
                { decision, comment },
              );
              retry();
            }}
            onCloseReview={async comment => {
              await api.closeBreakGlassReview(
                item.breakGlass.entityRef,
                item.breakGlass.id,
                { comment },
              );
              retry();
            }}
          />
        </Box>
      ))}
    </InfoCard>
  );
}
