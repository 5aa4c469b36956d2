import type { Command } from 'commander';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { formatByteSize } from '../../config/byte-size.ts';
import { ConfigValidationError, formatConfigIssues, loadConfig } from '../../config/load-config.ts';
import { EXIT, type CliIo } from '../cli-io.ts';

/** One line describing a valid group: DNS name, both stacks, databases, cool-down. */
export function summarizeGroup(group: FailoverGroup): string {
  const stack = (role: string, s: FailoverGroup['primary']) =>
    `${role} ${s.name} (${s.region}, ${s.hosts.length} host${s.hosts.length === 1 ? '' : 's'})`;
  const databases = group.databases.length === 0
    ? 'no databases'
    : `databases ${group.databases.map((d) => `${d.name} (${d.engine} ${d.replication.mode}, max lag ${formatByteSize(d.replication.maxLagBytes)})`).join(', ')}`;
  return `${group.name}: ${group.dns.name} → ${stack('primary', group.primary)}, ${stack('twin', group.twin)}; ${databases}; cool-down ${group.failover.cooldownSeconds}s`;
}

/**
 * `twinstack validate <file>`: prints one summary line per group and returns 0,
 * or prints every problem (path — problem — fix) on stderr and returns 2.
 */
export function runValidate(file: string, io: CliIo): number {
  try {
    const config = loadConfig(file);
    for (const group of config.groups) io.out(summarizeGroup(group));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
    io.err(`${file}: ${count}`);
    io.err(formatConfigIssues(error.issues, file));
    return EXIT.invalidInput;
  }
}

export function registerValidateCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('check a twinstack.yaml and report every problem with its fix')
    .argument('<file>', 'path of the twinstack.yaml to check')
    .action((file: string) => {
      setExitCode(runValidate(file, io));
    });
}
