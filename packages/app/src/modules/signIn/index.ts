import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

/** The local demo sign-in page (DemoSignInPage) as the app's sign-in page. */
const demoSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => {
      const { DemoSignInPage } = await import('./DemoSignInPage');
      return DemoSignInPage;
    },
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [demoSignInPage],
});
