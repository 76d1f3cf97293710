/**
 * `npm run client:generate` writes the typed client's types (api/client/schema.d.ts) from the
 * OpenAPI document the code builds; `npm run client:check` (the same with --check) exits 1 when
 * the committed file differs, so a change to the API's schemas cannot leave its callers typed
 * against the old shapes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CLIENT_SCHEMA_PATH, clientSchemaText } from './client-schema';

async function main() {
  const check = process.argv.includes('--check');
  const generated = await clientSchemaText();
  const committed = await readFile(CLIENT_SCHEMA_PATH, 'utf8').catch(() => undefined);
  if (!check) {
    if (committed === generated) return console.log(`${CLIENT_SCHEMA_PATH} is up to date`);
    await writeFile(CLIENT_SCHEMA_PATH, generated);
    return console.log(`wrote ${CLIENT_SCHEMA_PATH}`);
  }
  if (committed === generated) return console.log(`${CLIENT_SCHEMA_PATH} matches the OpenAPI document`);
  console.error(
    `${CLIENT_SCHEMA_PATH} is out of date with the OpenAPI document (api/openapi.ts): run npm run client:generate and commit it`,
  );
  process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
