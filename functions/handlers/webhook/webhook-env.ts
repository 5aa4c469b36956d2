/** Environment of the ReceiveWebhook Lambda (set by the DeployWebhook construct). */
export const DEPLOY_STATE_MACHINE_ARN_ENV = 'DEPLOY_STATE_MACHINE_ARN';
/** Comma-separated names of the groups the endpoint serves (those with a `source`); others get 404 before any SSM read. */
export const WEBHOOK_GROUPS_ENV = 'TWINSTACK_WEBHOOK_GROUPS';

/** The group names in a WEBHOOK_GROUPS_ENV value; undefined when unset (every group is looked up). */
export function parseWebhookGroups(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
}
