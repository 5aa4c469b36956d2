/**
 * The drill's network faults: iptables rules in the filter table's OUTPUT chain (on
 * one machine every loopback packet leaves through OUTPUT, so one rule cuts one
 * direction of a loopback path).
 *
 * Invariants: every rule carries the comment `twinstack-drill:<scenario>` (so a crashed
 * run's rules are found and removed by the next one: `removeStaleDrillRules`); every
 * rule added is also removed at exit, SIGINT or SIGTERM (process-registry.ts's sync
 * cleanup), and by `remove()` as soon as its fault ends; arguments are argv, never a shell.
 *
 * Backend: the Debian `iptables` binary here is iptables-nft (nf_tables); it drops
 * loopback traffic as expected in this container (checked with a listener on
 * 127.0.9.9 and a client bound to 127.0.9.8). iptables-legacy works too; the drill
 * uses whichever `iptables` the PATH gives.
 */
import { execFileSync } from 'node:child_process';
import { registerSyncCleanup } from '../lab/process-registry.ts';

export const DRILL_RULE_TAG = 'twinstack-drill';
const IPTABLES = 'iptables';
/** Waits at most this long for the xtables lock (other engineers' drills share the machine). */
const LOCK_WAIT_SECONDS = '5';

/** One OUTPUT rule, as data: what it matches and what it does. */
export interface DrillRule {
  /** The scenario that owns it (its comment: `twinstack-drill:<scenario>`). */
  readonly scenario: string;
  readonly destination: string;
  readonly protocol?: 'tcp';
  readonly destinationPort?: number;
  /** Only packets of sockets created by processes in this cgroup v2 path (relative to the cgroup2 root). */
  readonly cgroupPath?: string;
  /** DROP: packets vanish (a partition). REJECT: the sender gets a TCP reset at once (a cut). */
  readonly target: 'DROP' | 'REJECT';
}

/** Pure: the rule's match and target arguments (after `-I OUTPUT` / `-D OUTPUT`), in iptables' own order. */
export function ruleArguments(rule: DrillRule): string[] {
  if (!/^[a-z][a-z-]{0,40}$/.test(rule.scenario)) throw new Error(`scenario name "${rule.scenario}" is not a lowercase word (a-z and -)`);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(rule.destination)) throw new Error(`destination ${rule.destination} is not a loopback address (127.0.0.0/8)`);
  if (rule.destinationPort !== undefined && (!Number.isInteger(rule.destinationPort) || rule.destinationPort < 1 || rule.destinationPort > 65_535)) throw new Error(`destinationPort ${rule.destinationPort} is not a port`);
  if (rule.destinationPort !== undefined && rule.protocol !== 'tcp') throw new Error('a destinationPort needs protocol tcp');
  if (rule.cgroupPath !== undefined && !/^[a-z0-9][a-z0-9/_-]{0,100}$/.test(rule.cgroupPath)) throw new Error(`cgroup path ${rule.cgroupPath} is not a plain relative path`);
  return [
    '-d',
    `${rule.destination}/32`,
    ...(rule.protocol ? ['-p', rule.protocol] : []),
    ...(rule.cgroupPath ? ['-m', 'cgroup', '--path', rule.cgroupPath] : []),
    ...(rule.protocol && rule.destinationPort !== undefined ? ['-m', rule.protocol, '--dport', String(rule.destinationPort)] : []),
    '-m',
    'comment',
    '--comment',
    `${DRILL_RULE_TAG}:${rule.scenario}`,
    '-j',
    rule.target,
    ...(rule.target === 'REJECT' && rule.protocol === 'tcp' ? ['--reject-with', 'tcp-reset'] : []),
  ];
}

/**
 * Pure: from `iptables -S OUTPUT`, the argument lists that delete every rule tagged by a
 * drill (`-A OUTPUT …` becomes `-D OUTPUT …`). Quoted comments are unquoted.
 */
export function staleRuleDeletions(listing: string): string[][] {
  return listing
    .split('\n')
    .filter((line) => line.startsWith('-A OUTPUT ') && (line.includes(`--comment ${DRILL_RULE_TAG}:`) || line.includes(`--comment "${DRILL_RULE_TAG}:`)))
    .map((line) => ['-D', 'OUTPUT', ...splitRuleLine(line.slice('-A OUTPUT '.length))]);
}

function splitRuleLine(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function iptables(args: readonly string[]): string {
  return execFileSync(IPTABLES, ['-w', LOCK_WAIT_SECONDS, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** Why the drill cannot add rules here (not root, no iptables, no cgroup/comment match), or undefined when it can. */
export function iptablesProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'network faults need root (iptables)';
  try {
    iptables(['-S', 'OUTPUT']);
    return undefined;
  } catch (error) {
    return `iptables does not work here: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (install the iptables package: sh .ci/install-system-packages.sh)`;
  }
}

/** Removes every drill-tagged rule an earlier (crashed) run left; returns how many. */
export function removeStaleDrillRules(): number {
  const deletions = staleRuleDeletions(iptables(['-S', 'OUTPUT']));
  for (const args of deletions) iptables(args);
  return deletions.length;
}

/** A rule in place until `remove()` (idempotent) or the process ends. */
export interface InstalledRule {
  readonly rule: DrillRule;
  remove(): void;
}

export function addDrillRule(rule: DrillRule): InstalledRule {
  const args = ruleArguments(rule);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    unregister();
    try {
      iptables(['-D', 'OUTPUT', ...args]);
    } catch {
      // Already gone (a stale-rule sweep, or a second remove at exit).
    }
  };
  const unregister = registerSyncCleanup(remove);
  iptables(['-I', 'OUTPUT', ...args]);
  return { rule, remove };
}

/** Several rules as one fault: added together, removed together. */
export function addDrillRules(rules: readonly DrillRule[]): { remove(): void } {
  const installed: InstalledRule[] = [];
  try {
    for (const rule of rules) installed.push(addDrillRule(rule));
  } catch (error) {
    for (const r of installed) r.remove();
    throw error;
  }
  return { remove: () => installed.forEach((r) => r.remove()) };
}
