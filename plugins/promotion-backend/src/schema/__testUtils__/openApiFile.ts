import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { buildOpenApiDocument } from '../openApiDocument';

/*
 * The committed copy of the OpenAPI document, `src/schema/openapi.yaml`: what
 * reviewers and API clients read. A test keeps it equal to what
 * `buildOpenApiDocument` generates from the contract (the equivalent of
 * `backstage-repo-tools repo schema openapi verify`);
 * `yarn generate:openapi` in this package rewrites it.
 */

export const OPENAPI_FILE = path.resolve(__dirname, '..', 'openapi.yaml');

const HEADER = [
  '# The OpenAPI 3.1 document of the Promotion REST API, served at',
  '# /api/promotion/openapi.json. Generated from the contract in',
  '# @promotion/plugin-promotion-common (promotionApiOperations and its zod',
  '# schemas): do not edit, change the schemas and run',
  '# `yarn generate:openapi` in plugins/promotion-backend.',
  '',
].join('\n');

/** The file's content as the contract generates it. */
export function renderOpenApiFile(): string {
  return `${HEADER}${stringify(buildOpenApiDocument(), {
    lineWidth: 0,
    aliasDuplicateObjects: false,
  })}`;
}

/** The committed document, parsed. */
export function readOpenApiFile(): unknown {
  return parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
}
