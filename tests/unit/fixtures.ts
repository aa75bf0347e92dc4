/**
 * The raw task a pipeline hands over in the README's YAML example (a federated bootstrap connection), for
 * unit tests of the request and the plan, and the check that a request is refused naming its input.
 */
import { strict as assert } from 'node:assert';
import { InputError } from '../../src/errors';
import type { RawTask } from '../../src/rawTask';
import { parseRequest } from '../../src/request';

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

export function rawTask(inputs: Record<string, string> = {}, overrides: Partial<RawTask> = {}, bootstrap: Partial<RawTask['bootstrap']> = {}): RawTask {
  return {
    inputs: {
      bootstrapConnection: 'e1e1e1e1-0000-0000-0000-000000000001',
      connectionName: 'app1-dev',
      identityResourceGroup: 'rg-identities',
      organizationUrl: 'https://dev.azure.com/contoso/',
      project: 'platform',
      ...inputs,
    },
    bootstrap: {
      id: 'e1e1e1e1-0000-0000-0000-000000000001',
      url: 'https://management.azure.com/',
      scheme: 'WorkloadIdentityFederation',
      parameters: { tenantid: 'tenant-guid', serviceprincipalid: 'client-guid' },
      data: { subscriptionId: SUBSCRIPTION, environment: 'AzureCloud' },
      ...bootstrap,
    },
    accessToken: 'job-token',
    oidcRequestUri: 'https://dev.azure.com/contoso/p/_apis/distributedtask/hubs/build/plans/1/jobs/2/oidctoken',
    ...overrides,
  };
}

/** The request is refused with an InputError naming `input`, in one line that mentions `mentions`. */
export function failsOn(input: string, task: RawTask, mentions?: RegExp): void {
  assert.throws(
    () => parseRequest(task),
    (error: unknown) => {
      assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
      assert.equal(error.input, input);
      assert.doesNotMatch(error.describe(), /\n/);
      if (mentions) assert.match(error.describe(), mentions);
      return true;
    },
  );
}
