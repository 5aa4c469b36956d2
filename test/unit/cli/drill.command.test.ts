import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { registerDrillCommand } from '../../../infra/cli/commands/drill.command.ts';
import { runCli } from '../../../infra/cli/program.ts';
import { addDrillOptions, DEFAULT_ENGINES, drillModeOf, drillOptionsProblem, parseWriteCount, type DrillCliOptions } from '../../../infra/local/drill/drill-cli.ts';

async function drill(...args: string[]): Promise<{ code: number | undefined; ran: DrillCliOptions[]; err: string[] }> {
  const ran: DrillCliOptions[] = [];
  const err: string[] = [];
  const io: CliIo = { out: () => undefined, err: (l) => err.push(l) };
  let code: number | undefined;
  const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t.trimEnd()), writeOut: () => undefined });
  registerDrillCommand(program, io, (c) => (code = c), { run: (o) => Promise.resolve((ran.push(o), 0)) });
  try {
    await program.parseAsync(['node', 'twinstack', 'drill', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = 2;
  }
  return { code, ran, err };
}

describe('twinstack drill', () => {
  it('takes the same options as npm run drill (one definition) and runs with them', async () => {
    const standalone = addDrillOptions(new Command('drill')).parse(['--mode', 'async', '--writes-before', '50', '--json'], { from: 'user' }).opts();
    const { code, ran } = await drill('--mode', 'async', '--writes-before', '50', '--json');
    expect(code).toBe(0);
    expect(ran).toEqual([standalone]);
    expect(ran[0]).toMatchObject({ mode: 'async', writesBefore: 50, writesAfter: 100, json: true, engines: [...DEFAULT_ENGINES], reportDir: 'drill-report', scenario: 'kill-primary' });
  });

  it('--scenario names what goes wrong; the mode defaults to the scenario\'s own, else sync', async () => {
    // Act
    const partition = await drill('--scenario', 'partition');
    const lagging = await drill('--scenario', 'lagging-replica', '--engines', 'postgres');
    // Assess
    expect(partition).toMatchObject({ code: 0, ran: [{ scenario: 'partition' }] });
    expect(drillModeOf(partition.ran[0]!)).toBe('sync');
    expect(lagging.ran[0]).toMatchObject({ scenario: 'lagging-replica', engines: ['postgres'] });
    expect(drillModeOf(lagging.ran[0]!)).toBe('async');
    expect(drillOptionsProblem({ scenario: 'flapping', mode: 'async' })).toBeUndefined();
  });

  it('an unknown scenario, or lagging-replica in sync mode: the reason, exit 2, nothing run', async () => {
    // Act
    const unknown = await drill('--scenario', 'meteor');
    const sync = await drill('--scenario', 'lagging-replica', '--mode', 'sync');
    // Assess
    expect(unknown).toMatchObject({ code: 2, ran: [] });
    expect(unknown.err.join('\n')).toMatch(/--scenario <name>' argument 'meteor' is invalid[\s\S]*kill-primary, partition/);
    expect(sync).toMatchObject({ code: 2, ran: [] });
    expect(sync.err.join('\n')).toMatch(/--scenario lagging-replica needs --mode async/);
  });

  it('--clone: off by default, on with the flag, with every scenario (one definition for both front ends)', async () => {
    // Act
    const plain = await drill();
    const cloned = await drill('--clone', '--engines', 'postgres');
    const withScenario = await drill('--clone', '--scenario', 'switchover-and-back');
    const standalone = addDrillOptions(new Command('drill')).parse(['--clone'], { from: 'user' }).opts();
    // Assess
    expect(plain.ran[0]).toMatchObject({ clone: false });
    expect(cloned).toMatchObject({ code: 0, ran: [{ clone: true, engines: ['postgres'] }] });
    expect(withScenario).toMatchObject({ code: 0, ran: [{ clone: true, scenario: 'switchover-and-back' }] });
    expect(standalone).toMatchObject({ clone: true });
  });

  it('--clone with a relative --lab-root: the reason naming the fix, exit 2, nothing run', async () => {
    // Act
    const relative = await drill('--clone', '--lab-root', 'lab');
    // Assess
    expect(relative).toMatchObject({ code: 2, ran: [] });
    expect(relative.err.join('\n')).toMatch(/--clone needs an absolute --lab-root \(got "lab"\): e\.g\. --lab-root \//);
    expect(drillOptionsProblem({ scenario: 'kill-primary', clone: false, labRoot: 'lab' })).toBeUndefined();
    expect(drillOptionsProblem({ scenario: 'kill-primary', clone: true, labRoot: '/var/tmp/twinstack-lab' })).toBeUndefined();
  });

  it('bad input: the reason, exit 2, nothing run', async () => {
    for (const args of [['--engines', 'oracle'], ['--mode', 'semi'], ['--writes-after', '0'], ['--writes-before', '1e3']]) {
      const { code, ran, err } = await drill(...args);
      expect(code).toBe(2);
      expect(ran).toEqual([]);
      expect(err.join('\n')).toMatch(/error: option|invalid/i);
    }
    expect(() => parseWriteCount('12x')).toThrow(/not an integer from 1 to 100000/);
  });

  it('--help has an example and the exit codes', async () => {
    const out: string[] = [];
    let code: number | undefined;
    await runCli(['node', 'twinstack', 'drill', '--help'], { out: (l) => out.push(l), err: () => undefined }, (c) => (code = c));
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/--scenario <name>[\s\S]*--engines <list>[\s\S]*Examples:\n {2}npx twinstack drill[\s\S]*--scenario partition[\s\S]*Scenarios: kill-primary \(default\)[\s\S]*Exit codes: 0 the scenario's property held/);
  });
});
