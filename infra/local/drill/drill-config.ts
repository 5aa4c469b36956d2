/**
 * The drill's twinstack.yaml: two stacks on loopback lab hosts. Host keys are
 * the real fingerprints of the lab's sshd instances, so the file is written at
 * run time and then validated by the same schema as any user's file.
 *
 * Both lab hosts share this machine's filesystem, so each sshd runs in its own
 * mount namespace where `<labRoot>/<host>/srv` is mounted at LAB_HOST_ROOT: the
 * twin is a true clone (same paths), as on two EC2 hosts.
 */
import { stringify } from 'yaml';
import type { EngineName } from '../../../functions/core/model.ts';
import { pluginFor } from '../../../functions/core/engines/engine-registry.ts';
import { labNodeFor } from '../lab/lab-nodes.ts';

export const LAB_HOST_ROOT = '/srv/twinstack';

export interface DrillHost {
  readonly address: string;
  readonly sshPort: number;
  readonly user: string;
  readonly hostKey: string;
}

export interface DrillConfigInput {
  readonly primary: DrillHost;
  /** Absent with `--clone`: the group awaits its twin, which clone-stack builds and registers. */
  readonly twin?: DrillHost;
  readonly appPort: number;
  /** One database per engine, named after it, each on its lab node's default port. */
  readonly engines: readonly EngineName[];
  readonly mode: 'sync' | 'async';
  /** The group's git source (file:// mirror on the lab's disk), for the deploy phase. */
  readonly gitUrl: string;
  /** A scenario's replication.maxLag per lag unit, replacing the lab nodes' (e.g. small, so a held-back replica exceeds it in seconds). */
  readonly maxLag?: { readonly bytes: string; readonly transactions: number };
}

export const DRILL_GROUP = 'drill';
export const DRILL_DNS_NAME = 'app.drill.twinstack.test';
/** The demo app's image: one push builds `twinstack/drill-app:<rev12>` once; both stacks run it (default deploy command: compose up). */
export const DRILL_IMAGE_NAME = 'twinstack/drill-app';

function stackYaml(role: 'primary' | 'twin', host: DrillHost, input: DrillConfigInput): string {
  return `
    ${role}:
      name: drill-${role}
      region: local
      endpoint: ${host.address}
      healthUrl: http://${host.address}:${input.appPort}/health
      deploy:
        directory: ${LAB_HOST_ROOT}/app
      hosts:
        - name: app1
          address: ${host.address}
          sshPort: ${host.sshPort}
          user: ${host.user}
          hostKey: "${host.hostKey}"`;
}

export function drillConfigYaml(input: DrillConfigInput): string {
  return `# Written by npm run drill: ${input.twin ? 'two local stacks' : 'the primary stack (clone-stack builds its twin)'} on loopback lab hosts.
version: 1
groups:
  - name: ${DRILL_GROUP}
    dns:
      zone: twinstack.test
      name: ${DRILL_DNS_NAME}
      ttl: 1
    source:
      provider: github
      repository: twinstack/drill-app
      branch: main
      gitUrl: ${input.gitUrl}
      image:
        name: ${DRILL_IMAGE_NAME}
    failover:
      cooldownSeconds: 300
      maxObservationAgeSeconds: 10${stackYaml('primary', input.primary, input)}${input.twin ? stackYaml('twin', input.twin, input) : ''}
    databases:
${databasesYaml(input)}`;
}

/** The databases section: each engine's lab node writes its own entry (lab-nodes.ts). */
function databasesYaml(input: DrillConfigInput): string {
  const databases = input.engines.map((engine) => {
    const node = labNodeFor(engine);
    const entry = node.databaseConfig({ name: engine, host: 'app1', port: node.defaultPort, mode: input.mode, mountPoint: LAB_HOST_ROOT, user: input.primary.user });
    if (!input.maxLag) return entry;
    const unit = pluginFor(engine).lagUnit;
    const maxLag = unit === 'bytes' ? input.maxLag.bytes : unit === 'transactions' ? input.maxLag.transactions : undefined;
    return maxLag === undefined ? entry : { ...entry, replication: { ...(entry['replication'] as Record<string, unknown>), maxLag } };
  });
  return stringify(databases, { indent: 2 })
    .split('\n')
    .map((line) => (line === '' ? line : `      ${line}`))
    .join('\n');
}
