import { strict as assert } from 'node:assert';
import { cloudFromEndpoint, cloudFromMetadata, graphHost, graphScope, scopeFor } from '../../src/cloud';

describe('cloudFromEndpoint', () => {
  it('fills the public cloud when the endpoint says nothing', () => {
    assert.deepEqual(cloudFromEndpoint({}), {
      environment: 'AzureCloud',
      resourceManagerUrl: 'https://management.azure.com/',
      resourceManagerAudience: 'https://management.core.windows.net/',
      authorityHost: 'https://login.microsoftonline.com/',
      graphUrl: 'https://graph.microsoft.com/',
    });
  });

  it('takes every URL from the endpoint data when present', () => {
    const cloud = cloudFromEndpoint({
      url: 'https://ignored.example',
      environment: 'AzureStack',
      resourceManagerUrl: 'https://arm.local',
      activeDirectoryAuthority: 'https://login.local',
      microsoftGraphUrl: 'https://graph.local',
      activeDirectoryServiceEndpointResourceId: 'https://arm-audience.local/',
    });
    assert.deepEqual(cloud, {
      environment: 'AzureStack',
      resourceManagerUrl: 'https://arm.local/',
      resourceManagerAudience: 'https://arm-audience.local/',
      authorityHost: 'https://login.local/',
      graphUrl: 'https://graph.local/',
    });
  });

  it('uses the endpoint URL as the ARM URL when resourceManagerUrl is missing', () => {
    assert.equal(cloudFromEndpoint({ url: 'https://management.usgovcloudapi.net' }).resourceManagerUrl, 'https://management.usgovcloudapi.net/');
  });

  it("fills a sovereign cloud's defaults from its environment name", () => {
    const cloud = cloudFromEndpoint({ environment: 'AzureUSGovernment' });
    assert.equal(cloud.authorityHost, 'https://login.microsoftonline.us/');
    assert.equal(cloud.resourceManagerAudience, 'https://management.core.usgovcloudapi.net/');
  });

  it("asks Entra for the audience's .default scope, keeping its trailing slash", () => {
    assert.equal(scopeFor('https://management.core.windows.net/'), 'https://management.core.windows.net//.default');
  });

  it("asks for Microsoft Graph's .default scope without a double slash, in the cloud of the endpoint", () => {
    assert.equal(graphScope(cloudFromEndpoint({})), 'https://graph.microsoft.com/.default');
    assert.equal(graphScope(cloudFromEndpoint({ environment: 'AzureUSGovernment' })), 'https://graph.microsoft.us/.default');
    assert.equal(graphScope(cloudFromEndpoint({ microsoftGraphUrl: 'https://graph.local:8443/' })), 'https://graph.local:8443/.default');
  });

  it('names the Graph host the Graph client may send the token to: bare, without port', () => {
    assert.equal(graphHost(cloudFromEndpoint({})), 'graph.microsoft.com');
    assert.equal(graphHost(cloudFromEndpoint({ microsoftGraphUrl: 'https://127.0.0.1:8443/' })), '127.0.0.1');
  });
});

describe('cloudFromMetadata', () => {
  it('reads a cloud from ARM metadata as the Azure CLI does, and nothing from an answer without login endpoint or audience', () => {
    const cloud = cloudFromMetadata('https://management.azure.com/', {
      name: 'AzureCloud',
      resourceManager: 'https://management.azure.com/',
      authentication: {
        loginEndpoint: 'https://login.microsoftonline.com',
        audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
      },
      microsoftGraphResourceId: 'https://graph.microsoft.com/',
    });
    assert.deepEqual(cloud, {
      environment: 'AzureCloud',
      resourceManagerUrl: 'https://management.azure.com/',
      resourceManagerAudience: 'https://management.core.windows.net/',
      authorityHost: 'https://login.microsoftonline.com/',
      graphUrl: 'https://graph.microsoft.com/',
    });
    const listed = cloudFromMetadata('https://management.usgovcloudapi.net/', [
      {
        name: 'AzureCloud',
        resourceManager: 'https://management.azure.com/',
        authentication: { loginEndpoint: 'https://login.microsoftonline.com', audiences: ['a'] },
      },
      {
        name: 'AzureUSGovernment',
        resourceManager: 'https://management.usgovcloudapi.net/',
        authentication: { loginEndpoint: 'https://login.microsoftonline.us', audiences: ['https://management.core.usgovcloudapi.net/'] },
        microsoftGraphResourceId: 'https://graph.microsoft.us/',
      },
    ]);
    assert.equal(listed?.environment, 'AzureUSGovernment', "2019-05-01's list of clouds: the entry for this ARM host");
    assert.equal(listed?.authorityHost, 'https://login.microsoftonline.us/');
    assert.equal(cloudFromMetadata('https://arm.local/', { name: 'x', authentication: {} }), undefined);
    assert.equal(cloudFromMetadata('https://arm.local/', 'not json'), undefined);
  });
});
