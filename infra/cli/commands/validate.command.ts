import type { Command } from 'commander';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { formatByteSize } from '../../../functions/core/config/byte-size.ts';
import { pluginFor } from '../../../functions/core/engines/engine-registry.ts';
import { formatLag } from '../../../functions/core/engines/lag-unit.ts';
import { ConfigValidationError, formatConfigIssues, loadConfig } from '../../config/load-config.ts';
import { EXIT, type CliIo } from '../cli-io.ts';

function maxLagOf(database: FailoverGroup['databases'][number]): string {
  const unit = pluginFor(database.engine).lagUnit;
  return unit === 'bytes' ? formatByteSize(database.replication.maxLag) : formatLag(database.replication.maxLag, unit);
}

/** Warnings for a valid group: databases whose engine is proven only against recorded outputs. */
export function groupWarnings(group: FailoverGroup): string[] {
  return group.databases
    .filter((d) => pluginFor(d.engine).tested === 'recorded')
    .map((d) => `warning: ${group.name}: database ${d.name}: the ${d.engine} engine is not yet tested against a live server (built and tested against recorded outputs only)`);
}

/** One line describing a valid group: DNS name, both stacks, databases, cool-down. */
export function summarizeGroup(group: FailoverGroup): string {
  const stack = (role: string, s: FailoverGroup['primary']) =>
    `${role} ${s.name} (${s.region}, ${s.hosts.length} host${s.hosts.length === 1 ? '' : 's'})`;
  const databases = group.databases.length === 0
    ? 'no databases'
    : `databases ${group.databases.map((d) => `${d.name} (${d.engine} ${d.replication.mode}, max lag ${maxLagOf(d)})`).join(', ')}`;
  return `${group.name}: ${group.dns.name} → ${stack('primary', group.primary)}, ${stack('twin', group.twin)}; ${databases}; cool-down ${group.failover.cooldownSeconds}s`;
}

/**
 * `twinstack validate <file>`: prints one summary line per group and returns 0,
 * or prints every problem (path — problem — fix) on stderr and returns 2.
 */
export function runValidate(file: string, io: CliIo): number {
  try {
    const config = loadConfig(file);
    for (const group of config.groups) {
      io.out(summarizeGroup(group));
      for (const warning of groupWarnings(group)) io.err(warning);
    }
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
