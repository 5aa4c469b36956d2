/**
 * Byte sizes as written in twinstack.yaml: a whole number of bytes, or a string
 * such as `16MiB`, `512KiB`, `1GB`, `1.5 GiB`, `4096`, `4096B`.
 * Decimal units (kB/KB, MB, GB, TB) are powers of 1000, binary ones (KiB, MiB,
 * GiB, TiB) powers of 1024; units are case-insensitive.
 */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s?([A-Za-z]*)$/;

/** Examples shown to someone who wrote a size that does not parse. */
export const BYTE_SIZE_EXAMPLES = '`16MiB`, `512KiB`, `1GB` or a whole number of bytes such as `16777216`';

/**
 * The number of bytes `value` stands for (rounded to a whole byte), or undefined
 * when it is not a size. Invariant: a defined result is a non-negative safe integer.
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = BYTE_SIZE.exec(value.trim());
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = unit === '' ? 1 : UNITS[unit.toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(amount) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `16 MiB`, `512 KiB`, `1.5 GiB`, `100 B`: the largest binary unit that keeps the amount ≥ 1. */
export function formatByteSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
  let amount = bytes;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit++;
  }
  return `${Number.isInteger(amount) ? amount : amount.toFixed(1)} ${units[unit]}`;
}
