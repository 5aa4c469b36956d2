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
