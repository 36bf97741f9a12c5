import {
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';
import type {
  FlowPermissions,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';
import { Fragment, ReactNode } from 'react';
import { isDenied } from '../../utils/decisions';
import { errorMessage } from '../../utils/errors';

type Action = keyof Omit<FlowPermissions, 'readAudit'>;

/** What each action is called: what the user can do, and the doing of it. */
const WORDS: Record<Action, { can: string; doing: string }> = {
  recordDeployment: { can: 'deploy', doing: 'deploying' },
  completeChecklist: {
    can: 'complete checklists',
    doing: 'completing checklists',
  },
  signOff: { can: 'sign off', doing: 'signing off' },
  request: { can: 'request promotion', doing: 'requesting promotion' },
  rollback: { can: 'record rollbacks', doing: 'recording rollbacks' },
  approve: {
    can: 'approve or reject promotion requests',
    doing: 'approving or rejecting promotion requests',
  },
  revoke: {
    can: 'revoke standing approvals',
    doing: 'revoking standing approvals',
  },
};

/** The flow's own work, for its owners in the usual permission policy. */
const OWNER_ACTIONS: Action[] = [
  'recordDeployment',
  'completeChecklist',
  'signOff',
  'request',
  'rollback',
];
/** The approvers' work. */
const APPROVER_ACTIONS: Action[] = ['approve', 'revoke'];

/** `a`, `a and b`, `a, b and c`. */
function joined(words: string[]): string {
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function capitalised(text: string): string {
  return text.charAt(0).toLocaleUpperCase('en-US') + text.slice(1);
}

/** The flow's owners: its ownedBy relations, or spec.owner. */
function ownersOf(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length > 0) {
    return related;
  }
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) {
    return [];
  }
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}

function People(props: { entityRefs: string[] }) {
  return (
    <>
      {props.entityRefs.map((ref, index) => (
        <Fragment key={ref}>
          {index > 0 &&
            (index === props.entityRefs.length - 1 ? ' and ' : ', ')}
          <EntityRefLink entityRef={ref} defaultKind="group" />
        </Fragment>
      ))}
    </>
  );
}

/** "X is for …" or "X and Y are for …", naming who when known. */
function forWhom(doing: string[], who: string, refs: string[]): ReactNode {
  return (
    <>
      {capitalised(joined(doing))} {doing.length === 1 ? 'is' : 'are'} for {who}
      {refs.length > 0 && (
        <>
          {' ('}
          <People entityRefs={refs} />)
        </>
      )}
      .
    </>
  );
}

/**
 * One short notice at the top of the Promotion tab when the permission
 * policy keeps some actions from the user: what they can do, and who does
 * the rest. The controls for those actions are left out of the tab.
 *
 * @internal
 */
export function FlowPermissionsNotice(props: {
  entity: Entity;
  policy: PromotionPolicy;
  permissions?: FlowPermissions;
  /** Why the permissions could not be read. */
  error?: Error;
}) {
  const { entity, policy, permissions, error } = props;
  if (error) {
    return (
      <Box mb={2}>
        <Alert severity="warning" role="note" aria-label="What you may do">
          Could not find out what you may do on this flow ({errorMessage(error)}
          ), so its actions are hidden. Reload the page to try again.
        </Alert>
      </Box>
    );
  }
  if (!permissions) {
    return null;
  }
  const approvers = [
    ...new Set(
      policy.environments
        .filter(e => e.approval.mode !== 'none')
        .flatMap(e => e.approval.approvers),
    ),
  ];
  // Approving is no action at all where no environment needs an approval.
  const actions = [
    ...OWNER_ACTIONS,
    ...(approvers.length > 0 ? APPROVER_ACTIONS : []),
  ];
  const denied = actions.filter(action => isDenied(permissions[action]));
  if (denied.length === 0) {
    return null;
  }
  const allowed = actions.filter(action => !denied.includes(action));
  const ownerDenied = OWNER_ACTIONS.filter(a => denied.includes(a));
  const approverDenied = APPROVER_ACTIONS.filter(a => denied.includes(a));

  return (
    <Box mb={2}>
      <Alert severity="info" role="note" aria-label="What you may do">
        You can {joined(['read this flow', ...allowed.map(a => WORDS[a].can)])}.
        {ownerDenied.length > 0 && (
          <>
            {' '}
            {forWhom(
              ownerDenied.map(a => WORDS[a].doing),
              "the flow's owners",
              ownersOf(entity),
            )}
          </>
        )}
        {approverDenied.length > 0 && (
          <>
            {' '}
            {forWhom(
              approverDenied.map(a => WORDS[a].doing),
              'its approvers',
              approvers,
            )}
          </>
        )}
      </Alert>
    </Box>
  );
}
