import {
  CatalogEntityPermission,
  RESOURCE_TYPE_CATALOG_ENTITY,
} from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Promotion's permissions. All but `promotionAuditReadPermission` are scoped to
 * the flow's catalog entity, so catalog conditions such as IS_ENTITY_OWNER apply.
 */
const entityPermission = (
  name: string,
  action: 'read' | 'create' | 'update' | 'delete',
): CatalogEntityPermission =>
  createPermission({
    name,
    attributes: { action },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/** See a flow's ladder, gate, checklists, requests and history. */
export const promotionReadPermission = entityPermission(
  'promotion.flow.read',
  'read',
);
/** Record a deployment (pipelines, or a person on their behalf). */
export const promotionDeploymentRecordPermission = entityPermission(
  'promotion.deployment.record',
  'create',
);
/** Complete or undo validation and post-deployment checklist items. */
export const promotionChecklistCompletePermission = entityPermission(
  'promotion.checklist.complete',
  'update',
);
/** Sign off an environment's results. */
export const promotionSignOffPermission = entityPermission(
  'promotion.sign-off.create',
  'create',
);
/** Create, edit and withdraw promotion requests. */
export const promotionRequestPermission = entityPermission(
  'promotion.request.create',
  'create',
);
/** Approve or reject promotion requests. */
export const promotionApprovePermission = entityPermission(
  'promotion.request.decide',
  'update',
);
/** Revoke a standing approval. */
export const promotionRevokePermission = entityPermission(
  'promotion.standing-approval.revoke',
  'delete',
);
/** Record a rollback. */
export const promotionRollbackPermission = entityPermission(
  'promotion.rollback.create',
  'create',
);
/** Read the whole audit trail, its verification and the verification report. */
export const promotionAuditReadPermission = createPermission({
  name: 'promotion.audit.read',
  attributes: { action: 'read' },
});

export const promotionPermissions = [
  promotionReadPermission,
  promotionDeploymentRecordPermission,
  promotionChecklistCompletePermission,
  promotionSignOffPermission,
  promotionRequestPermission,
  promotionApprovePermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionAuditReadPermission,
];
