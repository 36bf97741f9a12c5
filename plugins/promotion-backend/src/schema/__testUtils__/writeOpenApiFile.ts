import fs from 'node:fs';
import { OPENAPI_FILE, renderOpenApiFile } from './openApiFile';

/* Run by `yarn generate:openapi`: rewrites src/schema/openapi.yaml from the contract. */

fs.writeFileSync(OPENAPI_FILE, renderOpenApiFile());
process.stdout.write(`Wrote ${OPENAPI_FILE}\n`);
