import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import {
  flowChannel,
  PROMOTION_POLICY_ANNOTATION,
} from '@promotion/plugin-promotion-common';
import { useFlow, useLiveUpdates } from '../../hooks';
import { isPromotionAvailable } from '../../utils/isPromotionAvailable';
import { PromotionLadder } from '../PromotionLadder';

function NextStepSummary(props: { entityRef: string }) {
  const { flow, error, retry } = useFlow(props.entityRef);
  useLiveUpdates(flowChannel(props.entityRef), retry);

  if (!flow) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  const gate = flow.nextGate;
  const target = gate
    ? flow.environments.find(s => s.environment.id === gate.environmentId)
        ?.environment.title ?? gate.environmentId
    : undefined;
  const pending = flow.pendingRequests.filter(r => r.status === 'pending');
  const conditions = gate?.unmetConditions.length ?? 0;

  return (
    <>
      <PromotionLadder flow={flow} compact />
      {gate && (
        <Typography variant="body2">
          {gate.open
            ? `${gate.version} may go to ${target}.`
            : `${
                gate.version
              } cannot go to ${target} yet: ${conditions} open condition${
                conditions === 1 ? '' : 's'
              }.`}
        </Typography>
      )}
      {pending.length > 0 && (
        <Typography variant="body2" color="textSecondary">
          {pending.length} promotion request{pending.length === 1 ? '' : 's'}{' '}
          waiting for a decision.
        </Typography>
      )}
    </>
  );
}

/**
 * The overview card: the compact ladder and the next step in one line.
 *
 * @public
 */
export function EntityPromotionCard() {
  const { entity } = useEntity();
  if (!isPromotionAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={PROMOTION_POLICY_ANNOTATION} />
    );
  }
  return (
    <InfoCard title="Promotion">
      <NextStepSummary entityRef={stringifyEntityRef(entity)} />
    </InfoCard>
  );
}
