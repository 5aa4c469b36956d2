/**
 * The drill's scenarios by name: what each one proves (the `property` sentence its
 * summary carries) and what it needs. Pure data, loaded by the command line (for
 * `--help` and validation) without the lab; the implementations are in
 * `<name>.scenario.ts`, loaded only when a drill runs (scenario-registry.ts).
 */
export const SCENARIO_NAMES = ['kill-primary', 'partition', 'lagging-replica', 'flapping', 'duplicate-alarm', 'ssh-drop', 'switchover-and-back', 'rejoin'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export const DEFAULT_SCENARIO: ScenarioName = 'kill-primary';
export type ScenarioWorkflow = 'failover' | 'switchover' | 'rejoin';

export interface ScenarioSpec {
  readonly name: ScenarioName;
  /** The sentence that must hold; `passed` says whether it did. */
  readonly property: string;
  /** A replication mode the scenario only makes sense in (else either). */
  readonly mode?: 'sync' | 'async';
  /** It cuts network paths with iptables (needs root and a working iptables). */
  readonly networkFaults: boolean;
  /** Workflows it runs besides replicate (file stems of statemachines/). */
  readonly workflows: readonly ScenarioWorkflow[];
}

export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioSpec>> = {
  'kill-primary': {
    name: 'kill-primary',
    property: 'after the primary dies the failover succeeds, DNS moves to the twin, and no acknowledged write is lost (async: none beyond the loss the decision reported) or duplicated',
    networkFaults: false,
    workflows: ['failover'],
  },
  partition: {
    name: 'partition',
    property: 'while the two stacks cannot reach each other and the old primary still has clients, no sampled instant has two writable primaries receiving traffic through the group\'s name',
    networkFaults: true,
    workflows: ['failover'],
  },
  'lagging-replica': {
    name: 'lagging-replica',
    property: 'with replication held back beyond maxLag, the automatic failover is refused with the reason; a forced one then reports a loss that matches the acknowledged writes the twin lacks',
    mode: 'async',
    networkFaults: true,
    workflows: ['failover'],
  },
  flapping: {
    name: 'flapping',
    property: 'while the primary\'s health goes down and up repeatedly, at most one failover happens in the cool-down window',
    networkFaults: true,
    workflows: ['failover'],
  },
  'duplicate-alarm': {
    name: 'duplicate-alarm',
    property: 'two alarms at once start exactly one failover: one execution promotes, the other promotes nothing',
    networkFaults: false,
    workflows: ['failover'],
  },
  'ssh-drop': {
    name: 'ssh-drop',
    property: 'when the SSH connection to the twin\'s host is cut during promotion, the step\'s retry is a no-op (already promoted): no second promotion, nothing lost',
    networkFaults: true,
    workflows: ['failover'],
  },
  'switchover-and-back': {
    name: 'switchover-and-back',
    property: 'a switchover to the twin and back loses no acknowledged write either way and leaves DNS where it began',
    networkFaults: false,
    workflows: ['switchover'],
  },
  rejoin: {
    name: 'rejoin',
    property: 'after a failover the old primary rejoins as the twin\'s replica and a switchover brings traffic back to it with nothing lost',
    networkFaults: false,
    workflows: ['failover', 'rejoin', 'switchover'],
  },
};

/** Why `mode` cannot run `scenario` (a sentence naming the fix), or undefined. */
export function scenarioModeProblem(scenario: ScenarioName, mode: 'sync' | 'async'): string | undefined {
  const required = SCENARIOS[scenario].mode;
  if (required === undefined || required === mode) return undefined;
  return `--scenario ${scenario} needs --mode ${required} (held-back replication only lags an asynchronous replica; a synchronous one blocks the writes instead)`;
}
