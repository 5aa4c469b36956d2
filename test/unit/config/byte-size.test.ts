import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from '../../../functions/core/config/byte-size.ts';

describe('parseByteSize', () => {
  it.each([
    [0, 0],
    [4096, 4096],
    ['4096', 4096],
    ['4096B', 4096],
    ['512KiB', 524_288],
    ['16MiB', 16_777_216],
    ['16 MiB', 16_777_216],
    ['16mib', 16_777_216],
    ['1GiB', 1_073_741_824],
    ['1GB', 1_000_000_000],
    ['1kB', 1000],
    ['2MB', 2_000_000],
    ['1.5KiB', 1536],
    ['1TiB', 1_099_511_627_776],
  ])('reads %j as %d bytes', (input, bytes) => {
    // Prepare / Act
    const parsed = parseByteSize(input);
    // Assess
    expect(parsed).toBe(bytes);
  });

  it.each([-1, 1.5, Number.NaN, Infinity, '', 'MiB', '16 parsecs', '-16MiB', '16MiB; rm -rf /', '1e3', '16 M iB', '99999999999PiB'])(
    'refuses %j',
    (input) => {
      // Prepare / Act
      const parsed = parseByteSize(input);
      // Assess
      expect(parsed).toBeUndefined();
    },
  );
});

describe('formatByteSize', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [16_777_216, '16 MiB'],
    [1_610_612_736, '1.5 GiB'],
  ])('writes %d as %s', (bytes, text) => {
    // Prepare / Act / Assess
    expect(formatByteSize(bytes)).toBe(text);
  });
});
