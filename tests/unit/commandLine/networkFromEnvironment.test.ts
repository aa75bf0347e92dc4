import { strict as assert } from 'node:assert';
import { networkFromEnvironment } from '../../../src/commandLine/networkFromEnvironment';

describe("the command line's network from the environment", () => {
  it('takes the proxy from HTTPS_PROXY and NO_PROXY as bypass patterns', () => {
    const network = networkFromEnvironment({ HTTPS_PROXY: 'http://user:p%40ss@proxy.local:3128', NO_PROXY: 'localhost,.corp.example' });
    assert.equal(network?.proxyUrl, 'http://proxy.local:3128');
    assert.equal(network?.proxyUsername, 'user');
    assert.equal(network?.proxyPassword, 'p@ss');
    const bypass = (network?.proxyBypassHosts ?? []).map((p) => new RegExp(p, 'i'));
    assert.ok(bypass.some((p) => p.test('https://dev.corp.example/contoso/')));
    assert.ok(bypass.some((p) => p.test('https://localhost:8443/')));
    assert.ok(!bypass.some((p) => p.test('https://management.azure.com/')));
    assert.deepEqual(networkFromEnvironment({}), {});
  });
});
