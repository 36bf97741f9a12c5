import {
  AuthService,
  LoggerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { PromotionConfig } from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../database/PromotionStore';
import { PromotionAuthorizer } from '../permissions/PromotionAuthorizer';
import { AfterCommit } from './afterCommit';
import { DisplayNames } from './displayNames';
import { FlowResolver } from './flows/FlowResolver';

/**
 * What the parts of the service layer share, built once by PromotionService;
 * each part takes only the pieces it uses.
 */
export interface ServiceParts {
  store: PromotionStore;
  config: PromotionConfig;
  auth: AuthService;
  userInfo: UserInfoService;
  authorizer: PromotionAuthorizer;
  flows: FlowResolver;
  afterCommit: AfterCommit;
  /** The names people read for the people the gate's sentences mention. */
  displayNames: DisplayNames;
  logger: LoggerService;
  /** The clock; tests may fix it. */
  now: () => Date;
}
