/**
 * The one list of twinstack's workflows, by ASL file stem (`statemachines/<name>.asl.json`,
 * state machine `twinstack-<name>`). The CDK control stack, the local runtime, the ASL
 * generator and the CLI all read it: adding a workflow is one edit here plus its ASL file.
 */
export const WORKFLOW_NAMES = ['replicate', 'failover', 'deploy', 'rejoin', 'clone-stack', 'switchover'] as const;

export type WorkflowName = (typeof WORKFLOW_NAMES)[number];
