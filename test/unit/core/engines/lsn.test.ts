import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../functions/core/errors.ts';
import { isLsn, lsnDiff, parseLsn } from '../../../../functions/core/engines/postgres/lsn.ts';

describe('lsnDiff', () => {
  it.each([
    { to: '0/3000148', from: '0/3000148', bytes: 0 },
    { to: '0/3000148', from: '0/3000000', bytes: 0x148 },
    { to: '0/3000000', from: '0/3000148', bytes: -0x148 },
    { to: '1/0', from: '0/FFFFFFFF', bytes: 1 },
    { to: '16/B374D848', from: '16/B3740000', bytes: 0xd848 },
    { to: 'a/1', from: 'A/0', bytes: 1 },
    { to: 'FFFFFFFF/FFFFFFFF', from: 'FFFFFFFF/FFFFFF00', bytes: 0xff },
    { to: '2/0', from: '0/0', bytes: 2 * 2 ** 32 },
  ])('bytes from $from to $to = $bytes', ({ to, from, bytes }) => {
    // Act
    const diff = lsnDiff(to, from);

    // Assess
    expect(diff).toBe(bytes);
  });

  it('keeps precision beyond 2^53 before subtracting', () => {
    // Prepare: both positions are far above Number.MAX_SAFE_INTEGER
    const to = 'FFFFFFFF/00000001';
    const from = 'FFFFFFFF/00000000';

    // Act / Assess
    expect(parseLsn(to) - parseLsn(from)).toBe(1n);
    expect(lsnDiff(to, from)).toBe(1);
  });

  it.each(['', '0', '0/', '/0', '0/3000148 ', 'G/0', '1/2/3', '123456789/0', '-1/0', '0x1/0'])('rejects %j', (bad) => {
    // Act / Assess
    expect(isLsn(bad)).toBe(false);
    expect(() => lsnDiff(bad, '0/0')).toThrow(InvalidInputError);
    expect(() => lsnDiff('0/0', bad)).toThrow(InvalidInputError);
  });
});
