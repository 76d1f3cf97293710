import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { openApiDocument } from '../api/openapi';

/** Where the typed client's types live, committed so that scripts and tests typecheck without a build step. */
export const CLIENT_SCHEMA_PATH = 'api/client/schema.d.ts';

/**
 * The client's types as the current code would generate them: from the OpenAPI document built in
 * this process (the production one, which asks for an API key), not from a running server.
 */
export async function clientSchemaText(): Promise<string> {
  const document = openApiDocument({ authRequired: true });
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]);
  const header = COMMENT_HEADER.replace(
    ' */',
    ` * Generated from api/openapi.ts by \`npm run client:generate\`; \`npm run client:check\` fails when it is stale.\n */`,
  );
  return header + astToString(ast);
}
