/**
 * Writes provider/plugin/schema.json from package-schema.ts (`npm run pulumi:schema`, or
 * `npx ts-node --transpile-only provider/plugin/write-schema.ts`). The file is committed so SDK
 * generators and readers have the schema without running the plugin; schema.test.ts fails when
 * it is out of date. It is laid out as the repository's prettier settings lay out JSON, so
 * `npm run format:check` agrees with it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as prettier from 'prettier';
import { schemaText } from './package-schema';

/** Where the committed schema lives. */
export const SCHEMA_FILE = path.join(__dirname, 'schema.json');

/** The text schema.json should hold: the schema, formatted by prettier. */
export async function formattedSchema(): Promise<string> {
  const config = (await prettier.resolveConfig(SCHEMA_FILE)) ?? {};
  return prettier.format(schemaText(), { ...config, filepath: SCHEMA_FILE });
}

if (require.main === module) {
  formattedSchema().then(
    (text) => {
      fs.writeFileSync(SCHEMA_FILE, text);
      process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`write-schema: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
