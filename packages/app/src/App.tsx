import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

/*
 * The example portal on the new frontend system, as `@backstage/create-app`
 * generates it: the plugins (Promotion among them) are discovered from this
 * package's dependencies (`app.packages: all` in app-config.yaml), so
 * installing Promotion is adding `@promotion/plugin-promotion` to
 * package.json. The two modules are the portal's own: its sidebar and the
 * local demo sign-in.
 */
export default createApp({
  features: [catalogPlugin, navModule, signInModule],
});
