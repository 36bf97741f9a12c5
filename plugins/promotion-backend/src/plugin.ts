import {
  coreServices,
  createBackendPlugin,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  promotionPermissions,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { AuditKeyring } from './audit/auditKeyring';
import { DatabasePromotionStore } from './database/DatabasePromotionStore';
import { PromotionNotifier } from './notifications/PromotionNotifier';
import { CatalogDisplayNames } from './service/displayNames';
import { DEFAULT_CATALOG_CACHE_TTL_MS } from './service/flows/FlowResolver';
import { PromotionService } from './service/PromotionService';
import { createRouter } from './service/router';

/**
 * Promotion: release governance for the catalog's flows.
 *
 * @public
 */
export const promotionPlugin = createBackendPlugin({
  pluginId: 'promotion',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        notifications: notificationService,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        signals: signalsServiceRef,
        userInfo: coreServices.userInfo,
      },
      async init({
        auditor,
        auth,
        catalog,
        config,
        database,
        httpAuth,
        httpRouter,
        logger,
        notifications,
        permissions,
        permissionsRegistry,
        scheduler,
        signals,
        userInfo,
      }) {
        // A bad configuration stops the start-up with a message naming the key.
        const promotionConfig = readPromotionConfig(
          config.getOptional('promotion') ?? {},
        );
        permissionsRegistry.addPermissions(promotionPermissions);

        // The key of the audit chain; a start-up error in production without one.
        const keyring = AuditKeyring.fromConfig(config, { logger });
        const store = await DatabasePromotionStore.create({
          database,
          keyring,
        });
        // Notifications and the gate's sentences name people as the catalog does.
        // Flows' entities and people's names are reused for a few seconds.
        const catalogCacheTtl = catalogCacheTtlMs(config);
        const displayNames = new CatalogDisplayNames({
          catalog,
          auth,
          logger,
          ttlMs: catalogCacheTtl,
        });
        const service = PromotionService.create({
          store,
          config: promotionConfig,
          catalog,
          auth,
          permissions,
          userInfo,
          auditor,
          notifier: new PromotionNotifier({
            notifications,
            signals,
            logger,
            displayNames,
          }),
          displayNames,
          logger,
          catalogCacheTtlMs: catalogCacheTtl,
          // The report's evidence opens the flow's page in the portal.
          reportLinks: {
            appBaseUrl: config.getOptionalString('app.baseUrl'),
            flowPageUrl: config.getOptionalString(
              'promotion.report.flowPageUrl',
            ),
          },
        });

        await scheduler.scheduleTask({
          id: 'promotion-expire-requests',
          // Every minute: a request expires (and its approvers' notification
          // says so) within a minute of its deadline. The UI and the views
          // show it expired from the deadline on regardless.
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            const expired = await service.expireRequests();
            if (expired > 0) {
              logger.info(`Expired ${expired} promotion request(s)`);
            }
          },
        });
        await scheduler.scheduleTask({
          id: 'promotion-remind-approvers',
          // Every minute: a reminder goes out within a minute of its time.
          frequency: { minutes: 1 },
          timeout: { minutes: 5 },
          scope: 'global',
          fn: async () => {
            const reminded = await service.remindApprovers();
            if (reminded > 0) {
              logger.info(
                `Reminded the approvers of ${reminded} promotion request(s)`,
              );
            }
          },
        });

        if (catalogCacheTtl > 0) {
          await scheduler.scheduleTask({
            id: 'promotion-refresh-flow-entities',
            // Every half time to live, on each instance (its own cache): the
            // flows' entities are read a page at a time, before the last
            // read expires, so reads do not wait on the catalog per flow.
            frequency: { milliseconds: Math.max(catalogCacheTtl / 2, 1000) },
            timeout: { minutes: 5 },
            scope: 'local',
            fn: async () => {
              try {
                const read = await service.refreshFlowEntities();
                logger.debug(`Read ${read} flow entities from the catalog`);
              } catch (error) {
                // Reads fall back to one catalog lookup per flow meanwhile.
                logger.warn(
                  `Could not read the flows' entities from the catalog: ${error}`,
                );
              }
            },
          });
        }

        await scheduler.scheduleTask({
          id: 'promotion-audit-checkpoint',
          frequency: { hours: 1 },
          timeout: { minutes: 5 },
          scope: 'global',
          fn: async () => {
            const checkpoint = await service.createScheduledAuditCheckpoint();
            logger.info(
              `Signed audit checkpoint ${checkpoint.id} of ${checkpoint.flows} flow chain(s), digest ${checkpoint.digest}`,
            );
          },
        });

        httpRouter.use(await createRouter({ httpAuth, logger, service }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        httpRouter.addAuthPolicy({
          path: '/openapi.json',
          allow: 'unauthenticated',
        });
      },
    });
  },
});

/**
 * `promotion.catalogCacheSeconds`: how long a flow's catalog entity is
 * reused before the catalog is asked again (60 by default, 0: every time).
 */
function catalogCacheTtlMs(config: RootConfigService): number {
  const seconds = config.getOptionalNumber('promotion.catalogCacheSeconds');
  if (seconds === undefined) {
    return DEFAULT_CATALOG_CACHE_TTL_MS;
  }
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `promotion.catalogCacheSeconds: must be a number of seconds, 0 or more (got ${seconds})`,
    );
  }
  return seconds * 1000;
}
