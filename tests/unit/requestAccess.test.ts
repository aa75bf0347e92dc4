/**
 * src/requestAccess.ts through parseRequest: how the task reaches Azure and Azure DevOps (bootstrap schemes,
 * Azure DevOps credentials, the agent's network settings).
 */
import { strict as assert } from 'node:assert';
import { TaskError } from '../../src/errors';
import type { RawTask } from '../../src/rawTask';
import { parseRequest } from '../../src/request';
import { isVariableName } from '../../src/requestAccess';
import { failsOn, rawTask as raw, SUBSCRIPTION } from './fixtures';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

describe('parseRequest: bootstrap schemes', () => {
  it('reads a certificate connection (ServicePrincipal, spnCertificate)', () => {
    const request = parseRequest(
      raw(
        {},
        {},
        {
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 't', serviceprincipalid: 'c', authenticationType: 'spnCertificate', servicePrincipalCertificate: PEM },
        },
      ),
    );
    assert.deepEqual(request.bootstrap.auth, { scheme: 'ServicePrincipalCertificate', tenantId: 't', clientId: 'c', certificate: PEM });
  });

  it('refuses a certificate without its private key', () => {
    const certificateOnly = PEM.split('-----BEGIN PRIVATE KEY-----')[0];
    failsOn(
      'bootstrapConnection',
      raw(
        {},
        {},
        {
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 't', serviceprincipalid: 'c', authenticationType: 'spnCertificate', servicePrincipalCertificate: certificateOnly },
        },
      ),
      /PEM certificate with its private key/,
    );
  });

  it('lists the supported authentication types of a service principal', () => {
    failsOn(
      'bootstrapConnection',
      raw({}, {}, { scheme: 'ServicePrincipal', parameters: { tenantid: 't', serviceprincipalid: 'c', authenticationType: 'spnKey' } }),
      /Supported authentication types are: spnKey, spnCertificate/,
    );
  });

  it('reads a managed identity connection: no service principal, a user-assigned one by msiclientId', () => {
    const system = parseRequest(raw({}, {}, { scheme: 'ManagedServiceIdentity', parameters: { tenantid: 't' } }));
    assert.deepEqual(system.bootstrap.auth, { scheme: 'ManagedServiceIdentity', tenantId: 't', clientId: undefined });
    const user = parseRequest(
      raw({}, {}, { scheme: 'ManagedServiceIdentity', parameters: { tenantid: 't' }, data: { subscriptionId: SUBSCRIPTION, msiclientId: 'mi-client' } }),
    );
    assert.deepEqual(user.bootstrap.auth, { scheme: 'ManagedServiceIdentity', tenantId: 't', clientId: 'mi-client' });
  });

  it('refuses any other scheme, listing the supported ones, even without a tenant', () => {
    failsOn(
      'bootstrapConnection',
      raw({}, {}, { scheme: 'PublishProfile', parameters: {} }),
      /scheme 'PublishProfile'\. Supported schemes are: WorkloadIdentityFederation, ServicePrincipal, ManagedServiceIdentity\./,
    );
  });

  it('takes the sovereign cloud from the endpoint data', () => {
    const request = parseRequest(
      raw(
        {},
        {},
        {
          url: 'https://management.usgovcloudapi.net/',
          data: { subscriptionId: SUBSCRIPTION, environment: 'AzureUSGovernment', activeDirectoryAuthority: 'https://login.microsoftonline.us/' },
        },
      ),
    );
    assert.equal(request.bootstrap.cloud.environment, 'AzureUSGovernment');
    assert.equal(request.bootstrap.cloud.resourceManagerUrl, 'https://management.usgovcloudapi.net/');
    assert.equal(request.bootstrap.cloud.resourceManagerAudience, 'https://management.core.usgovcloudapi.net/');
    assert.equal(request.bootstrap.cloud.authorityHost, 'https://login.microsoftonline.us/');
  });
});

describe("parseRequest: the command line's signed-in credential", () => {
  it("accepts the command line's signed-in scheme, and refuses a tenant that is no GUID", () => {
    const raw: RawTask = {
      inputs: {
        connectionName: 'c',
        organizationUrl: 'https://dev.azure.com/contoso',
        project: 'p',
        identityResourceGroup: 'rg',
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        devOpsAuth: 'bootstrapIdentity',
      },
      bootstrap: { id: 'signed-in credential', scheme: 'DefaultAzureCredential', parameters: { tenantid: '00000000-0000-0000-0000-000000000002' }, data: {} },
    };
    const request = parseRequest(raw);
    assert.deepEqual(request.bootstrap.auth, { scheme: 'DefaultAzureCredential', tenantId: '00000000-0000-0000-0000-000000000002' });
    assert.equal(request.bootstrap.cloud.environment, 'AzureCloud');
    assert.throws(
      () => parseRequest({ ...raw, bootstrap: { ...raw.bootstrap, parameters: { tenantid: 'contoso' } } }),
      /Input 'tenantId' 'contoso' is not a tenant id/,
    );
  });
});

describe('parseRequest: Azure DevOps credentials', () => {
  it('uses the job access token by default', () => {
    assert.deepEqual(parseRequest(raw()).devopsAuth, { kind: 'jobAccessToken' });
  });

  it('signs in as the bootstrap identity without needing the job token, unless the bootstrap is federated', () => {
    const secret = raw(
      { devOpsAuth: 'bootstrapIdentity' },
      { accessToken: undefined },
      { scheme: 'ServicePrincipal', parameters: { tenantid: 't', serviceprincipalid: 'c', serviceprincipalkey: 's' } },
    );
    assert.deepEqual(parseRequest(secret).devopsAuth, { kind: 'bootstrapIdentity' });
    failsOn('bootstrapConnection', raw({ devOpsAuth: 'bootstrapIdentity' }, { accessToken: undefined }), /no access token/);
  });

  it('takes a personal access token from a secret variable only', () => {
    const token = `${'a'.repeat(76)}AZDO${'b'.repeat(4)}`;
    const request = parseRequest(
      raw({ devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' }, { devOpsTokenVariable: { value: token, secret: true } }),
    );
    assert.deepEqual(request.devopsAuth, { kind: 'personalAccessToken', variable: 'ADO_PAT', token });
    failsOn('devOpsTokenVariable', raw({ devOpsAuth: 'personalAccessToken' }), /is required/);
    failsOn('devOpsTokenVariable', raw({ devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' }), /which this job does not have/);
    failsOn(
      'devOpsTokenVariable',
      raw({ devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' }, { devOpsTokenVariable: { value: token, secret: false } }),
      /which is not secret/,
    );
  });

  it('lists the allowed values of devOpsAuth', () => {
    failsOn('devOpsAuth', raw({ devOpsAuth: 'password' }), /Supported values are: jobAccessToken, bootstrapIdentity, personalAccessToken/);
  });
});

describe('isVariableName', () => {
  it('tells a variable name from a token pasted in its place', () => {
    assert.ok(isVariableName('ADO_PAT'));
    assert.ok(isVariableName('secrets.devops-token'));
    assert.ok(!isVariableName(`${'x'.repeat(76)}AZDO1234`), 'an 84-character PAT');
    assert.ok(!isVariableName('abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst'), 'a 52-character PAT');
    assert.ok(!isVariableName('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'), 'a JWT');
    assert.ok(!isVariableName('$(ADO_PAT)'));
  });
});

describe("parseRequest: the agent's network", () => {
  it('carries the proxy with its bypass patterns, and the CA file', () => {
    const request = parseRequest(
      raw(
        {},
        { network: { proxyUrl: 'http://proxy:8080', proxyUsername: 'u', proxyPassword: 'p', proxyBypassHosts: ['\\.contoso\\.com'], caFile: '/etc/ca.pem' } },
      ),
    );
    assert.deepEqual(request.network, {
      caFile: '/etc/ca.pem',
      proxy: { url: 'http://proxy:8080', username: 'u', password: 'p', bypass: ['\\.contoso\\.com'] },
    });
    assert.deepEqual(parseRequest(raw()).network, { caFile: undefined });
  });

  it('refuses a proxy URL or bypass pattern it could not use, in one line', () => {
    for (const network of [
      { proxyUrl: 'proxy:8080' },
      { proxyUrl: 'socks5://proxy:1080' },
      { proxyUrl: 'http://proxy:8080', proxyBypassHosts: ['(unclosed'] },
    ]) {
      assert.throws(
        () => parseRequest(raw({}, { network })),
        (error: unknown) => error instanceof TaskError && /Agent\.Proxy/.test(error.describe()),
      );
    }
  });
});

describe('parseRequest: a bootstrap connection or organization wrong by itself fails the run before any read, in one line', () => {
  it('no bootstrap connection', () =>
    failsOn(
      'bootstrapConnection',
      raw({ bootstrapConnection: '' }, {}, { id: '' }),
      /^Input 'bootstrapConnection' is required: name an Azure Resource Manager service connection\.$/,
    ));
  it('an organization URL that is not a URL', () =>
    failsOn(
      'organizationUrl',
      raw({ organizationUrl: 'contoso' }),
      /^Input 'organizationUrl' 'contoso' is not a URL; use https:\/\/dev\.azure\.com\/<organization>\//,
    ));
  it('an organization URL over plain http', () =>
    failsOn('organizationUrl', raw({ organizationUrl: 'http://dev.azure.com/contoso/' }), /^Input 'organizationUrl' .* is not an https organization URL/));
  it('an organization URL with a query string', () =>
    failsOn(
      'organizationUrl',
      raw({ organizationUrl: 'https://dev.azure.com/contoso/?view=1' }),
      /^Input 'organizationUrl' .* is not an https organization URL/,
    ));
});
