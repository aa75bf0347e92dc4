import { strict as assert } from 'node:assert';
import { agentNetwork } from '../../src/network';

describe('agentNetwork', () => {
  const proxied = agentNetwork({
    proxy: {
      url: 'http://proxy.contoso.com:8080',
      username: 'agent svc',
      password: 'p@ss:word',
      bypass: ['\\.internal\\.contoso\\.com', '^https://127\\.0\\.0\\.1:4443/'],
    },
  });

  it('sends a URL through the proxy unless a bypass pattern matches it anywhere, case-insensitively', () => {
    assert.equal(proxied.proxyFor('https://management.azure.com/subscriptions')?.host, 'proxy.contoso.com:8080');
    assert.equal(proxied.proxyFor('https://dev.INTERNAL.contoso.com/org/'), undefined);
    assert.equal(proxied.proxyFor('https://127.0.0.1:4443/contoso/'), undefined);
    assert.ok(proxied.proxyFor('https://127.0.0.1:4444/contoso/'));
  });

  it('puts the credentials into the proxy URL, percent-encoded', () => {
    const url = proxied.proxyFor('https://login.microsoftonline.com/')!;
    assert.equal(decodeURIComponent(url.username), 'agent svc');
    assert.equal(decodeURIComponent(url.password), 'p@ss:word');
  });

  it('hands the @azure clients its policy', () => {
    assert.equal(proxied.azureOptions.additionalPolicies.length, 1);
    assert.equal(proxied.azureOptions.additionalPolicies[0].policy, proxied.policy);
  });

  it('changes nothing for an agent without proxy or CA settings', () => {
    const plain = agentNetwork({});
    assert.equal(plain.proxyFor('https://management.azure.com/'), undefined);
    assert.deepEqual(plain.azureOptions.additionalPolicies, []);
  });
});
