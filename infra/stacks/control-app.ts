import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TwinstackConfig } from '../../functions/core/model.ts';
import { ControlStack, type ControlStackProps } from './control-stack.ts';
import { DnsStack } from './dns-stack.ts';

/** Construct id (and CloudFormation stack name) of the control plane. */
export const CONTROL_STACK_ID = 'TwinstackControl';
/** Construct id (and stack name) of the us-east-1 stack: health checks, alarms, failover records. */
export const DNS_STACK_ID = 'TwinstackDns';

export interface ControlAppOptions extends Pick<AppProps, 'outdir' | 'context'> {
  /** Register cdk-nag's AwsSolutions pack as a synth-time validation plugin. @default true */
  readonly nag?: boolean;
  /** Overrides for the control stack (directories, env). */
  readonly stack?: Omit<ControlStackProps, 'config'>;
}

/**
 * The whole CDK app for a validated config: the control stack, in the twin region, and (once a
 * group has a twin) the DNS stack in us-east-1 (health checks, alarms, failover records), the control stack
 * with an environment-agnostic account (synth needs no credentials and no network),
 * checked by cdk-nag's AwsSolutions pack. Every acknowledgement lives next to the
 * resource it concerns, with its reason.
 */
export function createControlApp(config: TwinstackConfig, options: ControlAppOptions = {}): { app: App; stack: ControlStack; dnsStack: DnsStack | undefined } {
  // autoSynth off: under the CDK CLI (CDK_OUTDIR set) a failed build must not leave a synthesised empty assembly.
  const app = new App({ outdir: options.outdir, context: options.context, autoSynth: false });
  const stack = new ControlStack(app, CONTROL_STACK_ID, { ...options.stack, config });
  // Only groups with a twin have health checks and failover records: a config whose every group
  // awaits its clone deploys the control stack alone (enough to run `twinstack clone`).
  const dnsStack =
    config.groups.length === 0 && (config.awaitingClone?.length ?? 0) > 0
      ? undefined
      : new DnsStack(app, DNS_STACK_ID, { config, controlRegion: stack.region, ...(options.stack?.env?.account ? { account: options.stack.env.account } : {}) });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, dnsStack };
}
