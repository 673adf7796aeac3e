// Writes before-issue-18.json: the REST API's OpenAPI document as it was before issue 18 moved the
// API into one file per operation. Run once, on the commit before that move (it was); never again,
// or the snapshot would follow the move instead of checking it:
//   node --import tsx test/api/openapi-snapshot/write-snapshot.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { restRoutes } from '../../../src/api/index.ts';
import { buildOpenApiDocument } from '../../../src/api/openapi.ts';

const document = buildOpenApiDocument(restRoutes, { version: 'snapshot' });
writeFileSync(
  fileURLToPath(new URL('before-issue-18.json', import.meta.url)),
  `${JSON.stringify(document, null, 2)}\n`,
);
