/**
 * The value patterns of twinstack.yaml. Every value may end up in a remote
 * command, so each pattern admits no whitespace, quote or shell metacharacter
 * (the one exception, `deploy.command`, is a shell command by design and is only
 * held to a single non-empty line). Quoting in core is the second fence.
 */

/** Group, stack, host and database names: `shop`, `shop-eu`, `web1`, `db_main`. */
export const IDENTIFIER = /^[a-z][a-z0-9_-]{0,62}$/;

/** PostgreSQL role and database names (unquoted SQL identifiers, lower case). */
export const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** POSIX login names such as `ubuntu`, `ec2-user`, `twinstack`. */
export const LOGIN_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** One RFC 1123 label: letters, digits and inner hyphens, 1–63 characters. */
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** OpenSSH SHA256 fingerprint as printed by `ssh-keygen -lf`: 32 bytes, base64 without padding. */
export const HOST_KEY_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** AWS region (`eu-west-1`, `us-gov-west-1`) or `local` for the local runtime. */
export const REGION = /^(local|[a-z]{2}(-[a-z]+)+-\d{1,2})$/;

/** Route 53 hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`. */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** Absolute path made of safe characters only. */
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/** True for an RFC 1123 host name (not an IPv4 address, which has an all-numeric last label). */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** True for an IPv4 address or an RFC 1123 host name. */
export function isAddress(value: string): boolean {
  return IPV4.test(value) || isHostName(value);
}

/**
 * Why `value` is not an acceptable absolute path, or undefined when it is.
 * Accepted: starts with `/`, only `A-Za-z0-9._/-`, not `/` itself, no `..`
 * segment, no empty segment (`//`) and no trailing slash (engines append
 * suffixes such as `<dataDir>.log`).
 */
export function absolutePathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return 'is not an absolute path (it must start with /)';
  if (value === '/') return 'is the root directory';
  if (!SAFE_PATH.test(value)) return 'contains characters other than letters, digits, ".", "_", "-" and "/" (whitespace and shell metacharacters are refused)';
  if (value.split('/').includes('..')) return 'contains a ".." segment';
  if (value.includes('//')) return 'contains an empty segment ("//")';
  if (value.endsWith('/')) return 'ends with "/"';
  return undefined;
}

/**
 * Why `value` is not an acceptable health URL, or undefined when it is:
 * an http(s) URL with a host, no credentials, no whitespace, quotes, `$`, backquotes or backslashes.
 */
export function healthUrlProblem(value: string): string | undefined {
  if (/[\s'"`$\\<>{}|^]/.test(value)) return 'contains whitespace, quotes or shell metacharacters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `uses ${url.protocol.replace(/:$/, '')}, not http or https`;
  if (url.username !== '' || url.password !== '') return 'contains credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isAddress(host)) return 'has a host that is neither an IPv4 address nor a host name';
  return undefined;
}

/**
 * Repository path as the providers name it: `owner/name` (GitHub), `workspace/repo`
 * (Bitbucket), `group/subgroup/project` (GitLab): 2–10 segments of letters, digits,
 * ".", "_", "-", none starting with "." or "-".
 */
export const REPOSITORY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){1,9}$/;

/**
 * Why `value` is not an acceptable branch name, or undefined when it is.
 * git check-ref-format rules (no "..", no "//", no component starting with ".",
 * no ".lock" ending, no "@{", not "@") restricted to `A-Za-z0-9._/-` (no shell
 * metacharacters, no whitespace) and not starting with "-" (never an option).
 */
export function branchNameProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 255) return 'is not 1 to 255 characters long';
  if (!/^[A-Za-z0-9._/-]+$/.test(value)) return 'contains characters other than letters, digits, ".", "_", "-" and "/" (whitespace and shell metacharacters are refused)';
  if (value.startsWith('-')) return 'starts with "-"';
  if (value.startsWith('/') || value.endsWith('/') || value.includes('//')) return 'has an empty component (leading, trailing or double "/")';
  if (value.includes('..')) return 'contains ".."';
  if (value.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'has a component that starts with "." or ends with ".lock"';
  if (value.endsWith('.')) return 'ends with "."';
  if (value.startsWith('refs/')) return 'is a full ref: give the branch name only (e.g. `main`, not `refs/heads/main`)';
  return undefined;
}

/** Characters a git URL may hold: none of them is a shell metacharacter. */
const GIT_URL_CHARS = /^[A-Za-z0-9._~/:@+-]+$/;
/** scp-like `user@host:path` (git@github.com:owner/repo.git). */
const SCP_LIKE = /^([a-z_][a-z0-9_-]{0,31})@([^:/]+):([^/].*)$/;

/**
 * Why `value` is not an acceptable git URL, or undefined when it is. Accepted:
 * `https://host[:port]/path` (no user or password: credentials never live in config),
 * `ssh://[user@]host[:port]/path` (no password), and scp-like `user@host:path`.
 * No whitespace or shell metacharacters, no leading "-", no `..` segment.
 */
export function gitUrlProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 500) return 'is not 1 to 500 characters long';
  if (!GIT_URL_CHARS.test(value)) return 'contains whitespace, quotes or shell metacharacters';
  if (value.startsWith('-')) return 'starts with "-"';
  if (value.split(/[/:]/).includes('..')) return 'contains a ".." segment';
  if (value.includes('://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol === 'file:') {
      // A mirror on the hosts' own disk (the local drill uses one): an absolute local path only.
      if (url.host !== '') return 'names a host in a file URL (use file:///absolute/path)';
      return url.pathname.length <= 1 ? 'has no repository path' : absolutePathProblem(url.pathname);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'ssh:') return `uses ${url.protocol.replace(/:$/, '')}, not https, ssh or file`;
    if (url.password !== '') return 'contains credentials (a password)';
    if (url.protocol === 'https:' && url.username !== '') return 'contains credentials (a user name in an https URL)';
    if (url.protocol === 'ssh:' && url.username !== '' && !/^[a-z_][a-z0-9_-]{0,31}$/.test(url.username)) return 'has an invalid ssh user name';
    if (!isAddress(url.hostname)) return 'has a host that is neither an IPv4 address nor a host name';
    if (url.pathname.length <= 1) return 'has no repository path';
    if (url.search !== '' || url.hash !== '') return 'has a query or fragment';
    return undefined;
  }
  const scp = SCP_LIKE.exec(value);
  if (!scp) return 'is not an https://, ssh:// or user@host:path URL';
  if (!isAddress(scp[2] ?? '')) return 'has a host that is neither an IPv4 address nor a host name';
  if ((scp[3] ?? '').startsWith('-')) return 'has a path starting with "-"';
  return undefined;
}

/** A path inside the checkout: relative, no `..`, no shell metacharacters. */
export function relativePathProblem(value: string): string | undefined {
  if (!/^[A-Za-z0-9_./-]{1,200}$/.test(value)) return 'must be a relative path of letters, digits, ".", "_", "-" and "/"';
  if (value.startsWith('/') || value.startsWith('-') || value.split('/').includes('..')) return 'must stay inside the checkout (relative, no "..", not starting with "-")';
  return undefined;
}

/** SNS topic ARN in any partition: `arn:aws:sns:eu-central-1:123456789012:ops-alerts`. */
export const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** Why `value` is not a health-check path (Route 53 ResourcePath), or undefined when it is. */
export function healthCheckPathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return `does not start with "/" (write "/${value}")`;
  if (value.length > 255) return 'is longer than 255 characters';
  if (/[\s'"`$\\<>{}|^]/.test(value)) return 'contains whitespace, quotes or shell metacharacters';
  return undefined;
}

/** Why `value` is not an e-mail address SNS can subscribe, or undefined when it is. */
export function emailProblem(value: string): string | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || /[\s<>(),;:"[\]]/.test(value) || !isHostName(value.slice(at + 1)) || !value.slice(at + 1).includes('.')) {
    return 'is not an e-mail address (name@example.com)';
  }
  return undefined;
}

/** Why `value` is not an HTTPS endpoint SNS can post to, or undefined when it is. */
export function notificationUrlProblem(value: string): string | undefined {
  const problem = healthUrlProblem(value);
  if (problem !== undefined) return problem;
  return new URL(value).protocol === 'https:' ? undefined : 'is not https (SNS would send alerts in clear text)';
}
