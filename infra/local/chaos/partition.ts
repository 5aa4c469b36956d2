/**
 * A network partition between two lab hosts: each host's processes (host-cgroup.ts)
 * lose every packet to the other host's address, in both directions, while the control
 * plane (this process) and clients still reach both. Connections they already hold
 * are aborted, so a replication link cannot survive the cut on an old socket.
 */
import { isolateHost, type IsolatedHost } from './host-cgroup.ts';
import { addDrillRules } from './iptables-rules.ts';

export interface PartitionSide {
  readonly name: string;
  readonly address: string;
  /** A process in the host's mount namespace (its sshd). */
  readonly namespacePid: number;
}

export interface Partition {
  /** Connections aborted when the partition began. */
  readonly abortedConnections: number;
  /** Heals it (idempotent; also done at exit). */
  heal(): void;
}

export function partitionHosts(scenario: string, a: PartitionSide, b: PartitionSide): Partition {
  const isolated: IsolatedHost[] = [];
  try {
    const [hostA, hostB] = [isolateHost(a.name, a.namespacePid), isolateHost(b.name, b.namespacePid)];
    isolated.push(hostA, hostB);
    const rules = addDrillRules([
      { scenario, cgroupPath: hostA.cgroupPath, destination: b.address, target: 'DROP' },
      { scenario, cgroupPath: hostB.cgroupPath, destination: a.address, target: 'DROP' },
    ]);
    const abortedConnections = hostA.abortConnectionsTo(b.address) + hostB.abortConnectionsTo(a.address);
    return {
      abortedConnections,
      heal: () => {
        rules.remove();
        for (const host of isolated) host.release();
      },
    };
  } catch (error) {
    for (const host of isolated) host.release();
    throw error;
  }
}
