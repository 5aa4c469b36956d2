import { z } from 'zod';
import { twinstackConfigSchema } from './twinstack-config.schema.ts';

/**
 * The text of twinstack.schema.json: draft-07 (what yaml-language-server
 * understands best), input side so settings with defaults are optional.
 * Cross-field rules (twin hosts = primary hosts, …) cannot be expressed here;
 * `twinstack validate` checks them.
 */
export function buildJsonSchema(): string {
  const schema = z.toJSONSchema(twinstackConfigSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' });
  const document = {
    ...schema,
    $id: 'https://github.com/twinstack/twinstack/infra/config/twinstack.schema.json',
    title: 'twinstack.yaml',
    description: 'Failover groups: a primary Docker stack, its twin in another region, their databases and the DNS name that follows the active stack.',
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
