/*
 * The example portal's backend. The Promotion lines are the ones the README
 * tells a platform team to add.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// auth: the local demo sign-in lists the example users (development only)
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('./modules/demoSignIn'));

// catalog
backend.add(import('@backstage/plugin-catalog-backend'));

// permissions, with the example policy for Promotion
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./modules/permissionPolicy'));

// notifications and signals
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// Promotion
backend.add(import('@promotion/plugin-promotion-backend'));

backend.start();
