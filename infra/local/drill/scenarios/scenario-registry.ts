/** The scenario implementations by name (each in its own file), loaded when a drill runs. */
import type { DrillScenario } from './drill-scenario.ts';
import type { ScenarioName } from './scenario-catalog.ts';

export async function loadScenario(name: ScenarioName): Promise<DrillScenario> {
  switch (name) {
    case 'kill-primary':
      return (await import('./kill-primary.scenario.ts')).killPrimaryScenario;
    case 'partition':
      return (await import('./partition.scenario.ts')).partitionScenario;
    case 'lagging-replica':
      return (await import('./lagging-replica.scenario.ts')).laggingReplicaScenario;
    case 'flapping':
      return (await import('./flapping.scenario.ts')).flappingScenario;
    case 'duplicate-alarm':
      return (await import('./duplicate-alarm.scenario.ts')).duplicateAlarmScenario;
    case 'ssh-drop':
      return (await import('./ssh-drop.scenario.ts')).sshDropScenario;
    case 'switchover-and-back':
      return (await import('./switchover-and-back.scenario.ts')).switchoverAndBackScenario;
    case 'rejoin':
      return (await import('./rejoin.scenario.ts')).rejoinScenario;
  }
}
