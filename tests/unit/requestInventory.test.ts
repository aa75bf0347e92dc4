/** src/requestInventory.ts: the inventory's inputs judged before any request. */
import { strict as assert } from 'node:assert';
import { InputError } from '../../src/errors';
import { parseFailOn, parseInventoryRequest } from '../../src/requestInventory';
import { rawTask } from './fixtures';

const inventory = (inputs: Record<string, string> = {}) =>
  parseInventoryRequest(rawTask({ action: 'inventory', connectionName: '', identityResourceGroup: '', ...inputs }));

function refuses(input: string, inputs: Record<string, string>, mentions: RegExp): void {
  assert.throws(
    () => inventory(inputs),
    (error: unknown) => error instanceof InputError && error.input === input && mentions.test(error.describe()),
  );
}

describe('the inventory request', () => {
  it('needs none of the provisioning inputs, and has the defaults of task.json', () => {
    const request = inventory();
    assert.equal(request.scope, 'project');
    assert.equal(request.project, 'platform');
    assert.deepEqual([request.secretExpiryDays, request.unusedDays, request.failOn, request.verify], [30, 90, [], undefined]);
    assert.equal(request.devops.organizationUrl, 'https://dev.azure.com/contoso/');
    assert.equal(request.devopsAuth.kind, 'jobAccessToken');
  });

  it('reads the scope, the thresholds, verification and failOn (one per line or comma-separated, any case)', () => {
    const request = inventory({
      inventoryScope: 'Organization',
      project: '',
      secretExpiryDays: '60',
      unusedDays: '100',
      inventoryVerify: 'true',
      verifyTimeoutSeconds: '90',
      failOn: 'secretexpired, notReady\nsecretExpired',
    });
    assert.deepEqual([request.scope, request.secretExpiryDays, request.unusedDays, request.verify], ['organization', 60, 100, { timeoutSeconds: 90 }]);
    assert.deepEqual(request.failOn, ['secretExpired', 'notReady']);
    assert.deepEqual(parseFailOn(''), []);
  });

  it('refuses a value naming the input and what it may be', () => {
    refuses('inventoryScope', { inventoryScope: 'tenant' }, /Supported values are: project, organization/);
    refuses('project', { project: '' }, /required with inventoryScope 'project'/);
    refuses('secretExpiryDays', { secretExpiryDays: '0' }, /whole days from 1 to 3650/);
    refuses('unusedDays', { unusedDays: 'soon' }, /whole days/);
    refuses('failOn', { failOn: 'expired' }, /names the finding 'expired'.*Findings are: azureDevOpsIssuer/);
    refuses('devOpsAuth', { devOpsAuth: 'token' }, /Supported values are: jobAccessToken, bootstrapIdentity, personalAccessToken/);
    refuses('organizationUrl', { organizationUrl: '' }, /is required/);
  });
});
