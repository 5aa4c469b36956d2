/**
 * `npm run schema`: writes infra/config/twinstack.schema.json, the JSON Schema of
 * the INPUT side of twinstack.yaml (defaults optional), for editors
 * (`# yaml-language-server: $schema=…`). Commit the result; a unit test fails
 * when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildJsonSchema } from './twinstack-json-schema.ts';

const target = fileURLToPath(new URL('./twinstack.schema.json', import.meta.url));
writeFileSync(target, buildJsonSchema());
console.log(`wrote ${target}`);
