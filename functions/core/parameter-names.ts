/**
 * Names of parameters in the ParameterStore. One place, so AWS IAM policies,
 * handlers and the local runtime agree on the layout:
 *
 *   /twinstack/<group>/config                     the validated group (JSON, not secret)
 *   /twinstack/<group>/state                      GroupState (JSON): active stack, last failover
 *   /twinstack/<group>/observations/<db>          PrimaryObservation (JSON): the primary as last seen healthy
 *   /twinstack/<group>/secrets/<db>/<secret>      SecureString
 *   /twinstack/<group>/env/<stack>/<VAR>          published env vars (SecureString: may hold passwords)
 *   /twinstack/<group>/ssh/private-key            SecureString: the key the control plane logs in with
 *   /twinstack/<group>/webhook/secrets            SecureString: JSON array of active webhook secrets
 *   /twinstack/<group>/deploy/state               deploy bookkeeping per stack (JSON)
 *   /twinstack/<group>/deploy/desired             the newest pushed revision (JSON)
 */
export const PARAMETER_ROOT = '/twinstack';

export const parameterNames = {
  groupPrefix: (group: string) => `${PARAMETER_ROOT}/${group}`,
  config: (group: string) => `${PARAMETER_ROOT}/${group}/config`,
  state: (group: string) => `${PARAMETER_ROOT}/${group}/state`,
  /** PrimaryObservation (JSON) of one database: its own parameter, so concurrent checks never overwrite each other or the state. */
  observation: (group: string, database: string) => `${PARAMETER_ROOT}/${group}/observations/${database}`,
  secret: (group: string, database: string, secret: 'replication-password' | 'app-password') =>
    `${PARAMETER_ROOT}/${group}/secrets/${database}/${secret}`,
  envPrefix: (group: string, stack: string) => `${PARAMETER_ROOT}/${group}/env/${stack}`,
  env: (group: string, stack: string, variable: string) => `${PARAMETER_ROOT}/${group}/env/${stack}/${variable}`,
  sshPrivateKey: (group: string) => `${PARAMETER_ROOT}/${group}/ssh/private-key`,
  /** SecureString: JSON array of the active webhook secrets (two during a rotation). */
  webhookSecrets: (group: string) => `${PARAMETER_ROOT}/${group}/webhook/secrets`,
  /** JSON: the deploy bookkeeping of a group (deployed revision per stack; written under the deploy lease). */
  deployState: (group: string) => `${PARAMETER_ROOT}/${group}/deploy/state`,
  /** JSON: the newest pushed revision (written by RequestDeploy, outside the lease: its own parameter so it never overwrites the stacks). */
  deployDesired: (group: string) => `${PARAMETER_ROOT}/${group}/deploy/desired`,
} as const;
