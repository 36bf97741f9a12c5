import { resolvePackagePath } from '@backstage/backend-plugin-api';

/** The plugin's migrations (`migrations/` of the package). */
export const MIGRATIONS_DIR = resolvePackagePath(
  '@promotion/plugin-promotion-backend',
  'migrations',
);
