/**
 * OpenSSH host key fingerprints (`SHA256:<base64 of sha256(key blob), no padding>`),
 * the form `ssh-keygen -lf` prints and `Host.hostKey` pins.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../../core/errors.ts';

const PINNED_FORM = /^SHA256:[A-Za-z0-9+/]{43}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Fingerprint of a public key blob in SSH wire format (what the server presents during key exchange). */
export function fingerprintOf(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`, as in
 * `/etc/ssh/ssh_host_ed25519_key.pub`). The blob's embedded type must equal the line's type.
 */
export function fingerprintOfOpenSshPublicKey(line: string): string {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data || !BASE64.test(data)) throw new InvalidInputError('not an OpenSSH public key line');
  const blob = Buffer.from(data, 'base64');
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (typeLength < 0 || blob.length < 4 + typeLength || blob.toString('latin1', 4, 4 + typeLength) !== type) {
    throw new InvalidInputError(`OpenSSH public key blob does not hold a ${type} key`);
  }
  return fingerprintOf(blob);
}

/** True when `value` has the pinned form `SHA256:` + 43 base64 characters. */
export function isPinnedFingerprint(value: string): boolean {
  return PINNED_FORM.test(value);
}

/** Constant-time comparison of two fingerprints (hashes first, so lengths never leak or throw). */
export function fingerprintsEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a).digest();
  const digestB = createHash('sha256').update(b).digest();
  return timingSafeEqual(digestA, digestB);
}
