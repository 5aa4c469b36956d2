import { describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  fingerprintOfOpenSshPublicKey,
  fingerprintsEqual,
} from '../../../../functions/adapters/ssh/host-key-fingerprint.ts';
import { InvalidInputError } from '../../../../functions/core/errors.ts';

/** Generated with `ssh-keygen -t ed25519`; `ssh-keygen -lf` printed the fingerprint. */
const LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJgcs43F6SiAg1IXXC2aI7FvEk/L/ptY959Kvrdcuae test@lab';
const SSH_KEYGEN_FINGERPRINT = 'SHA256:WM4g73F5lkcYoSOmWNwy7mp35zEZ5EGpTyHehi7HRjI';

describe('host key fingerprints', () => {
  it('matches ssh-keygen -lf for an OpenSSH public key line', () => {
    // Act
    const fingerprint = fingerprintOfOpenSshPublicKey(LINE);

    // Assess
    expect(fingerprint).toBe(SSH_KEYGEN_FINGERPRINT);
  });

  it('fingerprints the raw key blob the same way', () => {
    // Prepare
    const blob = Buffer.from(LINE.split(' ')[1]!, 'base64');

    // Act
    const fingerprint = fingerprintOf(blob);

    // Assess
    expect(fingerprint).toBe(SSH_KEYGEN_FINGERPRINT);
  });

  it.each([
    ['an empty line', ''],
    ['a line without key data', 'ssh-ed25519'],
    ['data that is not base64', 'ssh-ed25519 !!!notbase64'],
    ['a blob of another key type', LINE.replace('ssh-ed25519', 'ssh-rsa')],
  ])('rejects %s with InvalidInputError', (_case, line) => {
    // Act / Assess
    expect(() => fingerprintOfOpenSshPublicKey(line)).toThrow(InvalidInputError);
  });

  it.each([
    [SSH_KEYGEN_FINGERPRINT, SSH_KEYGEN_FINGERPRINT, true],
    [SSH_KEYGEN_FINGERPRINT, SSH_KEYGEN_FINGERPRINT.replace('WM4', 'WM5'), false],
    [SSH_KEYGEN_FINGERPRINT, '', false],
  ])('compares %s and %s as equal=%s', (a, b, expected) => {
    // Act / Assess
    expect(fingerprintsEqual(a, b)).toBe(expected);
  });
});
