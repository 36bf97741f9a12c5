import Box from '@material-ui/core/Box';
import Step from '@material-ui/core/Step';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import type {
  EnvironmentState,
  FlowState,
} from '@promotion/plugin-promotion-common';

/** The approval state of an environment in words, or undefined when it needs none. */
export function approvalStateText(state: EnvironmentState): string | undefined {
  const { approval } = state.environment;
  if (approval.mode === 'none') {
    return undefined;
  }
  if (approval.mode === 'every') {
    return 'Approval for every version';
  }
  const standing = state.standingApproval;
  if (standing && !standing.revokedAt) {
    return 'Standing approval';
  }
  if (standing?.revokedAt) {
    return 'Standing approval revoked';
  }
  return 'Needs a one-time approval';
}

/** @internal */
export interface PromotionLadderProps {
  flow: FlowState;
  /** The overview card's variant: labels under the steps. */
  compact?: boolean;
}

/**
 * The ladder as a stepper: each environment with the version standing in it,
 * its standing-approval state, and the step the newest version waits for.
 *
 * @internal
 */
export function PromotionLadder(props: PromotionLadderProps) {
  const { flow, compact } = props;
  const { nextGate } = flow;
  const nextIndex = nextGate
    ? flow.environments.findIndex(
        s => s.environment.id === nextGate.environmentId,
      )
    : -1;

  return (
    <Box component="section" aria-label="Ladder">
      <Stepper
        activeStep={nextIndex < 0 ? flow.environments.length : nextIndex}
        alternativeLabel
        style={compact ? { padding: 0 } : undefined}
      >
        {flow.environments.map((state, index) => {
          const approval = approvalStateText(state);
          const violation = !!state.currentDeployment?.violation;
          return (
            <Step
              key={state.environment.id}
              completed={!!state.currentVersion}
              aria-current={index === nextIndex ? 'step' : undefined}
            >
              <StepLabel
                error={violation}
                optional={
                  <Box display="flex" flexDirection="column">
                    <Typography variant="caption">
                      {state.currentVersion ?? 'Nothing deployed'}
                    </Typography>
                    {index === nextIndex && nextGate && (
                      <Typography variant="caption" color="primary">
                        Next: {nextGate.version}{' '}
                        {nextGate.open ? '(gate open)' : '(gate closed)'}
                      </Typography>
                    )}
                    {approval && (
                      <Typography variant="caption" color="textSecondary">
                        {approval}
                      </Typography>
                    )}
                    {violation && !compact && (
                      <Typography variant="caption" color="error">
                        Deployed through a closed gate
                      </Typography>
                    )}
                  </Box>
                }
              >
                {state.environment.title}
              </StepLabel>
            </Step>
          );
        })}
      </Stepper>
    </Box>
  );
}
