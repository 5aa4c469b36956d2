import { ConfigError } from '../../functions/core/errors.ts';

/** One problem found in twinstack.yaml: where, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Path in the document, e.g. `groups[0].primary.hosts[1].hostKey`; `(root)` for the document, `(file)` for I/O, `(yaml)` for syntax. */
  readonly path: string;
  /** What is wrong, e.g. `"1.2.3.4; rm -rf /" is not an IPv4 address or host name`. */
  readonly problem: string;
  /** How to fix it, as an instruction. */
  readonly fix: string;
  /** 1-based line in the source, when known. */
  readonly line?: number;
  /** 1-based column in the source, when known. */
  readonly column?: number;
}

/** Human-readable list of every issue, one per line: `source:line:col path — problem — fix`. */
export function formatConfigIssues(issues: readonly ConfigIssue[], source?: string): string {
  return issues
    .map((issue) => {
      const at = issue.line === undefined ? '' : `:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
      const where = source === undefined ? (at === '' ? '' : `line ${at.slice(1)} `) : `${source}${at} `;
      return `  ${where}${issue.path} — ${issue.problem} — fix: ${issue.fix}`;
    })
    .join('\n');
}

/**
 * twinstack.yaml (or its text) is unreadable, is not YAML, or does not match the
 * schema. Carries EVERY issue found, not only the first. Keeps the `ConfigError`
 * name so ASL `ErrorEquals: ["ConfigError"]` catches it.
 */
export class ConfigValidationError extends ConfigError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${source}: ${count}\n${formatConfigIssues(issues, source)}`, options);
    this.source = source;
    this.issues = issues;
  }
}
