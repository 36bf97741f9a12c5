import { AnyApiFactory } from '@backstage/core-plugin-api';

// The Promotion client is registered by its plugin (promotionPlugin's apis).
export const apis: AnyApiFactory[] = [];
