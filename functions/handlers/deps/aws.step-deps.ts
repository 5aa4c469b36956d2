/**
 * StepDeps in AWS Lambda: SSM Parameter Store, Route 53, ssh2, fetch, system clock.
 * SDK clients are created once per module and lazily (first call), so importing
 * this module needs no AWS environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Route53DnsRouter } from '../../adapters/aws/route53.dns-router.ts';
import { SsmParameterStore } from '../../adapters/aws/ssm.parameter-store.ts';
import { FetchHealthProbe } from '../../adapters/http/fetch.health-probe.ts';
import { Ssh2RemoteShell } from '../../adapters/ssh/ssh2.remote-shell.ts';
import { systemClock } from '../../adapters/system.clock.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { StepDeps } from './step-deps.ts';

let deps: StepDeps | undefined;

export function awsStepDeps(): StepDeps {
  if (deps) return deps;
  const params = new SsmParameterStore(new SSMClient({}));
  deps = {
    params,
    // Route 53 is a global service: its API lives in us-east-1 whatever the Lambda's region.
    dns: new Route53DnsRouter(new Route53Client({ region: 'us-east-1' })),
    openShell: async (group: string) => {
      const privateKey = await params.get(parameterNames.sshPrivateKey(group));
      if (privateKey === undefined) throw new InvalidInputError(`group ${group} has no SSH key at ${parameterNames.sshPrivateKey(group)}`);
      return new Ssh2RemoteShell({ privateKey });
    },
    health: new FetchHealthProbe(),
    clock: systemClock,
    logger: new Logger({ serviceName: 'twinstack' }),
  };
  return deps;
}
