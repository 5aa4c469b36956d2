import { describe, expect, it } from 'vitest';
import { UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import {
  formatMysqlGtidSet,
  gtidDiff,
  mariadbErrantGtids,
  missingTransactions,
  mysqlErrantGtids,
  parseMariadbGtidPos,
  parseMysqlGtidSet,
  subtractMysqlGtidSets,
  unionMysqlGtidSets,
} from '../../../../../functions/core/engines/mysql/gtid-set.ts';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '2174b383-5441-11e8-b90a-c80aa9429562';

describe('missingTransactions', () => {
  it.each([
    { dialect: 'mariadb', to: '0-1-10', from: '0-1-10', expected: 0 },
    { dialect: 'mariadb', to: '0-1-10', from: '0-1-7', expected: 3 },
    { dialect: 'mariadb', to: '0-1-10', from: '', expected: 10 },
    { dialect: 'mariadb', to: '0-1-10,1-5-4', from: '0-1-8', expected: 6 },
    { dialect: 'mariadb', to: '0-2-12', from: '0-1-10', expected: 2 },
    { dialect: 'mariadb', to: '0-1-7', from: '0-1-10', expected: 0 },
    { dialect: 'mariadb', to: ' 0-1-10 , 1-5-4 ', from: '1-5-4,0-1-10', expected: 0 },
    { dialect: 'mysql', to: `${A}:1-10`, from: `${A}:1-7`, expected: 3 },
    { dialect: 'mysql', to: `${A}:1-10`, from: `${A}:1-3:5-10`, expected: 1 },
    { dialect: 'mysql', to: `${A}:1-10,\n${B}:1-4`, from: `${A}:1-10`, expected: 4 },
    { dialect: 'mysql', to: `${A.toUpperCase()}:1-5:7-9`, from: '', expected: 8 },
    { dialect: 'mysql', to: '', from: `${A}:1-5`, expected: 0 },
  ] as const)('$dialect: $to has $expected that $from lacks', ({ dialect, to, from, expected }) => {
    // Act
    const n = missingTransactions(dialect, to, from);

    // Assess
    expect(n).toBe(expected);
  });
});

describe('gtidDiff', () => {
  it.each([
    { dialect: 'mariadb', to: '0-1-10', from: '0-1-7', expected: 3 },
    { dialect: 'mariadb', to: '0-1-7', from: '0-1-10', expected: -3 },
    { dialect: 'mariadb', to: '0-1-7', from: '0-1-7', expected: 0 },
    { dialect: 'mysql', to: `${A}:1-5`, from: `${A}:1-5,${B}:1-2`, expected: -2 },
  ] as const)('$dialect: $from is $expected behind $to', ({ dialect, to, from, expected }) => {
    expect(gtidDiff(dialect, to, from)).toBe(expected);
  });
});

describe('GTID parsing', () => {
  it.each([
    { dialect: 'mariadb', text: '0-1' },
    { dialect: 'mariadb', text: '0-1-2,0-2-3' },
    { dialect: 'mariadb', text: 'x-1-2' },
    { dialect: 'mariadb', text: `${A}:1-5` },
    { dialect: 'mysql', text: '0-1-5' },
    { dialect: 'mysql', text: `${A}:5-3` },
    { dialect: 'mysql', text: `${A}:0-3` },
    { dialect: 'mysql', text: `${A}` },
    { dialect: 'mysql', text: 'not-a-uuid:1-3' },
  ] as const)('refuses malformed $dialect text $text', ({ dialect, text }) => {
    expect(() => (dialect === 'mysql' ? parseMysqlGtidSet(text) : parseMariadbGtidPos(text))).toThrow(UnexpectedOutputError);
  });

  it('merges, unions and subtracts MySQL sets exactly', () => {
    // Prepare
    const a = parseMysqlGtidSet(`${A}:1-3:4-6:9,${B}:2`);
    const b = parseMysqlGtidSet(`${A}:2-5`);

    // Act / Assess
    expect(formatMysqlGtidSet(a)).toBe(`${B}:2,${A}:1-6:9`);
    expect(formatMysqlGtidSet(subtractMysqlGtidSets(a, b))).toBe(`${B}:2,${A}:1:6:9`);
    expect(formatMysqlGtidSet(unionMysqlGtidSets(b, parseMysqlGtidSet(`${A}:6-8`)))).toBe(`${A}:2-8`);
  });
});

describe('errant GTIDs', () => {
  it.each([
    { state: '0-1-10', slavePos: '0-1-10', own: 2, expected: [] },
    { state: '0-1-10,0-2-11', slavePos: '0-1-10', own: 2, expected: ['0-2-11'] },
    { state: '0-2-11,0-1-12', slavePos: '0-1-12', own: 2, expected: [] },
    { state: '0-1-10,5-2-1', slavePos: '0-1-10', own: 2, expected: ['5-2-1'] },
    { state: '', slavePos: '0-1-3', own: 2, expected: [] },
  ])('MariaDB: binlog state $state, applied $slavePos, own id $own → $expected', ({ state, slavePos, own, expected }) => {
    expect(mariadbErrantGtids(state, slavePos, own)).toEqual(expected);
  });

  it.each([
    { executed: `${A}:1-10`, own: B, expected: [] },
    { executed: `${A}:1-10,${B}:1-2`, own: B, expected: [`${B}:1-2`] },
    { executed: `${A}:1-10,${B.toUpperCase()}:3`, own: B, expected: [`${B}:3`] },
  ])('MySQL: executed $executed, own uuid → $expected', ({ executed, own, expected }) => {
    expect(mysqlErrantGtids(executed, own)).toEqual(expected);
  });
});
