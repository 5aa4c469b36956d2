/** Environment of the ReceiveWebhook Lambda (set by the DeployWebhook construct). */
export const DEPLOY_STATE_MACHINE_ARN_ENV = 'DEPLOY_STATE_MACHINE_ARN';
