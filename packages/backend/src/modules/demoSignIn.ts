import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, InputError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** The header the local sign-in page sends with the chosen example user. */
export const DEMO_USER_HEADER = 'x-promotion-demo-user';

/**
 * Local demo sign-in for the example portal: the sign-in page lists the
 * example users and signs in as the one picked, so a requester and an
 * approver can both be played from one browser.
 *
 * It only works while `auth.environment` is `development` (the default of
 * app-config.yaml); app-config.production.yaml sets `production`, where every
 * sign-in through this provider is refused. The user must exist in the catalog.
 */
export const demoAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { userName: string }) => ({
    profile: { displayName: result.userName },
  }),
  initialize({ config }) {
    return { config };
  },
  async authenticate({ req }) {
    const userName = req.header(DEMO_USER_HEADER);
    if (!userName || !/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(userName)) {
      throw new InputError(
        `Demo sign-in needs the ${DEMO_USER_HEADER} header naming an example user`,
      );
    }
    return { result: { userName } };
  },
});

export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'promotion-demo-sign-in',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ providers, config }) {
        const environment =
          config.getOptionalString('auth.environment') ?? 'development';
        providers.registerProvider({
          providerId: 'demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            async signInResolver({ result }, ctx) {
              if (environment !== 'development') {
                throw new NotAllowedError(
                  'Demo sign-in is only available when auth.environment is "development"',
                );
              }
              return ctx.signInWithCatalogUser({
                entityRef: { name: result.userName },
              });
            },
          }),
        });
      },
    });
  },
});
