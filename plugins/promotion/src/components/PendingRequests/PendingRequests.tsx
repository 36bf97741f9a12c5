import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type {
  FlowPermissions,
  FlowState,
} from '@promotion/plugin-promotion-common';
import { promotionApiRef } from '../../api';
import {
  approvalProgress,
  decisionBlockedReason,
  deniedReason,
  isDenied,
  sameEntityRef,
} from '../../utils/decisions';
import { PromotionRequestCard } from '../PromotionRequestCard';

/** @internal */
export interface PendingRequestsProps {
  flow: FlowState;
  permissions?: FlowPermissions;
  userEntityRef?: string;
  onChange: () => void;
}

/**
 * The flow's pending promotion requests, with approval progress and the
 * controls the signed-in user may use. Controls the permission policy denies
 * are left out (the tab's notice says who may use them); the requester sees
 * Approve and Reject disabled, with one reason for both.
 *
 * @internal
 */
export function PendingRequests(props: PendingRequestsProps) {
  const { flow, permissions, userEntityRef, onChange } = props;
  const api = useApi(promotionApiRef);
  const pending = flow.pendingRequests.filter(r => r.status === 'pending');

  return (
    <InfoCard title="Pending requests">
      {pending.length === 0 && (
        <Typography color="textSecondary">
          No promotion request is waiting for a decision.
        </Typography>
      )}
      {pending.map(request => {
        const environment = flow.environments.find(
          s => s.environment.id === request.environmentId,
        )?.environment;
        const rule = environment?.approval ?? {
          minApprovers: 1,
          allowSelfApproval: false,
        };
        const { approvals, required } = approvalProgress(request, rule);
        const blocked = (decision: 'approve' | 'reject') =>
          decisionBlockedReason({
            decision,
            request,
            userEntityRef,
            permission: permissions?.approve ?? {
              allowed: false,
              reason: 'Checking what you may do…',
            },
            allowSelfApproval: rule.allowSelfApproval,
          });
        const isRequester = sameEntityRef(request.requestedBy, userEntityRef);
        // The requester is told why; anyone else the policy does not let decide sees no buttons.
        const decisionsHidden =
          isDenied(permissions?.approve) &&
          !(isRequester && !rule.allowSelfApproval);
        return (
          <Box key={request.id} mb={2}>
            <PromotionRequestCard
              request={request}
              environmentTitle={environment?.title ?? request.environmentId}
              approvals={approvals}
              requiredApprovals={required}
              approveBlockedReason={blocked('approve')}
              rejectBlockedReason={blocked('reject')}
              decisionsHidden={decisionsHidden}
              onDecide={async (decision, comment) => {
                await api.decide(request.id, {
                  decision,
                  comment,
                  dossierHash: request.dossierHash,
                });
                onChange();
              }}
              requesterActions={
                isRequester && !isDenied(permissions?.request)
                  ? {
                      blockedReason: deniedReason(
                        permissions?.request,
                        'You may not change promotion requests on this flow.',
                      ),
                      onEdit: async dossier => {
                        await api.editRequest(request.id, {
                          dossier,
                          revision: request.revision,
                        });
                        onChange();
                      },
                      onWithdraw: async reason => {
                        await api.withdrawRequest(request.id, {
                          reason: reason || undefined,
                        });
                        onChange();
                      },
                    }
                  : undefined
              }
            />
          </Box>
        );
      })}
    </InfoCard>
  );
}
