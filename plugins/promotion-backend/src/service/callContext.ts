import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import type { Request } from 'express';
import { AuditContext } from '../database/PromotionStore';

/** Who is calling, and the HTTP request the auditor service describes. */
export interface CallContext {
  credentials: BackstageCredentials;
  request?: Request;
}

/** The actor recorded for changes the plugin makes on its own (request expiry). */
export const SYSTEM_ACTOR = 'service:plugin:promotion';

/** Who did it: the user entity ref, or `service:<subject>` for a pipeline. */
export function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as
    | { type: 'user'; userEntityRef: string }
    | { type: 'service'; subject: string }
    | { type: 'none' };
  if (principal.type === 'user') {
    return principal.userEntityRef;
  }
  if (principal.type === 'service') {
    return `service:${principal.subject}`;
  }
  throw new NotAllowedError('This action needs an authenticated caller');
}

/** Whether the caller is a service principal: a pipeline with a static token. */
export function isPipeline(credentials: BackstageCredentials): boolean {
  return (credentials.principal as { type?: string }).type === 'service';
}

/** What the caller's change carries into the audit trail: who, and when. */
export function auditContextOf(ctx: CallContext, now: Date): AuditContext {
  return { actor: actorOf(ctx.credentials), now };
}
