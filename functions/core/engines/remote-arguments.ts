/**
 * Defensive validation of every value an engine sends to a host, shared by every
 * engine (one definition of each rule).
 *
 * The config schema validated these already; engines check again so that a value
 * reaching a script can never carry shell, SQL or URL syntax: every accepted value
 * is free of whitespace, quotes, `$`, backslashes and `;`. Values travel as
 * positional parameters (`sh -c '<fixed script>' sh <args…>`), never interpolated
 * into a script. Anything odd throws InvalidInputError.
 */
import { InvalidInputError } from '../errors.ts';

/** Unquoted SQL identifiers (roles, databases, users): letters, digits and `_`. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9_./-]*$/;

export function reject(what: string, value: unknown): never {
  throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(String(value).slice(0, 80))}`);
}

/** A role, user or database name that needs no quoting anywhere (letters, digits, `_`). */
export function checkIdentifier(what: string, value: string): string {
  if (!IDENTIFIER.test(value)) reject(what, value);
  return value;
}

export function checkIpv4(what: string, value: string): string {
  if (!IPV4.test(value)) reject(what, value);
  return value;
}

/** An IPv4 address or a DNS host name. */
export function checkHostAddress(what: string, value: string): string {
  if (!IPV4.test(value) && !HOSTNAME.test(value)) reject(what, value);
  return value;
}

export function checkPort(value: number): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535) reject('port', value);
  return String(value);
}

/** An absolute path of safe characters, without `.`/`..` segments, not `/` itself. */
export function checkAbsolutePath(what: string, value: string): string {
  if (!ABSOLUTE_PATH.test(value) || value === '/' || value.endsWith('/')) reject(what, value);
  if (value.split('/').some((segment, i) => i > 0 && (segment === '' || segment === '.' || segment === '..'))) reject(what, value);
  return value;
}

/** A data directory that may be emptied: absolute, not `/`, at least two levels deep (`/a/b`). */
export function checkRemovableDataDir(value: string): string {
  checkAbsolutePath('data directory', value);
  if (value.split('/').length < 3) throw new InvalidInputError(`refusing to empty a data directory less than two levels deep: ${value}`);
  return value;
}
