import type { z } from 'zod';
import type { ConfigIssue } from './config-validation.error.ts';
import { hintFor, suggestKey } from './config-field-hints.ts';
import { showValue } from '../../functions/core/config/setting-fields.ts';

type PathSegment = PropertyKey;

/** `groups[0].primary.hosts[1].hostKey` for `['groups', 0, 'primary', 'hosts', 1, 'hostKey']`; `(root)` for `[]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

/** The setting a path names: its last non-index segment (`dnsName` for `dns.name`), and the block it is in. */
function keyOf(path: readonly PathSegment[]): { key?: string; parent?: string } {
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (typeof segment !== 'string') continue;
    const parent = path[i - 1];
    const key = segment === 'name' && parent === 'dns' ? 'dnsName' : segment === 'mode' && parent === 'traffic' ? 'trafficMode' : segment;
    return { key, ...(typeof parent === 'string' ? { parent } : {}) };
  }
  return {};
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value} (${showValue(value)})`;
}

function expectedKind(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return `a ${expected}`;
  }
}

/**
 * Turns zod issues into ConfigIssues, one per problem: where (path), what is
 * wrong (naming the offending value) and how to fix it (from the issue's own
 * `params.fix`, else from the setting's hint). Parse with `reportInput: true`
 * so missing values can be told from wrong ones.
 */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue) => convertZodIssue(issue).map(({ issue: converted }) => converted));
}

/** One zod issue as ConfigIssues, each with the raw path (`at`) it is about, for locating it in the source. */
export function convertZodIssue(issue: z.core.$ZodIssue): { issue: ConfigIssue; at: PropertyKey[] }[] {
  const at = [...issue.path];
  const converted = ((): ConfigIssue[] => {
    const path = formatPath(issue.path);
    const { key, parent } = keyOf(issue.path);
    const hint = hintFor(key, parent);
    if (issue.code !== 'unrecognized_keys' && issue.code !== 'custom' && issue.input === undefined) {
      return [{ path, problem: `is missing (expected ${hint.expect})`, fix: hint.fix }];
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => {
          const suggestion = suggestKey(key);
          return {
            path: formatPath([...issue.path, key]),
            problem: `"${key}" is not a known setting here`,
            fix: suggestion !== undefined && suggestion !== key ? `did you mean "${suggestion}"? Otherwise remove it` : 'remove it (see infra/config/twinstack.schema.json for the settings allowed here)',
          };
        });
      case 'invalid_type':
        return [{ path, problem: `must be ${expectedKind(issue.expected)}, not ${kindOf(issue.input)}`, fix: hint.fix }];
      case 'invalid_value':
        return [{ path, problem: `${showValue(issue.input)} is not allowed: must be ${issue.values.map((v) => showValue(v)).join(' or ')}`, fix: hint.fix }];
      case 'too_small':
        if (issue.origin === 'array') return [{ path, problem: `must list at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`, fix: hint.fix }];
        return [{ path, problem: `${showValue(issue.input)} is too small (minimum ${String(issue.minimum)})`, fix: hint.fix }];
      case 'too_big':
        return [{ path, problem: `${showValue(issue.input)} is too large (maximum ${String(issue.maximum)})`, fix: hint.fix }];
      case 'invalid_union': {
        // A discriminated union (databases[]: `engine`) names the discriminator: report it at its own path.
        const discriminator = (issue as { discriminator?: unknown }).discriminator;
        if (typeof discriminator === 'string' && typeof issue.input === 'object' && issue.input !== null) {
          const value = (issue.input as Record<string, unknown>)[discriminator];
          const own = hintFor(discriminator);
          const problem = value === undefined ? `is missing (expected ${own.expect})` : `${showValue(value)} is not allowed: must be ${own.expect}`;
          const at = issue.path.at(-1) === discriminator ? issue.path : [...issue.path, discriminator];
          return [{ path: formatPath(at), problem, fix: own.fix }];
        }
        return [{ path, problem: `${showValue(issue.input)} is not ${hint.expect}`, fix: hint.fix }];
      }
      case 'custom': {
        const fix: unknown = issue.params?.['fix'];
        return [{ path, problem: issue.message, fix: typeof fix === 'string' ? fix : hint.fix }];
      }
      default:
        return [{ path, problem: issue.message, fix: hint.fix }];
    }
  })();
  if (issue.code === 'unrecognized_keys') return converted.map((one, i) => ({ issue: one, at: [...at, issue.keys[i] ?? ''] }));
  const discriminator = issue.code === 'invalid_union' ? (issue as { discriminator?: unknown }).discriminator : undefined;
  if (typeof discriminator === 'string' && at.at(-1) !== discriminator) return converted.map((one) => ({ issue: one, at: [...at, discriminator] }));
  return converted.map((one) => ({ issue: one, at }));
}
