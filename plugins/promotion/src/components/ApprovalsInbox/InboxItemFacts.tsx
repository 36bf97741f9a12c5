import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type { InboxItem } from '@promotion/plugin-promotion-common';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';
import { Actor } from '../Actor';
import { ConditionText } from '../ConditionText';

/**
 * What an approver needs to decide a request without opening its flow: the
 * rest of the gate (the approval left out), the previous environment's
 * sign-off of the version, and the `dependsOn` flows not in the environment
 * yet.
 *
 * @internal
 */
export function InboxItemFacts(props: { item: InboxItem }) {
  const { item } = props;
  const { request, gate, previousSignOff } = item;
  const subject = `${request.version} into ${item.environmentTitle}`;

  return (
    <Box component="section" aria-label={`Before you decide on ${subject}`}>
      {gate.openOnceApproved ? (
        <Alert severity="success">
          Nothing else stands in the way: once approved, {request.version} may
          go to {item.environmentTitle}.
        </Alert>
      ) : (
        <Alert severity="warning">
          Even once approved, {request.version} cannot go to{' '}
          {item.environmentTitle} yet:
          <List dense disablePadding aria-label="Other open conditions">
            {gate.otherConditions.map((condition, index) => (
              <ListItem key={`${condition.code}-${index}`} disableGutters>
                <ListItemText
                  style={wrappingListItemText}
                  primary={<ConditionText condition={condition} />}
                />
              </ListItem>
            ))}
          </List>
        </Alert>
      )}

      {previousSignOff &&
        (previousSignOff.signOffs.length > 0 || previousSignOff.required) && (
          <Box mt={1} component="section" aria-label="Sign-off">
            {previousSignOff.signOffs.length === 0 ? (
              <Typography variant="body2">
                {previousSignOff.environmentTitle} is not signed off for{' '}
                {request.version} yet.
              </Typography>
            ) : (
              previousSignOff.signOffs.map(signOff => (
                <Box key={signOff.id}>
                  <Typography variant="body2">
                    {previousSignOff.environmentTitle} signed off by{' '}
                    <Actor entityRef={signOff.signedOffBy} /> on{' '}
                    {formatDateTime(signOff.signedOffAt)}:
                  </Typography>
                  <Typography variant="body2" component="blockquote">
                    “{signOff.comment}”
                  </Typography>
                </Box>
              ))
            )}
          </Box>
        )}

      {item.dependencyWarnings
        // A dependency the gate requires is among its conditions already.
        .filter(
          warning =>
            !gate.otherConditions.some(
              c =>
                c.dependencyRef?.toLocaleLowerCase('en-US') ===
                warning.entityRef.toLocaleLowerCase('en-US'),
            ),
        )
        .map(warning => (
          <Box mt={1} key={warning.entityRef}>
            <Alert severity="warning">
              <EntityRefLink entityRef={warning.entityRef} />, which this flow
              depends on, has no version in {item.environmentTitle} yet.
            </Alert>
          </Box>
        ))}
    </Box>
  );
}
