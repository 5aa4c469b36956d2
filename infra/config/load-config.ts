import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { TwinstackConfig } from '../../functions/core/model.ts';
import { ConfigValidationError, formatConfigIssues, type ConfigIssue } from './config-validation.error.ts';
import { convertZodIssue } from './to-config-issues.ts';
import { twinstackConfigSchema } from './twinstack-config.schema.ts';

export { ConfigValidationError, formatConfigIssues, type ConfigIssue };

/** Where `path` (or its nearest existing parent) starts in the YAML text, 1-based. */
function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line: number; column: number } | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return undefined;
}

/**
 * Parses and validates twinstack.yaml text. `source` names it in messages.
 * Throws ConfigValidationError carrying EVERY problem (YAML syntax errors, then
 * schema and cross-field problems), each with its line and column when known,
 * in source order.
 */
export function parseConfig(text: string, source: string): TwinstackConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error): ConfigIssue => {
      const at = error.linePos?.[0];
      return {
        path: '(yaml)',
        problem: `${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')} (${error.code})`,
        fix: 'correct the YAML syntax at this line (indentation, quoting, a missing ":" or a duplicated key)',
        ...(at ? { line: at.line, column: at.col } : {}),
      };
    });
    throw new ConfigValidationError(source, issues);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new ConfigValidationError(source, [{ path: '(yaml)', problem: cause instanceof Error ? cause.message : String(cause), fix: 'remove excessive aliases (*anchor) from the file' }], { cause });
  }

  const result = twinstackConfigSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap(convertZodIssue).map(({ issue, at }) => {
    const position = positionOf(doc, lines, at);
    return position ? { ...issue, ...position } : issue;
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new ConfigValidationError(source, issues, { cause: result.error });
}

/** Reads and validates the twinstack.yaml at `path`; an unreadable file is a ConfigValidationError too. */
export function loadConfig(path: string): TwinstackConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'the file does not exist' : `the file cannot be read (${code ?? String(cause)})`;
    throw new ConfigValidationError(path, [{ path: '(file)', problem, fix: 'check the path, or copy examples/twinstack.yaml to start' }], { cause });
  }
  return parseConfig(text, path);
}
