import { strict as assert } from 'node:assert';
import { describePipeline, parsePipelineReference, parseRequest } from '../../src/request';
import { failsOn, rawTask as raw, SUBSCRIPTION } from './fixtures';

describe('parseRequest', () => {
  it('turns the minimal YAML example into a typed request with every default applied', () => {
    const request = parseRequest(raw());
    assert.equal(request.connectionName, 'app1-dev');
    assert.equal(request.identityType, 'managedIdentity');
    assert.equal(request.existingConnection, 'reuse');
    assert.equal(request.azure.subscriptionId, SUBSCRIPTION, "the subscription defaults to the bootstrap connection's");
    assert.equal(request.azure.roleDefinitionName, 'Contributor');
    assert.equal(request.azure.scope, `/subscriptions/${SUBSCRIPTION}`);
    assert.deepEqual(request.identity, { resourceGroup: 'rg-identities', name: 'id-app1-dev', location: undefined });
    assert.deepEqual(request.devops, {
      organizationUrl: 'https://dev.azure.com/contoso/',
      organization: 'contoso',
      project: 'platform',
      accessToken: 'job-token',
      shareWithProjects: [],
      authorizeAllPipelines: false,
      authorizePipelines: [],
    });
    assert.equal(request.bootstrap.cloud.resourceManagerAudience, 'https://management.core.windows.net/');
    assert.deepEqual(request.bootstrap.auth, {
      scheme: 'WorkloadIdentityFederation',
      tenantId: 'tenant-guid',
      clientId: 'client-guid',
      oidcRequestUri: 'https://dev.azure.com/contoso/p/_apis/distributedtask/hubs/build/plans/1/jobs/2/oidctoken',
    });
  });

  it('scopes the role to the resource group when one is given', () => {
    const request = parseRequest(raw({ resourceGroup: 'rg-app1-dev' }));
    assert.equal(request.azure.scope, `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-app1-dev`);
  });

  it('normalizes a display-name location and the organization URL', () => {
    const request = parseRequest(raw({ identityLocation: 'West Europe', organizationUrl: 'https://contoso.visualstudio.com' }));
    assert.equal(request.identityType, 'managedIdentity');
    assert.equal(request.identity.location, 'westeurope');
    assert.equal(request.devops.organizationUrl, 'https://contoso.visualstudio.com/');
    assert.equal(request.devops.organization, 'contoso');
  });

  it('reads pipeline permissions and sharing, one value per line, ids and names with folders, repeats dropped', () => {
    const { devops } = parseRequest(
      raw({
        authorizeAllPipelines: 'True',
        authorizePipelines: '12\r\n app1-deploy \n\n\\apps\\app1-deploy\napps/app1-deploy\nAPP1-DEPLOY\n12',
        shareWithProjects: 'app1\n\n 0f1e2d3c-0000-4000-8000-000000000001 \nAPP1',
      }),
    );
    assert.equal(devops.authorizeAllPipelines, true);
    assert.deepEqual(devops.authorizePipelines, [{ id: 12 }, { name: 'app1-deploy' }, { name: 'app1-deploy', folder: '\\apps' }]);
    assert.deepEqual(devops.shareWithProjects, ['app1', '0f1e2d3c-0000-4000-8000-000000000001']);
  });

  it('leaves pipeline permissions off and shares with no project by default', () => {
    const { devops } = parseRequest(raw({ authorizeAllPipelines: 'false' }));
    assert.equal(devops.authorizeAllPipelines, false);
    assert.deepEqual(devops.authorizePipelines, []);
    assert.deepEqual(devops.shareWithProjects, []);
  });

  it('accepts pick-list values in any case and returns them in canonical form', () => {
    assert.equal(parseRequest(raw({ existingConnection: 'FAIL' })).existingConnection, 'fail');
  });

  it('reads a service principal bootstrap connection with a secret', () => {
    const task = raw();
    task.bootstrap.scheme = 'ServicePrincipal';
    task.bootstrap.parameters = { tenantid: 't', serviceprincipalid: 'c', authenticationType: 'spnKey', serviceprincipalkey: 's3cret' };
    assert.deepEqual(parseRequest(task).bootstrap.auth, { scheme: 'ServicePrincipal', tenantId: 't', clientId: 'c', clientSecret: 's3cret' });
  });

  it('reads dryRun and the replication bound, with their defaults', () => {
    assert.equal(parseRequest(raw()).dryRun, false);
    assert.equal(parseRequest(raw({ dryRun: 'True' })).dryRun, true);
    assert.equal(parseRequest(raw()).replicationWaitSeconds, 120);
    assert.equal(parseRequest(raw({ replicationWaitSeconds: '600' })).replicationWaitSeconds, 600);
  });

  describe('for an app registration', () => {
    it('needs no identity resource group and names the application after the connection', () => {
      const request = parseRequest(raw({ identityType: 'appRegistration', identityResourceGroup: '' }));
      assert.equal(request.identityType, 'appRegistration');
      assert.deepEqual(request.application, { displayName: 'azure-devops-app1-dev' });
      assert.ok(!('identity' in request), 'no managed identity settings');
    });

    it('takes the application name from applicationName', () => {
      const request = parseRequest(raw({ identityType: 'AppRegistration', applicationName: ' App 1 deployer ' }));
      assert.equal(request.identityType, 'appRegistration');
      assert.equal(request.application.displayName, 'App 1 deployer');
    });

    it('ignores the managed identity inputs, which the task editor hides for it', () => {
      const request = parseRequest(raw({ identityType: 'appRegistration', identityName: 'x', identityLocation: 'west/europe' }));
      assert.equal(request.identityType, 'appRegistration');
    });
  });

  describe('refuses, naming the input and what is allowed', () => {
    it('a dryRun that is not a boolean', () => failsOn('dryRun', raw({ dryRun: 'maybe' }), /true, false/));
    it('a replication bound out of range', () => failsOn('replicationWaitSeconds', raw({ replicationWaitSeconds: '3601' }), /1 to 3600/));
    it('a missing connection name', () => failsOn('connectionName', raw({ connectionName: '  ' }), /required/));
    it('a connection name with control characters', () => failsOn('connectionName', raw({ connectionName: 'a\u0007b' })));
    it('a subscription id that is not a GUID', () => failsOn('subscriptionId', raw({ subscriptionId: 'my-sub' }), /GUID/));
    it('a missing subscription when the bootstrap connection names none', () => {
      const task = raw();
      task.bootstrap.data = {};
      failsOn('subscriptionId', task, /required/);
    });
    it('a resource group name with characters Azure refuses', () => failsOn('resourceGroup', raw({ resourceGroup: 'rg/app' }), /1-90/));
    it('a resource group name ending in a period', () => failsOn('identityResourceGroup', raw({ identityResourceGroup: 'rg.' })));
    it('a resource group name longer than 90 characters', () => failsOn('resourceGroup', raw({ resourceGroup: 'r'.repeat(91) })));
    it('a missing identity resource group', () => failsOn('identityResourceGroup', raw({ identityResourceGroup: '' })));
    it('an identity name that is too short', () => failsOn('identityName', raw({ identityName: 'ab' }), /3-128/));
    it('an identity name starting with a hyphen', () => failsOn('identityName', raw({ identityName: '-abc' })));
    it('a location that is not a region name', () => failsOn('identityLocation', raw({ identityLocation: 'west/europe' })));
    it('an organization URL that is not a URL', () => failsOn('organizationUrl', raw({ organizationUrl: 'contoso' }), /dev\.azure\.com/));
    it('an organization URL over plain http', () => failsOn('organizationUrl', raw({ organizationUrl: 'http://dev.azure.com/contoso' })));
    it('an unknown identity type', () => failsOn('identityType', raw({ identityType: 'user' }), /Supported values are: managedIdentity, appRegistration/));
    it('an application name with control characters', () =>
      failsOn('applicationName', raw({ identityType: 'appRegistration', applicationName: 'a\nb' }), /printable/));
    it('an application name longer than 256 characters', () =>
      failsOn('applicationName', raw({ identityType: 'appRegistration', applicationName: 'a'.repeat(257) })));
    it('an unknown existingConnection value', () => failsOn('existingConnection', raw({ existingConnection: 'replace' }), /reuse, fail/));
    it('an unsupported bootstrap scheme, listing the supported ones', () => {
      const task = raw();
      task.bootstrap.scheme = 'UsernamePassword';
      failsOn('bootstrapConnection', task, /WorkloadIdentityFederation, ServicePrincipal/);
    });
    it('a federated bootstrap connection outside a pipeline job (no OIDC request URI)', () =>
      failsOn('bootstrapConnection', raw({}, { oidcRequestUri: undefined }), /System\.OidcRequestUri/));
    it('a boolean that is neither true nor false', () =>
      failsOn('authorizeAllPipelines', raw({ authorizeAllPipelines: 'yes' }), /Supported values are: true, false/));
    it('a pipeline id of zero', () => failsOn('authorizePipelines', raw({ authorizePipelines: '0' }), /not a pipeline definition id/));
    it('a pipeline line that names only a folder', () => failsOn('authorizePipelines', raw({ authorizePipelines: '\\apps\\' }), /folder but no pipeline/));
    it('a project line with control characters', () => failsOn('shareWithProjects', raw({ shareWithProjects: 'a\u0007b' })));
    it('a job without an access token', () => failsOn('organizationUrl', raw({}, { accessToken: undefined }), /OAuth token/));
    it('a bootstrap connection whose authority is not https', () => {
      const task = raw();
      task.bootstrap.data.activeDirectoryAuthority = 'http://login.example/';
      failsOn('bootstrapConnection', task, /https/);
    });
  });
});

describe('parseRequest: management group scope', () => {
  it('scopes the role and the connection to the group', () => {
    const request = parseRequest(raw({ managementGroupId: 'mg-platform', managementGroupName: 'Platform' }));
    assert.deepEqual(request.azure.managementGroup, { id: 'mg-platform', name: 'Platform' });
    assert.equal(request.azure.scope, '/providers/Microsoft.Management/managementGroups/mg-platform');
    assert.equal(request.azure.subscriptionId, SUBSCRIPTION, 'the subscription still holds the identity');
  });

  it('refuses a malformed id, a name alone, and a resource group beside it', () => {
    failsOn('managementGroupId', raw({ managementGroupId: 'Platform Team' }), /not a management group id/);
    failsOn('managementGroupName', raw({ managementGroupName: 'Platform' }), /without managementGroupId/);
    failsOn('resourceGroup', raw({ managementGroupId: 'mg-platform', resourceGroup: 'rg-app1' }), /cannot be combined with managementGroupId/);
  });
});

describe('parseRequest: several roles', () => {
  it('adds the roleAssignments lines relative to the target subscription, without the main grant', () => {
    const request = parseRequest(raw({ resourceGroup: 'rg-app1', roleAssignments: 'Reader@resourceGroups/rg-shared\nContributor@resourceGroups/rg-app1' }));
    assert.deepEqual(request.azure.additionalRoles, [{ role: 'Reader', scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-shared`, line: 1 }]);
  });

  it('has none by default', () => {
    assert.deepEqual(parseRequest(raw()).azure.additionalRoles, []);
  });
});

describe('parseRequest: verification', () => {
  it('verifies by default, waiting up to 300 s; verifyConnection false turns it off', () => {
    assert.deepEqual(parseRequest(raw()).verify, { timeoutSeconds: 300 });
    assert.deepEqual(parseRequest(raw({ verifyConnection: 'true', verifyTimeoutSeconds: '900' })).verify, { timeoutSeconds: 900 });
    assert.equal(parseRequest(raw({ verifyConnection: 'false', verifyTimeoutSeconds: '0' })).verify, undefined);
  });
  it('refuses a bound out of range and a value that is not a boolean', () => {
    failsOn('verifyTimeoutSeconds', raw({ verifyTimeoutSeconds: '3601' }), /1 to 3600 \(default 300\)/);
    failsOn('verifyTimeoutSeconds', raw({ verifyTimeoutSeconds: '1.5' }), /whole number/);
    failsOn('verifyConnection', raw({ verifyConnection: 'yes' }), /true, false/);
  });
});

describe('pipeline references', () => {
  it('read ids, names and folders written with either separator, and print them as the log shows them', () => {
    assert.deepEqual(parsePipelineReference('42'), { id: 42 });
    assert.deepEqual(parsePipelineReference('app1-deploy'), { name: 'app1-deploy' });
    assert.deepEqual(parsePipelineReference('\\apps\\web\\app1-deploy'), { name: 'app1-deploy', folder: '\\apps\\web' });
    assert.deepEqual(parsePipelineReference('apps/app1-deploy'), { name: 'app1-deploy', folder: '\\apps' });
    assert.equal(describePipeline({ id: 42 }), '42');
    assert.equal(describePipeline({ name: 'app1-deploy', folder: '\\apps' }), "'\\apps\\app1-deploy'");
  });
});

describe('parseRequest: a value wrong by itself fails the run before any read, in one line naming the input and the fix', () => {
  const cases: Array<[title: string, inputs: Record<string, string>, message: RegExp]> = [
    ['an empty connection name', { connectionName: '' }, /^Input 'connectionName' is required\.$/],
    ['a connection name with a control character', { connectionName: 'app1\u0007dev' }, /^Input 'connectionName' must be at most 256 printable characters/],
    ['a connection name of 257 characters', { connectionName: 'c'.repeat(257) }, /^Input 'connectionName' must be at most 256/],
    [
      'an identity name of two characters',
      { identityName: 'ab' },
      /^Input 'identityName' 'ab' is not a valid managed identity name: use 3-128 letters, digits, hyphens and underscores/,
    ],
    [
      'an identity name starting with a hyphen',
      { identityName: '-app1' },
      /^Input 'identityName' '-app1' is not a valid managed identity name.*starting with a letter or digit/,
    ],
    ['an identity name with a period', { identityName: 'id.app1' }, /^Input 'identityName' 'id\.app1' is not a valid/],
    ['an identity name of 129 characters', { identityName: 'i'.repeat(129) }, /^Input 'identityName' 'i+' is not a valid/],
    ['an empty identity resource group', { identityResourceGroup: '' }, /^Input 'identityResourceGroup' is required\.$/],
    [
      'a resource group name ending in a period',
      { resourceGroup: 'rg-app1.' },
      /^Input 'resourceGroup' 'rg-app1\.' is not a valid resource group name: use 1-90 .*not ending in a period/,
    ],
    [
      'a resource group name with a slash',
      { identityResourceGroup: 'rg/identities' },
      /^Input 'identityResourceGroup' 'rg\/identities' is not a valid resource group name/,
    ],
    ['a resource group name of 91 characters', { resourceGroup: 'r'.repeat(91) }, /^Input 'resourceGroup' 'r+' is not a valid resource group name: use 1-90/],
    ['a subscription id that is not a GUID', { subscriptionId: 'not-a-guid' }, /^Input 'subscriptionId' 'not-a-guid' is not a subscription id; use its GUID/],
    [
      'a subscription id in braces',
      { subscriptionId: '{6a3bd2a6-0b65-4b8b-9f0e-7a3b1d3f8c11}' },
      /^Input 'subscriptionId' .* is not a subscription id; use its GUID/,
    ],
    [
      'a region name with a slash',
      { identityLocation: 'west/europe' },
      /^Input 'identityLocation' 'west\/europe' is not an Azure location name, e\.g\. westeurope/,
    ],
    [
      'an unknown identity type',
      { identityType: 'servicePrincipal' },
      /^Input 'identityType' has the unsupported value 'servicePrincipal'\. Supported values are: .*managedIdentity/,
    ],
    [
      'an unknown existingConnection value',
      { existingConnection: 'replace' },
      /^Input 'existingConnection' has the unsupported value 'replace'\. Supported values are: reuse, fail\.$/,
    ],
    ['a dryRun that is neither true nor false', { dryRun: 'yes' }, /^Input 'dryRun' has the value 'yes'\. Supported values are: true, false\.$/],
    [
      'a replication wait of zero seconds',
      { replicationWaitSeconds: '0' },
      /^Input 'replicationWaitSeconds' has the value '0'; use a whole number of seconds from 1 to 3600/,
    ],
    ['a replication wait with a unit', { replicationWaitSeconds: '2m' }, /^Input 'replicationWaitSeconds' has the value '2m'/],
  ];
  for (const [title, inputs, message] of cases) it(title, () => failsOn(Object.keys(inputs)[0], raw(inputs), message));
});
